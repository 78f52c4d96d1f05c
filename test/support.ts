import { fileURLToPath } from 'node:url';
import { createLogger } from '@switchboard/logger';

export { testDatabase } from '@switchboard/call-registry/testing';
export { newCallSid } from '@switchboard/testkit';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const NATS_AUTH_CONF = fileURLToPath(new URL('../infra/nats/auth.conf', import.meta.url));

export const log = createLogger({ name: 'system-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The NATS users of infra/nats/auth.conf with the passwords a test gives nats-server. */
export const NATS_USERS = {
  registry: { user: 'registry', password: 'registry-test', env: 'NATS_REGISTRY_PASSWORD' },
  gateway: { user: 'gateway', password: 'gateway-test', env: 'NATS_GATEWAY_PASSWORD' },
  worker: { user: 'worker', password: 'worker-test', env: 'NATS_WORKER_PASSWORD' },
  notifier: { user: 'notifier', password: 'notifier-test', env: 'NATS_NOTIFIER_PASSWORD' },
  ops: { user: 'ops', password: 'ops-test', env: 'NATS_OPS_PASSWORD' },
} as const;

/** A service's NATS settings as `role`'s user of infra/nats/auth.conf, on the server(s) at `url`. */
export function natsEnvFor(url: string, role: keyof typeof NATS_USERS): Record<string, string> {
  return { NATS_URL: url, NATS_USER: NATS_USERS[role].user, NATS_PASSWORD: NATS_USERS[role].password };
}

/**
 * infra/nats/auth.conf reads the passwords from nats-server's environment, which a test's nats-server
 * inherits from the test process (vitest runs each file in a process of its own).
 */
export function setNatsPasswordsInEnv(): void {
  for (const { env, password } of Object.values(NATS_USERS)) process.env[env] = password;
}
