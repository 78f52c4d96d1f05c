import { jetstreamManager } from '@nats-io/jetstream';
import { registryClient, request } from '@switchboard/bus';
import {
  CALL_EVENTS_STREAM,
  CallEvent,
  eventSubject,
  WORKER_SUBJECTS,
  WorkerAnnouncement,
  WorkerDrainingError,
} from '@switchboard/contracts';
import { startWorker, type Worker, loadConfig as workerConfig } from '@switchboard/media-worker';
import { type TwilioMediaClient, until } from '@switchboard/testkit';
import { workerReserveSpec } from '@switchboard/webhook-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { log, newCallSid } from '../support.js';
import {
  connectStream,
  gatewayKnows,
  type PlacementStack,
  startPlacementStack,
  voice as voiceAt,
} from './placement-stack.js';

// Capacity-aware placement (SPEC: Scale-out) across the real services, in-process, on a nats-server with
// infra/nats's users: three workers with small capacities announce themselves; /twilio/voice reserves a slot
// on one with room and names its own URL in the TwiML, or apologises (or falls back to MEDIA_STREAM_URL).

const FALLBACK_URL = 'wss://media-lb.example.com/media-stream';
/** Long enough for the test to connect the placed streams, short enough to watch one lapse. */
const RESERVATION_TTL_MS = 3_000;
const CAPACITIES = { a: 2, b: 2, c: 1 } as const;
type Name = keyof typeof CAPACITIES;

let stack: PlacementStack;
/** No MEDIA_STREAM_URL: calls no worker takes hear the apology. */
let publicBaseUrl: string;
/** With MEDIA_STREAM_URL. */
let fallbackBaseUrl: string;
const workers = {} as Record<Name, { worker: Worker; url: string }>;
const clients: Array<{ callSid: string; client: TwilioMediaClient }> = [];
/** The test's own view of the announcements. */
const announced = new Map<string, WorkerAnnouncement>();

beforeAll(async () => {
  stack = await startPlacementStack();
  stack.nc.subscribe(WORKER_SUBJECTS.announce, {
    callback: (_err, msg) => {
      const a = WorkerAnnouncement.parse(msg.json());
      announced.set(a.workerId, a);
    },
  });
  ({ base: publicBaseUrl } = await stack.startGateway());
  ({ base: fallbackBaseUrl } = await stack.startGateway(FALLBACK_URL));
  for (const name of Object.keys(CAPACITIES) as Name[]) {
    const { env, url } = await stack.workerEnv(`worker-${name}`, {
      MAX_CONCURRENT_CALLS: String(CAPACITIES[name]),
      RESERVATION_TTL_MS: String(RESERVATION_TTL_MS),
    });
    workers[name] = { worker: await startWorker({ config: workerConfig(env), log }), url };
  }
}, 60_000);

afterAll(async () => {
  for (const { client } of clients) if (client.isOpen) client.terminate();
  for (const { worker } of Object.values(workers)) await worker?.close();
  await stack?.close();
});

const voice = (base = publicBaseUrl) => voiceAt(base);

async function stream(callSid: string, url: string): Promise<TwilioMediaClient> {
  const client = await connectStream(callSid, url);
  clients.push({ callSid, client });
  return client;
}

async function streamStarted(callSid: string): Promise<CallEvent | undefined> {
  const jsm = await jetstreamManager(stack.registry.nc);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const msg = await jsm.streams
      .getMessage(CALL_EVENTS_STREAM, { last_by_subj: eventSubject(callSid, 'stream') })
      .catch(() => null);
    if (msg) return CallEvent.parse(msg.json());
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const nameOf = (url: string) =>
  (Object.keys(workers) as Name[]).find((name) => workers[name].url === url) ?? url;

/** How many of `placed` went to each worker (or to the apology / the fallback URL). */
function countBy(placed: Array<{ url: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { url } of placed) counts[nameOf(url)] = (counts[nameOf(url)] ?? 0) + 1;
  return counts;
}

/** Until every worker has announced, since now, that it holds no reservation (those before have lapsed). */
function noReservations(): Promise<void> {
  const since = Date.now();
  return until(
    () =>
      announced.size === 3 &&
      [...announced.values()].every((a) => Date.parse(a.at) > since && a.reserved === 0),
    'no reservation left on any worker',
    RESERVATION_TTL_MS * 3,
  );
}

describe('capacity-aware placement', () => {
  let burst: Array<{ callSid: string; url: string }>;

  it('a burst above the total capacity: each worker gets what it has room for, the rest the apology', async () => {
    for (const base of [publicBaseUrl, fallbackBaseUrl]) await gatewayKnows(base, 3);
    burst = await Promise.all(Array.from({ length: 8 }, () => voice()));
    expect(countBy(burst)).toEqual({ a: 2, b: 2, c: 1, apology: 3 });
  });

  it('with every slot reserved, a gateway with MEDIA_STREAM_URL falls back to it', async () => {
    expect((await voice(fallbackBaseUrl)).url).toBe(FALLBACK_URL);
  });

  it('the placed streams connect where their TwiML said and carry that worker’s id', async () => {
    const placed = burst.filter((p) => p.url !== 'apology');
    // One reservation on `a` is left to lapse below; the other four streams arrive.
    const left = placed.find((p) => nameOf(p.url) === 'a');
    const arriving = placed.filter((p) => p !== left);
    // Each reservation had its worker prepare the call's Realtime session while the phone rang; the streams
    // that arrive adopt theirs rather than dial again.
    await stack.fake.waitForSession(placed.length, 10_000);
    await Promise.all(arriving.map(({ callSid, url }) => stream(callSid, url)));
    for (const { callSid, url } of arriving) {
      expect(await streamStarted(callSid)).toMatchObject({
        kind: 'stream',
        action: 'started',
        workerId: `worker-${nameOf(url)}`,
      });
    }
    expect(workers.b.worker.liveStreams).toBe(2);
    expect(workers.c.worker.liveStreams).toBe(1);
    expect(stack.fake.sessions).toHaveLength(placed.length);
  });

  it('a worker never takes a stream it has no room for: its last slot is promised to a reserved call', async () => {
    // `a` holds one live stream and one reservation; a stream for another call (as through a load balancer)
    // is closed at its `start` with 1013 (try again later).
    const stray = burst.find((p) => p.url === 'apology');
    if (stray === undefined) throw new Error('no apologised call in the burst');
    const client = await stream(stray.callSid, workers.a.url);
    expect((await client.closed).code).toBe(1013);
    await until(() => workers.a.worker.liveStreams === 1, 'the refused stream gone');
  });

  it('a reservation no stream took lapses and frees its slot for the next call', async () => {
    await noReservations();
    const next = await voice();
    expect(nameOf(next.url)).toBe('a');
  });

  it('a draining worker takes no reservations', async () => {
    for (const { callSid, client } of clients) if (client.isOpen) client.sendStop(callSid);
    await until(
      () => Object.values(workers).every(({ worker }) => worker.liveStreams === 0),
      'every stream ended',
    );
    await workers.c.worker.drain();
    const call = await registryClient(stack.nc).callBySid({ callSid: burst[0]?.callSid ?? '' });
    await expect(
      request(
        stack.nc,
        workerReserveSpec('worker-c'),
        { call: { ...call, callSid: newCallSid() } },
        { timeoutMs: 2_000 },
      ),
    ).rejects.toBeInstanceOf(WorkerDrainingError);
    await noReservations();
    const calls = await Promise.all(Array.from({ length: 6 }, () => voice()));
    expect(countBy(calls)).toEqual({ a: 2, b: 2, apology: 2 });
  });
});
