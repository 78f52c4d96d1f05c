import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { registryClient } from '@switchboard/bus';
import { type Registry, loadConfig as registryConfig, startRegistry } from '@switchboard/call-registry';
import { CALL_EVENTS_STREAM, type Call, type CallEvent, eventSubject } from '@switchboard/contracts';
import { eventually, type TwilioMediaClient } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { log, REPO_ROOT } from '../support.js';
import {
  connectStream,
  gatewayKnows,
  type PlacementStack,
  startPlacementStack,
  voice,
} from './placement-stack.js';

// A media worker process SIGKILLed mid-call (SPEC: Scale-out): nobody tells the registry, yet its calls are
// recorded as ended with the reason `worker-lost` within seconds (the worker's announcements were its lease);
// the calls on the other worker process go on untouched. Each ending is on CALL_EVENTS once (an `ended` event
// with the reason `worker-lost`, for the notifier's `call.ended` and the console), though two registry
// replicas both see the lease lapse.

const WORKER_MAIN = fileURLToPath(new URL('services/media-worker/src/main.ts', `file://${REPO_ROOT}`));
const CALLS_PER_WORKER = 2;

let stack: PlacementStack;
let base: string;
let replica: Registry | undefined;
const workers: Array<{ id: string; url: string; child: ChildProcess; exited: Promise<unknown> }> = [];
const clients: TwilioMediaClient[] = [];

async function spawnWorker(id: string): Promise<void> {
  const { env, url } = await stack.workerEnv(id, { MAX_CONCURRENT_CALLS: String(CALLS_PER_WORKER) });
  const child = spawn(process.execPath, ['--conditions=switchboard-src', '--import', 'tsx', WORKER_MAIN], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  workers.push({ id, url, child, exited });
}

beforeAll(async () => {
  stack = await startPlacementStack();
  replica = await startRegistry({
    config: registryConfig({
      DATABASE_URL: stack.db.url,
      PORT: '0',
      MIGRATE_ON_START: 'false',
      ...stack.natsEnv('registry'),
    }),
    log,
  });
  ({ base } = await stack.startGateway());
  await Promise.all([spawnWorker('doomed'), spawnWorker('survivor')]);
  await gatewayKnows(base, 2);
}, 60_000);

afterAll(async () => {
  for (const client of clients) if (client.isOpen) client.terminate();
  for (const { child, exited } of workers) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  }
  await replica?.close();
  await stack?.close();
});

/** The `ended` events of a call on CALL_EVENTS, read with an ordered consumer of its own. */
async function endedEventsOf(callSid: string): Promise<CallEvent[]> {
  const consumer = await jetstream(stack.nc, { checkAPI: false }).consumers.get(CALL_EVENTS_STREAM, {
    name_prefix: 'console-worker-lost-test',
    deliver_policy: DeliverPolicy.All,
    filter_subjects: eventSubject(callSid, 'ended'),
  });
  const events: CallEvent[] = [];
  try {
    for await (const msg of await consumer.fetch({ max_messages: 10, expires: 1_000 })) {
      events.push(msg.json<CallEvent>());
    }
  } finally {
    await consumer.delete();
  }
  return events;
}

/** A call through /twilio/voice, its stream connected where the TwiML said. */
async function placedCall(): Promise<{ callSid: string; url: string; client: TwilioMediaClient }> {
  const { callSid, url } = await voice(base);
  if (url === 'apology') throw new Error('the call was not placed');
  const client = await connectStream(callSid, url);
  clients.push(client);
  return { callSid, url, client };
}

describe('a worker process killed mid-call', () => {
  it('has its calls ended with worker-lost within seconds; the other worker’s calls go on', async () => {
    const registry = registryClient(stack.nc, { timeoutMs: 5_000 });
    const call = (callSid: string) => registry.callBySid({ callSid });
    const calls = await Promise.all(Array.from({ length: 2 * CALLS_PER_WORKER }, () => placedCall()));
    for (const { callSid } of calls) {
      await eventually(
        () => call(callSid),
        (c) => c.status === 'in-progress',
        10_000,
      );
    }
    const doomed = workers.find((w) => w.id === 'doomed');
    if (doomed === undefined) throw new Error('no doomed worker');
    const onDoomed = calls.filter((c) => c.url === doomed.url);
    const onSurvivor = calls.filter((c) => c.url !== doomed.url);
    expect([onDoomed.length, onSurvivor.length]).toEqual([CALLS_PER_WORKER, CALLS_PER_WORKER]);

    doomed.child.kill('SIGKILL');
    await doomed.exited;
    for (const { callSid } of onDoomed) {
      const ended: Call = await eventually(
        () => call(callSid),
        (c) => c.status === 'completed',
        15_000,
      );
      expect(ended).toMatchObject({ status: 'completed', endedReason: 'worker-lost' });
      expect(ended.endedAt).not.toBeNull();
      expect(ended.durationSeconds).not.toBeNull();
      expect(await endedEventsOf(callSid)).toEqual([
        {
          kind: 'ended',
          callSid,
          at: ended.endedAt,
          reason: 'worker-lost',
          detail: 'media worker doomed was lost',
        },
      ]);
    }
    for (const { callSid, client } of onSurvivor) {
      expect(await call(callSid)).toMatchObject({ status: 'in-progress', endedReason: null });
      expect(client.isOpen).toBe(true);
      expect(await endedEventsOf(callSid)).toEqual([]);
    }
  });
});
