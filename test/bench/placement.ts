// Benchmark of what a reservation buys the caller (issue 13, "Answer at once"): from the stream's `start` to
// the first agent audio at the caller (the first `media` message the Twilio side receives), p50/p99, with the
// fake Realtime API taking what OpenAI takes (REALISTIC_REALTIME_DELAYS: connect 150 ms, `session.updated`
// 100 ms after `session.update`, first audio delta 400 ms after `response.create`):
//   (a) today's path: no reservation; the worker dials and configures the session after `start`;
//   (b) a reservation BENCH_RING_MS before `start` (the phone ringing; default 250 and 800 ms): the worker
//       prepares the call's session meanwhile (`reserved(call)`, src/warm/) and the bridge adopts it;
//   (c) (b) with a kept greeting (KEEP_GREETING_AUDIO=true; recorded by one call first, not counted), and the
//       kept greeting without a reservation, for comparison.
// BENCH_PLACEMENT_CALLS calls per row (default 200), BENCH_PLACEMENT_CONCURRENCY at a time (default 5),
// BENCH_PLACEMENT_PATHS the rows to run (default a,b,kept,c).
// Run: pnpm bench placement  (or node --conditions=switchboard-src --import tsx test/bench/placement.ts)
//
// Each worker (one without and one with kept greetings) runs as a process of its own
// (placement/worker-child.ts); its reservation hooks are called over IPC until the placement's
// `worker.reserve.<id>` handler lands. The fake Realtime API and the Twilio side run here, and so does the
// registry's part (`call.bySid`): a responder answering with the call's agent, as in tools.ts.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectBus, ensureCallEventsStream, ServiceHost } from '@switchboard/bus';
import { type Agent, type Call, ENDPOINTS, REGISTRY_SERVICE_NAME } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import {
  FAKE_OPENAI_API_KEY,
  FakeRealtimeServer,
  newCallSid,
  REALISTIC_REALTIME_DELAYS,
  TestNatsServer,
  TwilioMediaClient,
  until,
} from '@switchboard/testkit';
import { IpcChild } from './lib/ipc-child.js';
import { Latencies } from './lib/latency.js';
import { formatTable, ms } from './lib/table.js';
import type { WorkerCommand, WorkerReport } from './placement/worker-child.js';

type WorkerChild = IpcChild<WorkerCommand, WorkerReport, { port: number }>;

const CALLS = Number(process.env.BENCH_PLACEMENT_CALLS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_PLACEMENT_CONCURRENCY ?? 5);
const RINGS_MS = (process.env.BENCH_RING_MS ?? '250,800').split(',').map(Number);
/** Which rows to run: a, b, kept, c (default all). */
const PATHS = new Set((process.env.BENCH_PLACEMENT_PATHS ?? 'a,b,kept,c').split(','));
const TARGET_P99_MS = 50;
const AUTH_TOKEN = 'bench-auth-token';
const PUBLIC_MEDIA_URL = 'wss://bench.example.com/media-stream';
const log = createLogger({ name: 'placement-bench', level: 'warn' });
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const AGENT: Agent = {
  id: 'default',
  instructions: 'You are a friendly receptionist.',
  voice: 'alloy',
  model: 'gpt-realtime',
  greeting: 'Hello! How can I help you today?',
};

/** The registered call, as the registry answers `call.bySid` and as a reservation carries it. */
function callFor(callSid: string): Call {
  const at = new Date().toISOString();
  return {
    callSid,
    direction: 'inbound',
    from: '+15551230000',
    to: '+15559870000',
    status: 'in-progress',
    agent: AGENT,
    createdAt: at,
    updatedAt: at,
    answeredAt: null,
    endedAt: null,
    durationSeconds: null,
    endedReason: null,
    recording: null,
    answeredBy: null,
  };
}

interface Row {
  /** a, b, kept or c (BENCH_PLACEMENT_PATHS). */
  id: string;
  path: string;
  ringMs: number | undefined;
  keep: boolean;
}

async function main(): Promise<void> {
  const nats = await TestNatsServer.start();
  const nc = await connectBus({ url: nats.url, name: 'placement-bench' });
  await ensureCallEventsStream(nc);
  const registry = await ServiceHost.start(
    nc,
    { name: REGISTRY_SERVICE_NAME, version: '0.0.0', description: 'bench: every call has the default agent' },
    { log },
  );
  registry.addEndpoint('bySid', ENDPOINTS.callBySid, async ({ callSid }) => callFor(callSid));
  const fake = await FakeRealtimeServer.start({ delays: REALISTIC_REALTIME_DELAYS, recordAudio: false });
  const plain = await workerWith(nats.url, fake, false);
  const keeping = await workerWith(nats.url, fake, true);
  try {
    console.log(
      `placement bench: ${CALLS} calls a row, ${CONCURRENCY} at a time; fake Realtime delays connect ${REALISTIC_REALTIME_DELAYS.connectMs} ms, session.updated ${REALISTIC_REALTIME_DELAYS.sessionUpdatedMs} ms, first audio ${REALISTIC_REALTIME_DELAYS.firstAudioMs} ms; load avg ${load()}`,
    );
    // The kept greeting's first call records it.
    await oneCall(keeping, undefined);
    if ((await keeping.report()).keptGreetings !== 1) throw new Error('the first greeting was not kept');
    const rows: Row[] = [
      { id: 'a', path: "(a) today's path, no reservation", ringMs: undefined, keep: false },
      ...RINGS_MS.map((ringMs) => ({ id: 'b', path: '(b) reservation + warm session', ringMs, keep: false })),
      { id: 'kept', path: '    kept greeting, no reservation', ringMs: undefined, keep: true },
      ...RINGS_MS.map((ringMs) => ({
        id: 'c',
        path: '(c) reservation + warm + kept greeting',
        ringMs,
        keep: true,
      })),
    ];
    const table: string[][] = [];
    for (const row of rows.filter((r) => PATHS.has(r.id))) {
      const latencies = await runRow(row.keep ? keeping : plain, row.ringMs);
      const { p50, p99, max } = latencies.summary();
      const ring = row.ringMs === undefined ? '-' : String(row.ringMs);
      const min = ms(latencies.percentile(0));
      table.push([row.path, ring, String(latencies.count), min, ms(p50), ms(p99), ms(max)]);
    }
    console.log(
      `\n${formatTable(['path', 'ring ms', 'calls', 'min ms', 'p50 ms', 'p99 ms', 'max ms'], table)}\n\nstart → first agent audio at the caller; target: p99 < ${TARGET_P99_MS} ms with a reservation. Load avg now ${load()}. Prepared sessions left: ${(await plain.report()).preparedSessions + (await keeping.report()).preparedSessions}; sockets open at the fake after the runs settle: ${await settled(fake)}`,
    );
  } finally {
    await plain.stop();
    await keeping.stop();
    await fake.close();
    await registry.drain();
    await nc.close();
    await nats.stop();
  }
}

async function workerWith(natsUrl: string, fake: FakeRealtimeServer, keep: boolean): Promise<WorkerChild> {
  // The child inherits this process' environment.
  process.env.BENCH_WORKER_ENV = JSON.stringify({
    PORT: '0',
    NATS_URL: natsUrl,
    PUBLIC_MEDIA_URL,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    OPENAI_API_KEY: FAKE_OPENAI_API_KEY,
    OPENAI_REALTIME_URL: fake.url,
    KEEP_GREETING_AUDIO: String(keep),
    LOG_LEVEL: 'warn',
  });
  return IpcChild.start('test/bench/placement/worker-child.ts');
}

async function runRow(worker: WorkerChild, ringMs: number | undefined): Promise<Latencies> {
  const latencies = new Latencies();
  let next = 0;
  const lane = async () => {
    while (next < CALLS) {
      next++;
      latencies.record(await oneCall(worker, ringMs));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return latencies;
}

/** One call: reserved `ringMs` before its stream starts (or not at all); returns start → first audio. */
async function oneCall(worker: WorkerChild, ringMs: number | undefined): Promise<number> {
  const callSid = newCallSid();
  if (ringMs !== undefined) {
    worker.tell({ type: 'reserved', call: callFor(callSid), expiresAtMs: Date.now() + 10_000 });
    await sleep(ringMs);
  }
  let firstAt: number | undefined;
  const twilio = await TwilioMediaClient.connect({
    url: `ws://127.0.0.1:${worker.ready.port}/media-stream`,
    authToken: AUTH_TOKEN,
    signedUrl: PUBLIC_MEDIA_URL,
    record: false,
    onMedia: () => {
      firstAt ??= performance.now();
    },
  });
  twilio.sendConnected();
  const startedAt = performance.now();
  twilio.sendStart(callSid);
  if (ringMs !== undefined) worker.tell({ type: 'taken', callSid });
  await twilio.waitFor(() => firstAt !== undefined, 10_000, 'the first agent audio');
  twilio.close();
  await twilio.closed;
  return (firstAt as number) - startedAt;
}

/** Open sockets at the fake once every call has closed (each closes within its grace). */
async function settled(fake: FakeRealtimeServer): Promise<number> {
  await until(() => fake.openSockets === 0, 'the fake’s sockets closed', 5_000).catch(() => undefined);
  return fake.openSockets;
}

await main();
