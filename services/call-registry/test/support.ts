import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectBus, type RegistryClient, registryClient } from '@switchboard/bus';
import { createLogger } from '@switchboard/logger';
import { createTestDatabase, type TestDatabase, TestNatsServer } from '@switchboard/testkit';
import { loadConfig, MIGRATIONS_KEY, migrate, type Registry, startRegistry } from '../src/index.js';

export const log = createLogger({ name: 'registry-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function newCallSid(): string {
  return `CA${randomBytes(16).toString('hex')}`;
}

export function testDatabase(): Promise<TestDatabase> {
  return createTestDatabase({
    templateKey: MIGRATIONS_KEY,
    migrate: (url) => migrate(url).then(() => undefined),
  });
}

export interface RegistryStack {
  nats: TestNatsServer;
  db: TestDatabase;
  registry: Registry;
  /** A client connection of its own, as a gateway or worker would have. */
  nc: NatsConnection;
  client: RegistryClient;
  /** Starts another registry on the same database and NATS (a replica, or a restart). */
  startRegistry(env?: Record<string, string>): Promise<Registry>;
  close(): Promise<void>;
}

/** A registry on a throwaway nats-server and database, and a client connection to it. */
export async function startStack(env: Record<string, string> = {}): Promise<RegistryStack> {
  const nats = await TestNatsServer.start();
  const db = await testDatabase();
  const extra: Registry[] = [];
  const start = (overrides: Record<string, string> = {}) =>
    startRegistry({
      config: loadConfig({
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        PORT: '0',
        MIGRATE_ON_START: 'false',
        ...env,
        ...overrides,
      }),
      log,
    });
  const registry = await start();
  const nc = await connectBus({ url: nats.url, name: 'registry-test-client' });
  return {
    nats,
    db,
    registry,
    nc,
    client: registryClient(nc, { timeoutMs: 5_000 }),
    async startRegistry(overrides) {
      const replica = await start(overrides);
      extra.push(replica);
      return replica;
    },
    async close() {
      await nc.close();
      await Promise.allSettled([registry, ...extra].map((r) => r.close()));
      await nats.close();
      await db.drop();
    },
  };
}

export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((err: unknown) => err as T);
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
