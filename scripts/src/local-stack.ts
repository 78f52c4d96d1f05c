import { isAbsolute, join } from 'node:path';
import { migrate } from '@switchboard/call-registry';
import { createLogger, redactUrl } from '@switchboard/logger';
import type { ManagedProcess } from './child-process.js';
import { ensureDatabase, natsReachable, startEmbeddedPostgres, startLocalNats } from './local-servers.js';
import type { LogPrinter } from './log-printer.js';
import { type RealtimeSandbox, startRealtimeSandbox } from './realtime-sandbox.js';
import { startService, waitUntilReady } from './services.js';
import { LOCAL_DATABASE, type StackSettings } from './stack-settings.js';

export interface LocalStackOptions {
  root: string;
  settings: StackSettings;
  /** .env and the environment, merged: what the services get, plus what the runner sets per service. */
  env: Record<string, string>;
  printer: LogPrinter;
}

export interface LocalStack {
  /** What is running where, for the summary the runner prints. */
  summary: { label: string; value: string }[];
  /** Resolves with a message if a service exits while the stack is up. */
  failure: Promise<string>;
  /** Services first (SIGTERM: they drain), then the sandbox and the servers the runner started. */
  close(): Promise<void>;
}

const SERVICE_STOP_GRACE_MS = 5_000;
const REGISTRY_STOP_MS = 20_000;
const SERVER_STOP_MS = 15_000;

export async function startLocalStack({
  root,
  settings,
  env,
  printer,
}: LocalStackOptions): Promise<LocalStack> {
  const say = (text: string) => printer.line('stack', text);
  const dataDir = isAbsolute(settings.local.dataDir)
    ? settings.local.dataDir
    : join(root, settings.local.dataDir);
  const servers: ManagedProcess[] = [];
  let sandbox: RealtimeSandbox | undefined;
  const services: ManagedProcess[] = [];
  let closing = false;
  const summary: LocalStack['summary'] = [];

  const close = async () => {
    closing = true;
    const [registry, ...edge] = services;
    await Promise.all(
      edge.map((s) => s.stop('SIGTERM', Number(settings.drainTimeoutMs) + SERVICE_STOP_GRACE_MS)),
    );
    await registry?.stop('SIGTERM', REGISTRY_STOP_MS);
    await sandbox?.close();
    for (const server of servers.reverse()) await server.stop('SIGTERM', SERVER_STOP_MS);
  };

  try {
    // PostgreSQL: DATABASE_URL when it answers, else the embedded one.
    let databaseUrl: string | undefined;
    if (settings.databaseUrl) {
      const state = await ensureDatabase(settings.databaseUrl);
      if (state === 'unreachable') say(`DATABASE_URL (${redactUrl(settings.databaseUrl)}) does not answer`);
      else {
        databaseUrl = settings.databaseUrl;
        say(`PostgreSQL: ${redactUrl(databaseUrl)}${state === 'created' ? ' (database created)' : ''}`);
        summary.push({ label: 'PostgreSQL', value: redactUrl(databaseUrl) });
      }
    }
    if (!databaseUrl) {
      say(
        `starting an embedded PostgreSQL on port ${settings.local.postgresPort}, data in ${join(dataDir, 'postgres')}`,
      );
      const postgres = await startEmbeddedPostgres({
        root,
        port: settings.local.postgresPort,
        dataDir,
        database: LOCAL_DATABASE,
        printer,
      });
      servers.push(postgres.process);
      databaseUrl = postgres.url;
      summary.push({ label: 'PostgreSQL', value: `embedded, ${redactUrl(databaseUrl)}` });
    }

    // NATS: NATS_URL (with NATS_USER/NATS_PASSWORD/NATS_CREDS for every service) when it answers, else a
    // nats-server of our own with one user per service.
    const natsEnv: Record<
      'registry' | 'gateway' | 'worker' | 'notifier',
      Record<string, string | undefined>
    > = {
      registry: {},
      gateway: {},
      worker: {},
      notifier: {},
    };
    if (settings.nats.url && (await natsReachable(settings.nats.url))) {
      const shared = {
        NATS_URL: settings.nats.url,
        NATS_USER: settings.nats.user,
        NATS_PASSWORD: settings.nats.password,
        NATS_CREDS: settings.nats.credsFile,
      };
      for (const role of ['registry', 'gateway', 'worker', 'notifier'] as const) natsEnv[role] = shared;
      say(`NATS: ${settings.nats.url}`);
      summary.push({ label: 'NATS', value: settings.nats.url });
    } else {
      if (settings.nats.url) say(`NATS_URL (${settings.nats.url}) does not answer`);
      say(
        `starting nats-server with JetStream on port ${settings.local.natsPort}, store in ${join(dataDir, 'nats')}`,
      );
      const nats = await startLocalNats({
        root,
        port: settings.local.natsPort,
        dataDir,
        passwords: settings.natsPasswords,
        printer,
      });
      servers.push(nats.process);
      const p = settings.natsPasswords;
      natsEnv.registry = {
        NATS_URL: nats.url,
        NATS_USER: 'registry',
        NATS_PASSWORD: p.NATS_REGISTRY_PASSWORD,
      };
      natsEnv.gateway = { NATS_URL: nats.url, NATS_USER: 'gateway', NATS_PASSWORD: p.NATS_GATEWAY_PASSWORD };
      natsEnv.worker = { NATS_URL: nats.url, NATS_USER: 'worker', NATS_PASSWORD: p.NATS_WORKER_PASSWORD };
      natsEnv.notifier = {
        NATS_URL: nats.url,
        NATS_USER: 'notifier',
        NATS_PASSWORD: p.NATS_NOTIFIER_PASSWORD,
      };
      summary.push({ label: 'NATS', value: `nats-server ${nats.url}, users of infra/nats/auth.conf` });
    }

    // `pnpm db:migrate`'s work, before anything uses the database.
    await migrate(databaseUrl, createLogger({ name: 'migrate', destination: printer.stream('migrate') }));

    // OpenAI Realtime: the real API with a key, else the local sandbox.
    let openai: Record<string, string> = {};
    if (!settings.openaiApiKey) {
      sandbox = await startRealtimeSandbox();
      openai = { OPENAI_API_KEY: sandbox.apiKey, OPENAI_REALTIME_URL: sandbox.url };
      say(`no OPENAI_API_KEY: calls talk to the local Realtime sandbox at ${sandbox.url}`);
      summary.push({ label: 'OpenAI Realtime', value: `local sandbox ${sandbox.url} (no OPENAI_API_KEY)` });
    } else {
      summary.push({
        label: 'OpenAI Realtime',
        value: env.OPENAI_REALTIME_URL || 'wss://api.openai.com/v1/realtime',
      });
    }

    // What every service gets: the settings, less what belongs to another one.
    const common: Record<string, string | undefined> = { ...env, HOST: settings.host };
    for (const key of ['DATABASE_URL', 'NATS_URL', 'NATS_USER', 'NATS_PASSWORD', 'NATS_CREDS', 'PORT']) {
      delete common[key];
    }
    for (const key of Object.keys(settings.natsPasswords)) delete common[key];
    const local = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
    const ready = (port: number) => `http://${local}:${port}/readyz`;

    const registry = startService({
      root,
      name: 'call-registry',
      env: {
        ...common,
        ...natsEnv.registry,
        DATABASE_URL: databaseUrl,
        MIGRATE_ON_START: 'false',
        PORT: String(settings.ports.registry),
      },
      printer,
    });
    services.push(registry);
    await waitUntilReady(registry, ready(settings.ports.registry));

    const gateway = startService({
      root,
      name: 'webhook-gateway',
      env: {
        ...common,
        ...natsEnv.gateway,
        PORT: String(settings.ports.gateway),
        PUBLIC_BASE_URL: settings.publicBaseUrl,
        MEDIA_STREAM_URL: settings.mediaStreamUrl,
      },
      printer,
    });
    const worker = startService({
      root,
      name: 'media-worker',
      env: {
        ...common,
        ...natsEnv.worker,
        ...openai,
        PORT: String(settings.ports.worker),
        PUBLIC_MEDIA_URL: settings.mediaStreamUrl,
        // The one worker takes placed calls at the same URL (a reservation per call), unless .env says otherwise.
        WORKER_MEDIA_URL: env.WORKER_MEDIA_URL || settings.mediaStreamUrl,
        DRAIN_TIMEOUT_MS: settings.drainTimeoutMs,
      },
      printer,
    });
    const notifier = startService({
      root,
      name: 'notifier',
      env: { ...common, ...natsEnv.notifier, PORT: String(settings.ports.notifier) },
      printer,
    });
    services.push(gateway, worker, notifier);
    await Promise.all([
      waitUntilReady(gateway, ready(settings.ports.gateway)),
      waitUntilReady(worker, ready(settings.ports.worker)),
      waitUntilReady(notifier, ready(settings.ports.notifier)),
    ]);

    summary.unshift(
      {
        label: 'console',
        value: `http://${local}:${settings.ports.gateway}/console (sign in with a key of API_KEYS in .env)`,
      },
      {
        label: 'webhook gateway',
        value: `http://${local}:${settings.ports.gateway} (Twilio: ${settings.publicBaseUrl}/twilio/voice)`,
      },
      { label: 'media worker', value: `${settings.mediaStreamUrl}` },
      { label: 'call registry', value: `http://${local}:${settings.ports.registry}/healthz` },
      {
        label: 'notifier',
        value: `http://${local}:${settings.ports.notifier}/healthz (webhooks: /api/webhooks)`,
      },
    );
    const failure = new Promise<string>((resolve) => {
      for (const service of services) {
        void service.exited.then((code) => {
          if (!closing) resolve(`${service.name} exited with ${code}`);
        });
      }
    });
    return { summary, failure, close };
  } catch (err) {
    await close();
    throw err;
  }
}
