import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectBus, registryClient, request } from '@switchboard/bus';
import { type Registry, loadConfig as registryConfig, startRegistry } from '@switchboard/call-registry';
import {
  CALL_EVENTS_STREAM,
  CallEvent,
  eventSubject,
  inboxPrefixFor,
  WORKER_SUBJECTS,
  WorkerAnnouncement,
  WorkerDrainingError,
} from '@switchboard/contracts';
import {
  MEDIA_STREAM_PATH,
  startWorker,
  type Worker,
  loadConfig as workerConfig,
} from '@switchboard/media-worker';
import {
  FAKE_OPENAI_API_KEY,
  FakeRealtimeServer,
  freePort,
  metricValue,
  signedTwilioRequest,
  type TestDatabase,
  TestNatsServer,
  TwilioMediaClient,
  until,
} from '@switchboard/testkit';
import {
  type Gateway,
  loadConfig as gatewayConfig,
  startGateway,
  workerReserveSpec,
} from '@switchboard/webhook-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  log,
  NATS_AUTH_CONF,
  NATS_USERS,
  newCallSid,
  setNatsPasswordsInEnv,
  testDatabase,
} from '../support.js';

// Capacity-aware placement (SPEC: Scale-out) across the real services, in-process, on a nats-server with
// infra/nats's users: three workers with small capacities announce themselves; /twilio/voice reserves a slot
// on one with room and names its own URL in the TwiML, or apologises (or falls back to MEDIA_STREAM_URL).

const AUTH_TOKEN = 'placement-auth-token';
const FALLBACK_URL = 'wss://media-lb.example.com/media-stream';
/** Long enough for the test to connect the placed streams, short enough to watch one lapse. */
const RESERVATION_TTL_MS = 3_000;
const CAPACITIES = { a: 2, b: 2, c: 1 } as const;
type Name = keyof typeof CAPACITIES;

let nats: TestNatsServer;
let db: TestDatabase;
let fake: FakeRealtimeServer;
let registry: Registry;
/** No MEDIA_STREAM_URL: calls no worker takes hear the apology. */
let gateway: Gateway;
/** With MEDIA_STREAM_URL. */
let fallbackGateway: Gateway;
let publicBaseUrl: string;
let fallbackBaseUrl: string;
const workers = {} as Record<Name, { worker: Worker; url: string }>;
const clients: Array<{ callSid: string; client: TwilioMediaClient }> = [];
/** As the gateway user: the test's own view of the announcements, and a direct reservation request. */
let nc: NatsConnection;
const announced = new Map<string, WorkerAnnouncement>();

const natsEnv = (role: 'registry' | 'gateway' | 'worker') => ({
  NATS_URL: nats.url,
  NATS_USER: NATS_USERS[role].user,
  NATS_PASSWORD: NATS_USERS[role].password,
});

async function startPlacementGateway(mediaStreamUrl?: string): Promise<{ gateway: Gateway; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = await startGateway({
    config: gatewayConfig({
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      ...(mediaStreamUrl === undefined ? {} : { MEDIA_STREAM_URL: mediaStreamUrl }),
      // Generous for a loaded test machine: the burst's outcome must not depend on the CPU's mood.
      PLACEMENT_TIMEOUT_MS: '3000',
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      API_KEYS: 'placement-api-key',
      ...natsEnv('gateway'),
    }),
    log,
  });
  return { gateway: started, base };
}

beforeAll(async () => {
  setNatsPasswordsInEnv();
  [nats, db, fake] = await Promise.all([
    TestNatsServer.start({ configFile: NATS_AUTH_CONF }),
    testDatabase(),
    FakeRealtimeServer.start(),
  ]);
  nc = await connectBus({
    url: nats.url,
    name: 'placement-test',
    user: NATS_USERS.gateway.user,
    password: NATS_USERS.gateway.password,
    inboxPrefix: inboxPrefixFor('webhook-gateway'),
  });
  nc.subscribe(WORKER_SUBJECTS.announce, {
    callback: (_err, msg) => {
      const a = WorkerAnnouncement.parse(msg.json());
      announced.set(a.workerId, a);
    },
  });
  registry = await startRegistry({
    config: registryConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      MIGRATE_ON_START: 'false',
      ...natsEnv('registry'),
    }),
    log,
  });
  ({ gateway, base: publicBaseUrl } = await startPlacementGateway());
  ({ gateway: fallbackGateway, base: fallbackBaseUrl } = await startPlacementGateway(FALLBACK_URL));
  for (const name of Object.keys(CAPACITIES) as Name[]) {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}${MEDIA_STREAM_PATH}`;
    const worker = await startWorker({
      config: workerConfig({
        PORT: String(port),
        WORKER_ID: `worker-${name}`,
        WORKER_MEDIA_URL: url,
        MAX_CONCURRENT_CALLS: String(CAPACITIES[name]),
        RESERVATION_TTL_MS: String(RESERVATION_TTL_MS),
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        OPENAI_API_KEY: FAKE_OPENAI_API_KEY,
        OPENAI_REALTIME_URL: fake.url,
        ...natsEnv('worker'),
      }),
      log,
    });
    workers[name] = { worker, url };
  }
}, 60_000);

afterAll(async () => {
  for (const { client } of clients) if (client.isOpen) client.terminate();
  for (const { worker } of Object.values(workers)) await worker?.close();
  await gateway?.close();
  await fallbackGateway?.close();
  await registry?.close();
  await nc?.close();
  await fake?.close();
  await nats?.close();
  await db?.drop();
});

/** Twilio's voice webhook for a new call; the `<Stream url>` of the TwiML, or 'apology'. */
async function voice(
  base = publicBaseUrl,
  callSid = newCallSid(),
): Promise<{ callSid: string; url: string }> {
  const params = {
    CallSid: callSid,
    AccountSid: `AC${'0'.repeat(32)}`,
    From: '+15557654321',
    To: '+15559870000',
    Direction: 'inbound',
    CallStatus: 'ringing',
  };
  const res = await fetch(
    `${base}/twilio/voice`,
    signedTwilioRequest(AUTH_TOKEN, `${base}/twilio/voice`, params),
  );
  expect(res.status).toBe(200);
  const twiml = await res.text();
  const url = /<Stream url="([^"]+)"/.exec(twiml)?.[1];
  if (url === undefined) expect(twiml).toContain('<Say>Sorry, we cannot take your call right now');
  return { callSid, url: url ?? 'apology' };
}

/** Connects the call's stream where its TwiML said, signed for that URL as Twilio signs it. */
async function stream(callSid: string, url: string): Promise<TwilioMediaClient> {
  const client = await TwilioMediaClient.connect({ url, authToken: AUTH_TOKEN, signedUrl: url });
  clients.push({ callSid, client });
  client.sendConnected();
  client.sendStart(callSid);
  return client;
}

async function streamStarted(callSid: string): Promise<CallEvent | undefined> {
  const jsm = await jetstreamManager(registry.nc);
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

async function workersKnown(gatewayBase: string): Promise<number | undefined> {
  const res = await fetch(`${gatewayBase}/metrics`);
  return metricValue(await res.text(), 'gateway_placement_workers');
}

describe('capacity-aware placement', () => {
  let burst: Array<{ callSid: string; url: string }>;

  it('a burst above the total capacity: each worker gets what it has room for, the rest the apology', async () => {
    for (const base of [publicBaseUrl, fallbackBaseUrl]) {
      const deadline = Date.now() + 10_000;
      while ((await workersKnown(base)) !== 3) {
        if (Date.now() > deadline) throw new Error('the gateway never heard the three workers');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
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
    const sessionsBefore = fake.sessions.length;
    await Promise.all(arriving.map(({ callSid, url }) => stream(callSid, url)));
    await fake.waitForSession(sessionsBefore + arriving.length, 10_000);
    for (const { callSid, url } of arriving) {
      expect(await streamStarted(callSid)).toMatchObject({
        kind: 'stream',
        action: 'started',
        workerId: `worker-${nameOf(url)}`,
      });
    }
    expect(workers.b.worker.liveStreams).toBe(2);
    expect(workers.c.worker.liveStreams).toBe(1);
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
    const call = await registryClient(nc).callBySid({ callSid: burst[0]?.callSid ?? '' });
    await expect(
      request(
        nc,
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
