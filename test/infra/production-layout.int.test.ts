import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, ensureCallEventsStream } from '@switchboard/bus';
import { inboxPrefixFor } from '@switchboard/contracts';
import { checkComposeFile, readDockerfile, readEnvFile, withBuildArgs } from '@switchboard/scripts';
import { databaseUrl, freePort, TEST_DATABASE_ADMIN_URL, TestNatsServer } from '@switchboard/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_AUTH_CONF, NATS_USERS, REPO_ROOT, setNatsPasswordsInEnv } from '../support.js';

// No Docker engine here: this builds each image's /app the way infra/Dockerfile does (its own `pnpm deploy`
// line, read from the file), then starts the service from that folder with the Dockerfile's own CMD and
// environment, and waits for /healthz. The workspace is already installed and built (`pnpm test` builds
// first; the Dockerfile's `pnpm build` line runs here too, a no-op when nothing changed).

const plan = readDockerfile(join(REPO_ROOT, 'infra/Dockerfile'));
const AUTH_TOKEN = 'layout-test-auth-token';

let nats: TestNatsServer;
let workDir: string;
const children: ChildProcess[] = [];

function sh(command: string, cwd: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`\`${command}\` exited with ${code}:\n${output}`)),
    );
  });
}

/** `RUN pnpm deploy …` of the Dockerfile for one service, writing to `outDir` instead of the image's /out. */
async function deploy(service: string): Promise<string> {
  const outDir = join(workDir, service);
  const run = plan.buildRuns.find((line) => /\bpnpm deploy\b/.test(line));
  const command = withBuildArgs(run as string, { SERVICE: service }).replace(
    new RegExp(`\\s${plan.deployOutDir}$`),
    ` ${outDir}`,
  );
  await sh(command, REPO_ROOT, { CI: 'true' });
  return outDir;
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * The runtime stage's CMD (or another command of the same image, as compose's `command:`) in its WORKDIR,
 * the deployed folder, with the image's ENV and the given settings.
 */
function startFromLayout(
  appDir: string,
  settings: Record<string, string>,
  argv: string[] = plan.runtime.cmd ?? [],
): Started {
  const [command, ...args] = argv;
  // A container's environment: the image's ENV and the settings, nothing inherited but PATH. HOST is the
  // image's 0.0.0.0 in a container; here the service listens on loopback only.
  const env = { PATH: process.env.PATH ?? '', ...plan.runtime.env, HOST: '127.0.0.1', ...settings };
  const child = spawn(command as string, args, { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForHealthz(port: number, started: Started, path = '/healthz'): Promise<void> {
  const deadline = Date.now() + 30_000;
  let exitCode: number | null | undefined;
  void started.exited.then((code) => {
    exitCode = code;
  });
  for (;;) {
    if (exitCode !== undefined)
      throw new Error(`exited with ${exitCode} before ${path}:\n${started.output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}${path}`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${path} did not answer 200:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, as `docker stop` sends it to the container's PID 1; resolves with the exit code. */
async function stop(started: Started): Promise<number | null> {
  started.child.kill('SIGTERM');
  return started.exited;
}

function natsSettings(role: 'registry' | 'gateway' | 'worker' | 'notifier'): Record<string, string> {
  return { NATS_URL: nats.url, NATS_USER: NATS_USERS[role].user, NATS_PASSWORD: NATS_USERS[role].password };
}

/** Top-level node_modules entries of a deployed service that its package.json lists as devDependencies. */
function devDependenciesIn(appDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  return Object.keys(manifest.devDependencies ?? {}).filter((name) =>
    existsSync(join(appDir, 'node_modules', name)),
  );
}

beforeAll(async () => {
  setNatsPasswordsInEnv();
  nats = await TestNatsServer.start({ configFile: NATS_AUTH_CONF });
  workDir = await mkdtemp(join(tmpdir(), 'switchboard-layout-'));
  const build = plan.buildRuns.find((line) => line.trim() === 'pnpm build');
  expect(build, 'infra/Dockerfile builds with `pnpm build`').toBeDefined();
  await sh(build as string, REPO_ROOT);
}, 180_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await nats?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('infra/Dockerfile, without Docker', () => {
  it('is a multi-stage build whose runtime runs node as PID 1 as a non-root user', () => {
    expect(plan.lint).toEqual([]);
    expect(plan.stages.length).toBeGreaterThanOrEqual(2);
    expect(plan.runtime.user).toBe('node');
    expect(plan.runtime.cmd?.[0]).toBe('node');
    expect(plan.runtime.copiesFrom).toEqual([
      { stage: plan.stages[0], source: plan.deployOutDir, target: '/app' },
    ]);
    expect(plan.runtime.workdir).toBe('/app');
    expect(plan.buildRuns.some((run) => /pnpm deploy --prod\b/.test(run))).toBe(true);
  });

  it('call-registry: the compose migration and the service run from the deployed folder', async () => {
    const appDir = await deploy('call-registry');
    expect(existsSync(join(appDir, 'prisma/migrations'))).toBe(true);
    expect(devDependenciesIn(appDir)).toEqual([]);

    const name = `sb_layout_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    try {
      const url = databaseUrl(TEST_DATABASE_ADMIN_URL, name);
      // docker-compose.yml's one-shot `migrate`, with its own command, from the same image.
      const compose = checkComposeFile(
        join(REPO_ROOT, 'docker-compose.yml'),
        { ...readEnvFile(join(REPO_ROOT, '.env.example')), TWILIO_AUTH_TOKEN: 'x', OPENAI_API_KEY: 'x' },
        REPO_ROOT,
      );
      const migrateCommand = compose.doc.services.migrate?.command as string[];
      const migration = startFromLayout(appDir, { DATABASE_URL: url }, migrateCommand);
      expect(await migration.exited, migration.output()).toBe(0);

      const port = await freePort();
      const registry = startFromLayout(appDir, {
        DATABASE_URL: url,
        MIGRATE_ON_START: 'false',
        PORT: String(port),
        ...natsSettings('registry'),
      });
      await waitForHealthz(port, registry);
      await waitForHealthz(port, registry, '/readyz');
      expect(await stop(registry), registry.output()).toBe(0);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  }, 180_000);

  it('webhook-gateway answers /healthz from the deployed folder and stops cleanly', async () => {
    const appDir = await deploy('webhook-gateway');
    expect(devDependenciesIn(appDir)).toEqual([]);
    const port = await freePort();
    const gateway = startFromLayout(appDir, {
      PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      MEDIA_STREAM_URL: 'ws://127.0.0.1:3001/media-stream',
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      ...natsSettings('gateway'),
    });
    await waitForHealthz(port, gateway);
    expect(await stop(gateway), gateway.output()).toBe(0);
  }, 180_000);

  it('media-worker answers /healthz from the deployed folder and stops cleanly', async () => {
    const appDir = await deploy('media-worker');
    expect(devDependenciesIn(appDir)).toEqual([]);
    const port = await freePort();
    const worker = startFromLayout(appDir, {
      PORT: String(port),
      PUBLIC_MEDIA_URL: `ws://127.0.0.1:${port}/media-stream`,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      OPENAI_API_KEY: 'sk-layout-test',
      ...natsSettings('worker'),
    });
    await waitForHealthz(port, worker);
    expect(await stop(worker), worker.output()).toBe(0);
  }, 180_000);

  it('notifier answers /healthz from the deployed folder and stops cleanly', async () => {
    const appDir = await deploy('notifier');
    expect(devDependenciesIn(appDir)).toEqual([]);
    // CALL_EVENTS is the registry's to create: the notifier waits for it before it serves.
    const registryNc = await connectBus({
      url: nats.url,
      name: 'layout-test-registry',
      inboxPrefix: inboxPrefixFor('call-registry'),
      ...natsUser('registry'),
    });
    await ensureCallEventsStream(registryNc);
    await registryNc.close();
    const port = await freePort();
    const notifier = startFromLayout(appDir, { PORT: String(port), ...natsSettings('notifier') });
    await waitForHealthz(port, notifier);
    expect(await stop(notifier), notifier.output()).toBe(0);
  }, 180_000);
});

function natsUser(role: 'registry'): { user: string; password: string } {
  return { user: NATS_USERS[role].user, password: NATS_USERS[role].password };
}
