import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ManagedProcess, startProcess } from './child-process.js';
import type { LogPrinter } from './log-printer.js';

export const SERVICES = ['call-registry', 'webhook-gateway', 'media-worker', 'notifier'] as const;
export type ServiceName = (typeof SERVICES)[number];

const HEALTH_TIMEOUT_MS = 60_000;
const HEALTH_POLL_MS = 100;

/** `node services/<name>/dist/main.js`, as `pnpm --filter @switchboard/<name> start` and the images run it. */
export function serviceEntry(root: string, name: ServiceName): string {
  return join(root, 'services', name, 'dist/main.js');
}

/** The services not built yet (the runner needs `pnpm build` first; `pnpm start` does it). */
export function unbuiltServices(root: string): ServiceName[] {
  return SERVICES.filter((name) => !existsSync(serviceEntry(root, name)));
}

export function startService(options: {
  root: string;
  name: ServiceName;
  env: Record<string, string | undefined>;
  printer: LogPrinter;
}): ManagedProcess {
  return startProcess({
    name: options.name,
    command: process.execPath,
    args: [serviceEntry(options.root, options.name)],
    env: options.env,
    cwd: options.root,
    printer: options.printer,
  });
}

/**
 * Resolves once `url` answers 200; throws if the process exits first or it takes too long. `/readyz` is
 * the one to wait on: it answers 200 only when the service can do its work (NATS up, registry answering).
 */
export async function waitUntilReady(service: ManagedProcess, url: string): Promise<void> {
  let exitCode: number | string | undefined;
  void service.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${service.name} exited with ${exitCode} while starting`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${service.name}: ${url} did not answer 200 in time`);
    await sleep(HEALTH_POLL_MS);
  }
}
