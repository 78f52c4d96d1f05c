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
const APP_SERVICES = {
  'call-registry': 'call-registry',
  'webhook-gateway': 'webhook-gateway',
  'media-worker': 'media-worker',
  notifier: 'notifier',
} as const;

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
    expect(dependsOn('notifier')).toEqual({ 'call-registry': { condition: 'service_healthy' } });
    for (const name of ['postgres', 'nats', ...Object.keys(APP_SERVICES)]) {
      expect(services[name]?.healthcheck?.test, `${name} has a health check`).toBeDefined();
    }
  });

  it('publishes only the gateway and the worker, on the ports of .env', () => {
    const { services } = compose({ ...filledEnv, GATEWAY_PORT: '8000', WORKER_PORT: '8001' });
    const published = Object.fromEntries(
      Object.entries(services)
        .filter(([, s]) => s.ports !== undefined)
        .map(([name, s]) => [name, s.ports]),
    );
    expect(published).toEqual({ 'webhook-gateway': ['8000:3000'], 'media-worker': ['8001:3001'] });
  });

  it('keeps JetStream and PostgreSQL data on volumes', () => {
    const { services } = compose();
    expect(services.nats?.volumes).toContain('natsdata:/data');
    expect(services.postgres?.volumes).toContain('pgdata:/var/lib/postgresql/data');
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
    expect(userOf('call-registry')).toBe(NATS_USERS.registry.user);
    expect(userOf('webhook-gateway')).toBe(NATS_USERS.gateway.user);
    expect(userOf('media-worker')).toBe(NATS_USERS.worker.user);
    expect(userOf('notifier')).toBe(NATS_USERS.notifier.user);
    // Each service accepts what it is given, as its main.ts would at start.
    expect(() => registryConfig(serviceEnvironment(services['call-registry'] ?? {}))).not.toThrow();
    expect(() => gatewayConfig(serviceEnvironment(services['webhook-gateway'] ?? {}))).not.toThrow();
    expect(() => workerConfig(serviceEnvironment(services['media-worker'] ?? {}))).not.toThrow();
    expect(() => notifierConfig(serviceEnvironment(services.notifier ?? {}))).not.toThrow();
    // The worker checks signatures over the same URL the gateway puts in the TwiML.
    expect(serviceEnvironment(services['media-worker'] ?? {}).PUBLIC_MEDIA_URL).toBe(
      serviceEnvironment(services['webhook-gateway'] ?? {}).MEDIA_STREAM_URL,
    );
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
