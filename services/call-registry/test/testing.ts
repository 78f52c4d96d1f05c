// `@switchboard/call-registry/testing`: the one set-up of a real registry for tests, the registry's own and
// those of the services and cross-service tests that need one. A test-only entry: it resolves only under the
// `switchboard-src` condition that vitest and the type-check use, and nothing of it is built or deployed.
import type { NatsConnection } from '@nats-io/nats-core';
import { connectBus, type RegistryClient, registryClient } from '@switchboard/bus';
import { createLogger, type Logger } from '@switchboard/logger';
import { createTestDatabase, TcpProxy, type TestDatabase, TestNatsServer } from '@switchboard/testkit';
import { loadConfig, MIGRATIONS_KEY, migrate, type Registry, startRegistry } from '../src/index.js';

/** How long a stack's client waits for the registry: generous, for a loaded test machine. */
export const TEST_CLIENT_TIMEOUT_MS = 5_000;

/** A throwaway database with the registry's migrations applied (cloned from a migrated template). */
export function testDatabase(): Promise<TestDatabase> {
  return createTestDatabase({
    templateKey: MIGRATIONS_KEY,
    migrate: (url) => migrate(url).then(() => undefined),
  });
}

export interface RegistryStackOptions {
  /** Registry settings on top of the stack's (DATABASE_URL, NATS_URL, PORT=0, MIGRATE_ON_START=false). */
  env?: Record<string, string>;
  /** Put a TCP proxy between the registry and PostgreSQL, to cut the database away. */
  proxyDatabase?: boolean;
  log?: Logger;
  /** The name of the client connection, as nats-server reports it. */
  clientName?: string;
}

export interface RegistryStack {
  nats: TestNatsServer;
  db: TestDatabase;
  /** The registry: the one started with the stack, or since `restartRegistry`. */
  readonly registry: Registry;
  /** A client connection of its own, as a gateway or worker would have. */
  nc: NatsConnection;
  client: RegistryClient;
  /** Between the registry and PostgreSQL with `proxyDatabase`: cut it to take the database away. */
  proxy: TcpProxy | undefined;
  /** Starts another registry on the same database and NATS (a replica), closed with the stack. */
  startRegistry(env?: Record<string, string>): Promise<Registry>;
  /** Stops `registry` (a new one starts with `restartRegistry`). */
  stopRegistry(): Promise<void>;
  /** Starts a new `registry` with the stack's settings. */
  restartRegistry(): Promise<void>;
  close(): Promise<void>;
}

/** nats-server, a migrated database and the real registry, each a throwaway, and a client connection. */
export async function startRegistryStack(options: RegistryStackOptions = {}): Promise<RegistryStack> {
  const { env = {}, proxyDatabase = false, clientName = 'registry-test-client' } = options;
  const log = options.log ?? createLogger({ name: 'registry-test', level: 'silent' });
  const nats = await TestNatsServer.start();
  const db = await testDatabase();
  const proxy = proxyDatabase
    ? await TcpProxy.start({ port: Number(new URL(db.url).port || 5432) })
    : undefined;
  const registryDbUrl = proxy ? viaProxy(db.url, proxy.port) : db.url;
  const start = (overrides: Record<string, string> = {}) =>
    startRegistry({
      config: loadConfig({
        DATABASE_URL: registryDbUrl,
        NATS_URL: nats.url,
        PORT: '0',
        MIGRATE_ON_START: 'false',
        ...env,
        ...overrides,
      }),
      log,
    });
  // Every registry started, closed with the stack (closing one twice is harmless).
  const started: Registry[] = [];
  let registry = await start();
  started.push(registry);
  const nc = await connectBus({ url: nats.url, name: clientName });
  return {
    nats,
    db,
    get registry() {
      return registry;
    },
    nc,
    client: registryClient(nc, { timeoutMs: TEST_CLIENT_TIMEOUT_MS }),
    proxy,
    async startRegistry(overrides) {
      const replica = await start(overrides);
      started.push(replica);
      return replica;
    },
    stopRegistry: () => registry.close(),
    async restartRegistry() {
      registry = await start();
      started.push(registry);
    },
    async close() {
      await nc.close();
      await Promise.allSettled(started.map((r) => r.close()));
      await nats.close();
      await proxy?.close();
      await db.drop();
    },
  };
}

function viaProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}
