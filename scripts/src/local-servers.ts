import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { waitForPort } from '@switchboard/testkit';
import pg from 'pg';
import { type ManagedProcess, startProcess } from './child-process.js';
import type { LogPrinter } from './log-printer.js';

export const NATS_INSTALL_HINT =
  'nats-server is not installed. Install it with `sudo apt-get install nats-server` (Debian, Ubuntu) or ' +
  '`brew install nats-server` (macOS), or set NATS_URL to a running server.';
const REACH_TIMEOUT_MS = 2_000;
const SERVER_START_TIMEOUT_MS = 60_000;

/** Whether something accepts TCP connections at host:port. */
export function tcpReachable(host: string, port: number, timeoutMs = REACH_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether any server of a NATS_URL (comma-separated) accepts connections. */
export async function natsReachable(url: string): Promise<boolean> {
  for (const server of url.split(',').map((s) => s.trim())) {
    const parsed = new URL(server.includes('://') ? server : `nats://${server}`);
    if (await tcpReachable(parsed.hostname, Number(parsed.port || 4222))) return true;
  }
  return false;
}

/**
 * Whether DATABASE_URL answers. A server that is up but lacks the database gets it created (a newcomer's
 * `postgres://postgres@127.0.0.1:5432/switchboard` works the first time).
 */
export async function ensureDatabase(url: string): Promise<'ready' | 'created' | 'unreachable'> {
  const attempt = async (connectionString: string) => {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: REACH_TIMEOUT_MS });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  try {
    await (await attempt(url)).end();
    return 'ready';
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') return 'unreachable';
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  try {
    const client = await attempt(admin.toString());
    try {
      await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    } finally {
      await client.end();
    }
    return 'created';
  } catch {
    return 'unreachable';
  }
}

export interface LocalServer {
  url: string;
  process: ManagedProcess;
}

/** nats-server with JetStream and the per-service users of infra/nats/auth.conf, its store in `dataDir`. */
export async function startLocalNats(options: {
  root: string;
  port: number;
  dataDir: string;
  passwords: Record<string, string>;
  printer: LogPrinter;
}): Promise<LocalServer> {
  const storeDir = join(options.dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const nats = startProcess({
    name: 'nats',
    command: process.env.NATS_SERVER_BIN ?? 'nats-server',
    args: ['-c', join(options.root, 'infra/nats/auth.conf')].concat([
      '-a',
      '127.0.0.1',
      '-p',
      String(options.port),
      '-js',
      '-sd',
      storeDir,
    ]),
    env: { PATH: process.env.PATH, ...options.passwords },
    cwd: options.root,
    printer: options.printer,
  });
  const code = await Promise.race([
    waitForPort(options.port, SERVER_START_TIMEOUT_MS).then(() => undefined),
    nats.exited,
  ]);
  if (code === 'spawn-error') throw new Error(NATS_INSTALL_HINT);
  if (code !== undefined) throw new Error(`nats-server exited with ${code} (see its lines above)`);
  return { url: `nats://127.0.0.1:${options.port}`, process: nats };
}

/** The embedded PostgreSQL (scripts/embedded-postgres.ts), its data in `dataDir`/postgres. */
export async function startEmbeddedPostgres(options: {
  root: string;
  port: number;
  dataDir: string;
  database: string;
  printer: LogPrinter;
}): Promise<LocalServer> {
  const postgres = startProcess({
    name: 'postgres',
    command: process.execPath,
    args: ['--import', 'tsx', join(options.root, 'scripts/embedded-postgres.ts')].concat([
      join(options.dataDir, 'postgres'),
      String(options.port),
      options.database,
    ]),
    env: process.env,
    cwd: options.root,
    printer: options.printer,
    ipc: true,
  });
  const ready = new Promise<string>((resolve) => {
    postgres.child.on('message', (message: { ready?: string }) => {
      if (message.ready) resolve(message.ready);
    });
  });
  const outcome = await Promise.race([
    ready,
    postgres.exited.then((code) => ({ code })),
    new Promise<{ code: string }>((resolve) =>
      setTimeout(() => resolve({ code: 'timeout' }), SERVER_START_TIMEOUT_MS).unref(),
    ),
  ]);
  if (typeof outcome !== 'string') {
    await postgres.stop('SIGKILL');
    throw new Error(`the embedded PostgreSQL did not start (${outcome.code}; see its lines above)`);
  }
  return { url: outcome, process: postgres };
}
