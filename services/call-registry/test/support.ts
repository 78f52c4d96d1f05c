import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectBus, type RegistryClient, registryClient } from '@switchboard/bus';
import { createLogger } from '@switchboard/logger';
import {
  createTestDatabase,
  freePort,
  TcpProxy,
  type TestDatabase,
  TestNatsServer,
  waitForPort,
} from '@switchboard/testkit';
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
  /** Between the registry and PostgreSQL when started with `proxyDatabase`: cut it to take the database away. */
  proxy: TcpProxy | undefined;
  /** Starts another registry on the same database and NATS (a replica, or a restart). */
  startRegistry(env?: Record<string, string>): Promise<Registry>;
  close(): Promise<void>;
}

/** A registry on a throwaway nats-server and database, and a client connection to it. */
export async function startStack(
  env: Record<string, string> = {},
  { proxyDatabase = false } = {},
): Promise<RegistryStack> {
  const nats = await TestNatsServer.start();
  const db = await testDatabase();
  const proxy = proxyDatabase
    ? await TcpProxy.start({ port: Number(new URL(db.url).port || 5432) })
    : undefined;
  const registryDbUrl = proxy ? viaProxy(db.url, proxy.port) : db.url;
  const extra: Registry[] = [];
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
  const registry = await start();
  const nc = await connectBus({ url: nats.url, name: 'registry-test-client' });
  return {
    nats,
    db,
    registry,
    nc,
    proxy,
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
      await proxy?.close();
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

function viaProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface RegistryProcess {
  pid: number;
  port: number;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** The registry as its own process, exactly as `pnpm start` runs it (from source, through tsx). */
export async function spawnRegistry(env: Record<string, string>): Promise<RegistryProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=switchboard-src', '--import', 'tsx', MAIN], {
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', MIGRATE_ON_START: 'false', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await Promise.race([
    waitForPort(port, 30_000),
    exited.then((code) => Promise.reject(new Error(`registry exited with ${code} before serving`))),
  ]);
  return { pid: child.pid ?? -1, port, exited, kill: (signal) => child.kill(signal) };
}
