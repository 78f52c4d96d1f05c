import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { CALL_EVENTS_CONSUMER, CALL_EVENTS_STREAM } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { freePort, waitForPort } from '@switchboard/testkit';
import { type RegistryStack, startRegistryStack } from './testing.js';

export { eventually, newCallSid } from '@switchboard/testkit';
export { type RegistryStack, testDatabase } from './testing.js';

export const log = createLogger({ name: 'registry-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A registry on a throwaway nats-server and database, and a client connection to it. */
export function startStack(
  env: Record<string, string> = {},
  { proxyDatabase = false } = {},
): Promise<RegistryStack> {
  return startRegistryStack({ env, proxyDatabase, log });
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

/** Events the registry has not acknowledged yet: delivered-but-unacked plus not yet delivered. */
export async function consumerPending(stack: RegistryStack): Promise<number> {
  const jsm = await jetstreamManager(stack.nc);
  const info = await jsm.consumers.info(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER);
  return info.num_pending + info.num_ack_pending;
}
