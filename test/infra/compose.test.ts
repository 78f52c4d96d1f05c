import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig as registryConfig, SETTINGS as registrySettings } from '@switchboard/call-registry';
import { loadConfig as workerConfig, SETTINGS as workerSettings } from '@switchboard/media-worker';
import { loadConfig as notifierConfig, SETTINGS as notifierSettings } from '@switchboard/notifier';
import {
  type ComposeDocument,
  checkComposeFile,
  interpolate,
  readEnvFile,
  serviceEnvironment,
} from '@switchboard/scripts';
import { loadConfig as gatewayConfig, SETTINGS as gatewaySettings } from '@switchboard/webhook-gateway';
import { describe, expect, it } from 'vitest';
import { NATS_USERS, REPO_ROOT } from '../support.js';

// docker-compose.yml checked without a Docker engine: interpolated with .env.example as compose would, valid
// against the compose specification's JSON schema, its references resolve, and what it passes each service
// is a setting that service reads. nats.conf is checked by the nats-server binary itself.

const COMPOSE = join(REPO_ROOT, 'docker-compose.yml');
const example = readEnvFile(join(REPO_ROOT, '.env.example'));
/** .env.example with the two secrets a user must fill in. */
const filledEnv: Record<string, string> = {
  ...example,
  TWILIO_AUTH_TOKEN: 'token',
  OPENAI_API_KEY: 'sk-test',
};
/** Each compose service of switchboard's own, and the service (its src/config.ts) it runs. */
const APP_SERVICES = {
  'call-registry': 'call-registry',
  'webhook-gateway': 'webhook-gateway',
  'media-worker': 'media-worker',
  notifier: 'notifier',
  'call-registry-cluster': 'call-registry',
  'webhook-gateway-cluster': 'webhook-gateway',
  'media-worker-cluster': 'media-worker',
  'notifier-cluster': 'notifier',
} as const;
const NATS_NODES = ['nats-1', 'nats-2', 'nats-3'];

/** The services `COMPOSE_PROFILES=<profile> docker compose up` starts: those without profiles, and the profile's. */
function active(doc: ComposeDocument, profile: string): string[] {
  return Object.entries(doc.services)
    .filter(([, s]) => s.profiles === undefined || s.profiles.includes(profile))
    .map(([name]) => name)
    .sort();
}

function dependencies(doc: ComposeDocument, name: string): string[] {
  const dependsOn = doc.services[name]?.depends_on ?? {};
  return Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn);
}

/** The environment variables a service's src/config.ts reads (the keys of its zod schema). */
const SETTINGS_OF: Record<string, readonly string[]> = {
  'call-registry': registrySettings,
  'webhook-gateway': gatewaySettings,
  'media-worker': workerSettings,
  notifier: notifierSettings,
};

function settingsOf(service: string): Set<string> {
  return new Set(SETTINGS_OF[service]);
}

function compose(env = filledEnv): ComposeDocument {
  const { doc, errors } = checkComposeFile(COMPOSE, env, REPO_ROOT);
  expect(errors).toEqual([]);
  return doc;
}

describe('interpolate', () => {
  // Compose's `${…}` syntax, not template strings.
  const cases: [string, string][] = [
    ['$SET {SET} $$SET {UNSET}', 'v v $SET '],
    ['{EMPTY:-d} {EMPTY-d} {UNSET-d}', 'd  d'],
    ['{SET:+r} {EMPTY:+r} {EMPTY+r}', 'r  r'],
  ];
  const dollar = (text: string) => text.replaceAll('{', '${');

  it('follows the compose specification', () => {
    const env = { SET: 'v', EMPTY: '' };
    for (const [text, expected] of cases) expect(interpolate(dollar(text), env).value).toBe(expected);
    expect(interpolate(dollar('{EMPTY:?need it} {UNSET?gone}'), env).errors).toEqual([
      'EMPTY: need it',
      'UNSET: gone',
    ]);
  });
});

describe('docker-compose.yml', () => {
  it('is valid against the compose specification with .env.example and the two secrets filled in', () => {
    compose();
  });

  it('refuses to start without the secrets, naming them', () => {
    const { errors } = checkComposeFile(COMPOSE, example, REPO_ROOT);
    // Once each, though both profiles' services use them.
    expect(errors).toEqual([
      'interpolation: TWILIO_AUTH_TOKEN: set TWILIO_AUTH_TOKEN in .env',
      'interpolation: OPENAI_API_KEY: set OPENAI_API_KEY in .env',
    ]);
  });

  it('would catch a misspelt key or a wrong value (the schema check is real)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-compose-'));
    try {
      const broken = join(dir, 'docker-compose.yml');
      const text = readFileSync(COMPOSE, 'utf8');
      writeFileSync(broken, text.replace('stop_grace_period: 130s', 'stop_grace_periods: 130s'));
      expect(checkComposeFile(broken, filledEnv, REPO_ROOT).errors.join('\n')).toMatch(/stop_grace_periods/);
      writeFileSync(broken, text.replace('condition: service_healthy', 'condition: service_ready'));
      expect(checkComposeFile(broken, filledEnv, REPO_ROOT).errors.join('\n')).toMatch(/allowed values/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs one of everything with COMPOSE_PROFILES=single (.env.example), the cluster with `cluster`', () => {
    const doc = compose();
    expect(example.COMPOSE_PROFILES).toBe('single');
    expect(active(doc, 'single')).toEqual(
      ['call-registry', 'media-worker', 'migrate', 'nats', 'notifier', 'postgres', 'webhook-gateway'].sort(),
    );
    expect(active(doc, 'cluster')).toEqual(
      [
        'call-registry-cluster',
        'lb',
        'media-worker-cluster',
        'migrate',
        ...NATS_NODES,
        'notifier-cluster',
        'postgres',
        'webhook-gateway-cluster',
      ].sort(),
    );
    for (const profile of ['single', 'cluster']) {
      const running = new Set(active(doc, profile));
      for (const name of running) {
        expect(
          dependencies(doc, name).filter((d) => !running.has(d)),
          `${name} waits only for what ${profile} runs`,
        ).toEqual([]);
      }
    }
  });

  it('starts in order of health: database and NATS, the migration, the registry, then gateway and worker', () => {
    const { services } = compose();
    const dependsOn = (name: string) => services[name]?.depends_on;
    expect(dependsOn('migrate')).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(dependsOn('call-registry')).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      nats: { condition: 'service_healthy' },
    });
    expect(dependsOn('webhook-gateway')).toEqual({ 'call-registry': { condition: 'service_healthy' } });
    expect(dependsOn('media-worker')).toEqual({ 'call-registry': { condition: 'service_healthy' } });
    // The cluster: every NATS node first, then as above, then the load balancer once both kinds are up.
    expect(dependsOn('call-registry-cluster')).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      ...Object.fromEntries(NATS_NODES.map((n) => [n, { condition: 'service_healthy' }])),
    });
    expect(dependsOn('webhook-gateway-cluster')).toEqual({
      'call-registry-cluster': { condition: 'service_healthy' },
    });
    expect(dependsOn('media-worker-cluster')).toEqual({
      'call-registry-cluster': { condition: 'service_healthy' },
    });
    expect(dependsOn('notifier')).toEqual({ 'call-registry': { condition: 'service_healthy' } });
    expect(dependsOn('notifier-cluster')).toEqual({
      'call-registry-cluster': { condition: 'service_healthy' },
    });
    expect(dependsOn('lb')).toEqual({
      'webhook-gateway-cluster': { condition: 'service_healthy' },
      'media-worker-cluster': { condition: 'service_healthy' },
    });
    for (const name of ['postgres', 'nats', ...NATS_NODES, 'lb', ...Object.keys(APP_SERVICES)]) {
      expect(services[name]?.healthcheck?.test, `${name} has a health check`).toBeDefined();
    }
  });

  it('publishes only the gateway and the worker, on the ports of .env (in the cluster: the load balancer)', () => {
    const doc = compose({ ...filledEnv, GATEWAY_PORT: '8000', WORKER_PORT: '8001' });
    const published = (profile: string) =>
      Object.fromEntries(
        active(doc, profile)
          .filter((name) => doc.services[name]?.ports !== undefined)
          .map((name) => [name, doc.services[name]?.ports]),
      );
    expect(published('single')).toEqual({ 'webhook-gateway': ['8000:3000'], 'media-worker': ['8001:3001'] });
    expect(published('cluster')).toEqual({ lb: ['8000:3000', '8001:3001'] });
  });

  it('keeps JetStream and PostgreSQL data on volumes', () => {
    const { services } = compose();
    expect(services.nats?.volumes).toContain('natsdata:/data');
    expect(services.postgres?.volumes).toContain('pgdata:/var/lib/postgresql/data');
    for (const [i, node] of NATS_NODES.entries()) {
      expect(services[node]?.volumes).toContain(`natsdata-${i + 1}:/data`);
    }
  });

  it('gives each service only settings it reads, and its own NATS user', () => {
    const { services } = compose();
    for (const [name, dir] of Object.entries(APP_SERVICES)) {
      const env = serviceEnvironment(services[name] ?? {});
      const known = settingsOf(dir);
      expect(
        Object.keys(env).filter((k) => !known.has(k)),
        `${name} settings it does not read`,
      ).toEqual([]);
    }
    const userOf = (name: string) => serviceEnvironment(services[name] ?? {}).NATS_USER;
    const loaders = {
      'call-registry': registryConfig,
      'webhook-gateway': gatewayConfig,
      'media-worker': workerConfig,
      notifier: notifierConfig,
    };
    const users = {
      'call-registry': 'registry',
      'webhook-gateway': 'gateway',
      'media-worker': 'worker',
      notifier: 'notifier',
    } as const;
    for (const [name, service] of Object.entries(APP_SERVICES)) {
      expect(userOf(name), name).toBe(NATS_USERS[users[service]].user);
      // Each service accepts what it is given, as its main.ts would at start.
      expect(() => loaders[service](serviceEnvironment(services[name] ?? {})), name).not.toThrow();
    }
    // The worker checks signatures over the same URL the gateway puts in the TwiML.
    expect(serviceEnvironment(services['media-worker'] ?? {}).PUBLIC_MEDIA_URL).toBe(
      serviceEnvironment(services['webhook-gateway'] ?? {}).MEDIA_STREAM_URL,
    );
  });
});

describe('the cluster profile', () => {
  const doc = compose();
  const env = (name: string) => serviceEnvironment(doc.services[name] ?? {});
  const clusterConf = readFileSync(join(REPO_ROOT, 'infra/nats/cluster.conf'), 'utf8');

  it('runs three NATS nodes of one config, each named as its service, routed to all three', () => {
    for (const node of NATS_NODES) {
      expect(doc.services[node]?.command).toEqual(['-c', '/etc/nats/cluster.conf']);
      expect(env(node).NATS_SERVER_NAME).toBe(node);
    }
    const routes = [...clusterConf.matchAll(/nats:\/\/([\w-]+):6222/g)].map((m) => m[1]);
    expect(routes).toEqual(NATS_NODES);
    expect(clusterConf).toMatch(/^include \.\/auth\.conf$/m);
  });

  it('gives every service all three nodes, two replicas, and CALL_EVENTS three replicas', () => {
    for (const name of ['call-registry-cluster', 'webhook-gateway-cluster', 'media-worker-cluster']) {
      expect(env(name).NATS_URL, name).toBe(NATS_NODES.map((n) => `nats://${n}:4222`).join(','));
      expect(doc.services[name]?.deploy?.replicas, name).toBe(2);
    }
    expect(env('call-registry-cluster').JETSTREAM_REPLICAS).toBe(String(NATS_NODES.length));
    expect(registryConfig(env('call-registry-cluster')).jetstreamReplicas).toBe(3);
    expect(registryConfig(env('call-registry')).jetstreamReplicas).toBe(1);
  });

  it('puts the load balancer in front of the services and the ports they listen on', () => {
    const nginx = readFileSync(join(REPO_ROOT, 'infra/nginx/cluster.conf'), 'utf8');
    const upstreams = [...nginx.matchAll(/^\s*server ([\w-]+):(\d+) resolve/gm)].map((m) => [m[1], m[2]]);
    expect(upstreams).toEqual([
      ['webhook-gateway-cluster', env('webhook-gateway-cluster').PORT],
      ['media-worker-cluster', env('media-worker-cluster').PORT],
    ]);
    expect(doc.services.lb?.volumes).toContain('./infra/nginx/cluster.conf:/etc/nginx/nginx.conf:ro');
  });

  it('infra/nats/cluster.conf is accepted by nats-server for each node', async () => {
    for (const node of NATS_NODES) {
      const envOf: NodeJS.ProcessEnv = { ...process.env, NATS_SERVER_NAME: node };
      for (const { env: name, password } of Object.values(NATS_USERS)) envOf[name] = password;
      const { stdout, stderr } = await promisify(execFile)(
        'nats-server',
        ['-c', join(REPO_ROOT, 'infra/nats/cluster.conf'), '-t'],
        { env: envOf },
      );
      expect(`${stdout}${stderr}`).toMatch(/is valid/);
    }
  });
});

describe('.env.example', () => {
  const documented = new Set(
    [...readFileSync(join(REPO_ROOT, '.env.example'), 'utf8').matchAll(/^#?([A-Z][A-Z0-9_]+)=/gm)].map(
      (m) => m[1] as string,
    ),
  );

  it('documents every setting every service reads', () => {
    // PORT is per service: documented as GATEWAY_PORT, WORKER_PORT, REGISTRY_PORT, which set it.
    const perService = ['GATEWAY_PORT', 'WORKER_PORT', 'REGISTRY_PORT', 'NOTIFIER_PORT'];
    expect(perService.filter((k) => !documented.has(k))).toEqual([]);
    for (const service of Object.values(APP_SERVICES)) {
      const missing = [...settingsOf(service)].filter((k) => k !== 'PORT' && !documented.has(k));
      expect(missing, `${service} settings missing from .env.example`).toEqual([]);
    }
  });

  it('documents every variable docker-compose.yml takes from .env', () => {
    const text = readFileSync(COMPOSE, 'utf8');
    const used = new Set([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] as string));
    expect([...used].filter((k) => !documented.has(k))).toEqual([]);
  });
});

describe('infra/nats/nats.conf', () => {
  it('is accepted by nats-server', async () => {
    const env = { ...process.env };
    for (const { env: name, password } of Object.values(NATS_USERS)) env[name] = password;
    const { stdout, stderr } = await promisify(execFile)(
      'nats-server',
      ['-c', join(REPO_ROOT, 'infra/nats/nats.conf'), '-t'],
      { env },
    );
    expect(`${stdout}${stderr}`).toMatch(/is valid/);
  });
});
