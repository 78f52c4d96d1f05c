import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allAccepted,
  callSidOf,
  eventually,
  expectedTypes,
  type NotifierStack,
  placeCall,
  startNotifierStack,
} from './support.js';

const SERVICE_DIR = fileURLToPath(new URL('../', import.meta.url));

/** The notifier as its own process, from source, as `node dist/main.js` would run it. */
function spawnNotifier(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--conditions=switchboard-src', '--import', 'tsx', 'src/main.ts'], {
    cwd: SERVICE_DIR,
    env: { ...process.env, ...env, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

describe('the notifier killed mid-delivery', () => {
  let s: NotifierStack;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    s = await startNotifierStack({}, { notifier: false });
  });
  afterAll(async () => {
    for (const child of children) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await s?.close();
  });

  it('loses nothing: a new process delivers what the killed one had in hand, in order per call', async () => {
    await s.subscribe(['call.started', 'call.status', 'call.transcript', 'call.ended']);
    s.receiver.delayMs = 300;
    const env = s.notifierEnv();
    const first = spawnNotifier(env);
    children.push(first);
    const calls = await Promise.all(Array.from({ length: 10 }, () => placeCall(s)));
    const types = expectedTypes(2);
    // Some delivered, the rest queued or in flight: kill it without a word.
    await eventually(
      async () => s.receiver.accepted.length,
      (n) => n >= 4,
      30_000,
    );
    first.kill('SIGKILL');
    await exited(first);
    const deliveredBefore = s.receiver.accepted.length;
    expect(deliveredBefore).toBeLessThan(calls.length * types.length);

    s.receiver.delayMs = 0;
    const second = spawnNotifier(env);
    children.push(second);
    await eventually(
      async () => allAccepted(s.receiver, calls, types),
      (done) => done,
      60_000,
    );
    for (const sid of calls) {
      // At least once: a delivery answered just before the kill may come again; its first arrivals are in order.
      const firsts = new Map<string, string>();
      for (const r of s.receiver.accepted)
        if (callSidOf(r) === sid && !firsts.has(r.id)) firsts.set(r.id, r.json.type);
      expect([...firsts.values()]).toEqual(types);
    }
    second.kill('SIGTERM');
    await exited(second);
    expect(second.exitCode).toBe(0);
  }, 120_000);
});
