// Benchmark of the media worker: simulated calls, each streaming 20 ms frames both ways through the worker
// (Twilio Media Streams in, OpenAI Realtime out) with one barge-in per call.
// Run: node --conditions=switchboard-src --import tsx test/bench/media-worker.ts
//
// It starts its own nats-server, a database cloned from the migrated template, the registry and the worker
// (each a child process, so the worker's CPU is its own), and here, in this process, the load generator:
// one Twilio media client per call and the fake OpenAI Realtime server. Every caller frame carries its send
// time, its call and its sequence number in its audio bytes, and so does every agent chunk: the receiving
// side measures latency and finds lost or reordered frames without any help from the worker, which relays
// the bytes unchanged. Barge-in reaction is from the fake's `speech_started` to Twilio receiving `clear`.
// The same load then goes through a minimal reference bridge (test/bench/media-worker/reference-bridge.ts) for
// comparison on the same machine. BENCH_CALLS (comma-separated), BENCH_STEP_SECONDS and BENCH_CONTENDERS
// (worker,reference) override the defaults; BENCH_WORKER_PROFILE_DIR
// writes a V8 CPU profile of the worker there.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectBus, registryClient } from '@switchboard/bus';
import { MIGRATIONS_KEY, migrate } from '@switchboard/call-registry';
import {
  createTestDatabase,
  FAKE_OPENAI_API_KEY,
  FakeRealtimeServer,
  type FakeRealtimeSession,
  freePort,
  TestNatsServer,
  TwilioMediaClient,
  waitForPort,
} from '@switchboard/testkit';
import { type NodeChild, spawnTsNode } from './lib/child.js';
import { processCpuMs } from './lib/cpu.js';
import { Latencies } from './lib/latency.js';
import { formatTable } from './lib/table.js';

const PROFILE_DIR = process.env.BENCH_WORKER_PROFILE_DIR;
const CALLS = (process.env.BENCH_CALLS ?? '50,100,200,400').split(',').map(Number);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 15);
/** Calls are dialled over this long, then given this long before measuring. */
const RAMP_MS = 2_000;
const WARMUP_MS = 3_000;
/** After the streams stop sending, how long frames in flight get to arrive before losses are counted. */
const SETTLE_MS = 1_500;
const FRAME_MS = 20;
const FRAME_BYTES = 160;
/** The issue's targets. */
const TARGET_CALLS = 200;
const TARGET_P99_MS = 20;
const TARGET_CPU_PER_CALL_PERCENT = 0.12;

const AUTH_TOKEN = 'bench-auth-token';
const PUBLIC_MEDIA_URL = 'wss://bench.example.com/media-stream';
const REGISTRY_MAIN = 'services/call-registry/src/main.ts';
const WORKER_MAIN = 'services/media-worker/src/main.ts';
const REFERENCE_MAIN = 'test/bench/media-worker/reference-bridge.ts';
const FLOOR_MAIN = 'test/bench/media-worker/floor-relay.ts';
const MAINS: Record<string, string> = { worker: WORKER_MAIN, reference: REFERENCE_MAIN, floor: FLOOR_MAIN };
/**
 * `worker` (this project's), `reference` (the minimal bridge the issue compares it with), `floor` (what the
 * sockets cost alone), or the path of another entry point (a variant under trial).
 */
const CONTENDERS = (process.env.BENCH_CONTENDERS ?? 'worker,reference').split(',');

/** A frame whose first bytes say when it was sent, by whom and in what order; the rest is silence. */
function stampedFrame(sentAt: number, stream: number, seq: number): string {
  const frame = Buffer.alloc(FRAME_BYTES, 0xff);
  frame.writeDoubleLE(sentAt, 0);
  frame.writeUInt32LE(stream, 8);
  frame.writeUInt32LE(seq, 12);
  return frame.toString('base64');
}

function readStamp(payload: string): { sentAt: number; stream: number; seq: number } {
  const frame = Buffer.from(payload.slice(0, 24), 'base64');
  return { sentAt: frame.readDoubleLE(0), stream: frame.readUInt32LE(8), seq: frame.readUInt32LE(12) };
}

/** Frames of one direction of one call: sent, received, and gaps in the sequence. */
class FrameTally {
  sent = 0;
  received = 0;
  reordered = 0;
  private next = 0;

  receive(seq: number): void {
    this.received++;
    if (seq < this.next) this.reordered++;
    else this.next = seq + 1;
  }

  get lost(): number {
    return this.sent - this.received;
  }
}

interface SimulatedCall {
  index: number;
  callSid: string;
  twilio: TwilioMediaClient | undefined;
  session: FakeRealtimeSession | undefined;
  up: FrameTally;
  down: FrameTally;
  sender: NodeJS.Timeout | undefined;
  agentSpeaking: boolean;
  bargeInAt: number | undefined;
  speechAt: number | undefined;
}

interface StepResult {
  contender: string;
  calls: number;
  up: Latencies;
  down: Latencies;
  bargeToClear: Latencies;
  bargeToTruncate: Latencies;
  lostUp: number;
  lostDown: number;
  reordered: number;
  workerCpuPercent: number;
  /** Worker CPU per audio frame relayed (either way) in the window, in microseconds. */
  cpuPerFrameUs: number;
  /** Audio frames relayed per second, both ways (50 a second per call each way when all keep up). */
  framesPerSecond: number;
  /** Share of the worker's CPU spent in the kernel (system time). */
  systemShare: number;
  rssMb: number;
  loadgenLagP99Ms: number;
  failedCalls: number;
}

/** User and system CPU time of a process so far, in milliseconds (Linux: 100 clock ticks a second). */
function cpuSplitMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function liveStreams(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return ((await res.json()) as { liveStreams: number }).liveStreams;
}

async function runStep(
  n: number,
  deps: {
    fake: FakeRealtimeServer;
    calls: Map<FakeRealtimeSession, SimulatedCall>;
    registry: ReturnType<typeof registryClient>;
    workerPid: number;
    workerPort: number;
  },
): Promise<StepResult> {
  const { fake, registry, workerPid, workerPort } = deps;
  const byIndex: SimulatedCall[] = [];
  let measuring = false;
  const result: StepResult = {
    contender: '',
    calls: n,
    up: new Latencies(),
    down: new Latencies(),
    bargeToClear: new Latencies(),
    bargeToTruncate: new Latencies(),
    lostUp: 0,
    lostDown: 0,
    reordered: 0,
    workerCpuPercent: 0,
    cpuPerFrameUs: 0,
    framesPerSecond: 0,
    systemShare: 0,
    rssMb: 0,
    loadgenLagP99Ms: 0,
    failedCalls: 0,
  };
  stepHooks.current = { byIndex, result, isMeasuring: () => measuring, sessions: deps.calls };

  const callSids = await Promise.all(
    Array.from({ length: n }, async () => {
      const callSid = `CA${randomBytes(16).toString('hex')}`;
      await registry.callCreate({ callSid, direction: 'inbound', from: '+15551230000', to: '+15559870000' });
      return callSid;
    }),
  );

  const dial = async (index: number) => {
    await sleep((RAMP_MS * index) / n);
    const call: SimulatedCall = {
      index,
      callSid: callSids[index] as string,
      twilio: undefined,
      session: undefined,
      up: new FrameTally(),
      down: new FrameTally(),
      sender: undefined,
      agentSpeaking: false,
      bargeInAt: undefined,
      speechAt: undefined,
    };
    byIndex[index] = call;
    const twilio = await TwilioMediaClient.connect({
      url: `ws://127.0.0.1:${workerPort}/media-stream`,
      authToken: AUTH_TOKEN,
      signedUrl: PUBLIC_MEDIA_URL,
      playback: 'manual',
      record: false,
      onMedia: (payload) => {
        const now = performance.now();
        const { sentAt, seq } = readStamp(payload);
        call.down.receive(seq);
        if (measuring) result.down.record(now - sentAt);
      },
      onClear: () => {
        if (call.bargeInAt !== undefined && measuring)
          result.bargeToClear.record(performance.now() - call.bargeInAt);
        call.bargeInAt = undefined;
      },
    });
    call.twilio = twilio;
    twilio.sendConnected();
    twilio.sendStart(call.callSid);
    // Twilio streams from the first moment, before the worker has a Realtime session: these count too.
    const send = () => {
      if (!twilio.isOpen) return;
      twilio.sendMedia(stampedFrame(performance.now(), index, call.up.sent++));
      twilio.play(FRAME_MS);
    };
    send();
    call.sender = setInterval(send, FRAME_MS);
  };
  const dialled = await Promise.allSettled(Array.from({ length: n }, (_, i) => dial(i)));
  result.failedCalls = dialled.filter((d) => d.status === 'rejected').length;

  await sleep(WARMUP_MS);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpuBefore = processCpuMs(workerPid) ?? 0;
  const splitBefore = cpuSplitMs(workerPid);
  const startedAt = performance.now();
  measuring = true;
  // One barge-in per call, spread over the window, while the agent is speaking.
  const bargeIns = byIndex.map((call, i) =>
    setTimeout(
      () => {
        const session = call.session;
        if (!session || session.closed || !call.agentSpeaking) return;
        call.bargeInAt = performance.now();
        call.speechAt = call.bargeInAt;
        call.agentSpeaking = false;
        session.speechStarted();
        setTimeout(() => {
          if (session.closed) return;
          call.agentSpeaking = true;
          session.startResponse();
        }, 300);
      },
      ((i + 0.5) * (STEP_SECONDS * 1_000 - 1_000)) / n,
    ),
  );
  await sleep(STEP_SECONDS * 1_000);
  measuring = false;
  const wallMs = performance.now() - startedAt;
  const cpuMs = (processCpuMs(workerPid) ?? 0) - cpuBefore;
  result.workerCpuPercent = (cpuMs / wallMs) * 100;
  const framesRelayed = result.up.count + result.down.count;
  result.framesPerSecond = framesRelayed / (wallMs / 1_000);
  result.cpuPerFrameUs = (cpuMs * 1_000) / Math.max(1, framesRelayed);
  const splitAfter = cpuSplitMs(workerPid);
  const system = splitAfter.system - splitBefore.system;
  result.systemShare = system / Math.max(1, system + splitAfter.user - splitBefore.user);
  result.rssMb = rssMb(workerPid);
  lag.disable();
  result.loadgenLagP99Ms = lag.percentile(99) / 1e6;
  for (const timer of bargeIns) clearTimeout(timer);

  // Stop both directions, let what is in flight arrive, then count.
  for (const call of byIndex) {
    clearInterval(call?.sender);
    if (call) call.agentSpeaking = false;
  }
  await sleep(SETTLE_MS);
  for (const call of byIndex) {
    if (!call) continue;
    result.lostUp += call.up.lost;
    result.lostDown += call.down.lost;
    result.reordered += call.up.reordered + call.down.reordered;
  }
  for (const call of byIndex) call?.twilio?.sendStop(call.callSid);
  const deadline = Date.now() + 15_000;
  while ((await liveStreams(workerPort)) > 0 && Date.now() < deadline) await sleep(100);
  for (const call of byIndex) call?.twilio?.close();
  fake.dropAll();
  deps.calls.clear();
  return result;
}

/** What the fake's hooks need to know about the step running now. */
const stepHooks: {
  current:
    | {
        byIndex: SimulatedCall[];
        result: StepResult;
        isMeasuring: () => boolean;
        sessions: Map<FakeRealtimeSession, SimulatedCall>;
      }
    | undefined;
} = { current: undefined };

async function main(): Promise<void> {
  const nats = await TestNatsServer.start();
  const db = await createTestDatabase({
    templateKey: MIGRATIONS_KEY,
    migrate: (url) => migrate(url).then(() => undefined),
  });
  const children: NodeChild[] = [];
  const sessions = new Map<FakeRealtimeSession, SimulatedCall>();
  const agentSeq = new WeakMap<FakeRealtimeSession, number>();

  const fake = await FakeRealtimeServer.start({
    recordAudio: false,
    // The agent talks in real time, 20 ms a chunk, until the caller barges in or the step ends.
    response: (session) => ({
      chunkIntervalMs: FRAME_MS,
      transcript: 'Thanks for calling, let me look that up for you.',
      audio: () => {
        const call = sessions.get(session);
        if (call && !call.agentSpeaking) return undefined;
        if (call) call.down.sent++;
        const seq = agentSeq.get(session) ?? 0;
        agentSeq.set(session, seq + 1);
        return stampedFrame(performance.now(), call?.index ?? 0, seq);
      },
    }),
    onCallerAudio: (session, payload) => {
      const now = performance.now();
      const step = stepHooks.current;
      if (!step) return;
      const { sentAt, stream, seq } = readStamp(payload);
      const call = step.byIndex[stream];
      if (!call) return;
      if (call.session !== session) {
        call.session = session;
        call.agentSpeaking = true;
        step.sessions.set(session, call);
        // Agent audio the session sent before it was known to be this call's (a bridge that drops the
        // first caller frames has its greeting under way by now).
        call.down.sent += agentSeq.get(session) ?? 0;
      }
      call.up.receive(seq);
      if (step.isMeasuring()) step.result.up.record(now - sentAt);
    },
    onEvent: (session, event) => {
      const step = stepHooks.current;
      const call = step?.sessions.get(session);
      if (!step || !call || call.speechAt === undefined) return;
      if (event.type === 'conversation.item.truncate' || event.type === 'conversation.item.delete') {
        if (step.isMeasuring()) step.result.bargeToTruncate.record(performance.now() - call.speechAt);
        call.speechAt = undefined;
      }
    },
  });

  try {
    const registryPort = await freePort();
    const registry = spawnTsNode(
      REGISTRY_MAIN,
      {
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        PORT: String(registryPort),
        MIGRATE_ON_START: 'false',
        LOG_LEVEL: 'warn',
      },
      { stdio: 'ignore' },
    );
    children.push(registry);
    await waitForPort(registryPort, 60_000);
    const nc = await connectBus({ url: nats.url, name: 'media-worker-bench' });
    const client = registryClient(nc, { timeoutMs: 10_000 });
    console.log(
      `media-worker bench: ${CALLS.join(', ')} concurrent calls, ${STEP_SECONDS} s measured each (after ${RAMP_MS / 1000} s ramp + ${WARMUP_MS / 1000} s warm-up); load avg ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    const results: StepResult[] = [];
    for (const contender of CONTENDERS) {
      const workerPort = await freePort();
      const worker = spawnTsNode(
        MAINS[contender] ?? contender,
        {
          PORT: String(workerPort),
          NATS_URL: nats.url,
          PUBLIC_MEDIA_URL,
          TWILIO_AUTH_TOKEN: AUTH_TOKEN,
          OPENAI_API_KEY: FAKE_OPENAI_API_KEY,
          OPENAI_REALTIME_URL: fake.url,
          MAX_CONCURRENT_CALLS: '2000',
          LOG_LEVEL: 'warn',
        },
        { stdio: 'ignore', nodeArgs: PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [] },
      );
      children.push(worker);
      await waitForPort(workerPort, 60_000);
      console.log(`${contender}: idle RSS ${rssMb(worker.pid).toFixed(0)} MB`);
      for (const n of CALLS) {
        const r = await runStep(n, {
          fake,
          calls: sessions,
          registry: client,
          workerPid: worker.pid,
          workerPort,
        });
        r.contender = contender;
        results.push(r);
        console.log(
          `  ${n} calls: up p99 ${r.up.percentile(99).toFixed(1)} ms, down p99 ${r.down.percentile(99).toFixed(1)} ms, CPU ${r.workerCpuPercent.toFixed(0)}%`,
        );
        await sleep(1_000);
      }
      await worker.stop();
    }
    await nc.close();

    const ms = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(1));
    console.log(
      `\n${formatTable(
        [
          'bridge',
          'calls',
          'up p50',
          'up p99',
          'down p50',
          'down p99',
          'barge→clear p50/p99',
          'barge→truncate p99',
          'lost up',
          'lost down',
          'reordered',
          'worker CPU',
          'CPU/call',
          'µs/frame',
          'frames/s',
          'kernel',
          'RSS MB',
          'loadgen lag p99',
        ],
        results.map((r) => [
          r.contender,
          String(r.calls),
          ms(r.up.percentile(50)),
          ms(r.up.percentile(99)),
          ms(r.down.percentile(50)),
          ms(r.down.percentile(99)),
          `${ms(r.bargeToClear.percentile(50))}/${ms(r.bargeToClear.percentile(99))}`,
          ms(r.bargeToTruncate.percentile(99)),
          String(r.lostUp),
          String(r.lostDown),
          String(r.reordered),
          `${r.workerCpuPercent.toFixed(1)}%`,
          `${(r.workerCpuPercent / r.calls).toFixed(3)}%`,
          r.cpuPerFrameUs.toFixed(1),
          r.framesPerSecond.toFixed(0),
          `${(r.systemShare * 100).toFixed(0)}%`,
          r.rssMb.toFixed(0),
          ms(r.loadgenLagP99Ms),
        ]),
      )}`,
    );
    console.log(
      'latencies in ms; up = Twilio → OpenAI, down = OpenAI → Twilio, both measured in the load generator',
    );

    const holds = (r: StepResult) =>
      r.up.percentile(99) < TARGET_P99_MS &&
      r.down.percentile(99) < TARGET_P99_MS &&
      r.lostUp === 0 &&
      r.lostDown === 0 &&
      r.reordered === 0 &&
      r.failedCalls === 0;
    const ours = results.filter((r) => r.contender === 'worker');
    const atTarget = ours.find((r) => r.calls === TARGET_CALLS);
    console.log('\nverdicts');
    if (atTarget) {
      const cpuPerCall = atTarget.workerCpuPercent / atTarget.calls;
      console.log(
        `  p99 under ${TARGET_P99_MS} ms each way at ${TARGET_CALLS} calls, nothing lost: ${holds(atTarget) ? 'PASS' : 'FAIL'}`,
      );
      console.log(
        `  worker CPU per call at ${TARGET_CALLS} calls ≤ ${TARGET_CPU_PER_CALL_PERCENT}% of a core: ${cpuPerCall <= TARGET_CPU_PER_CALL_PERCENT ? 'PASS' : 'FAIL'} (${cpuPerCall.toFixed(3)}%)`,
      );
    }
    const holding = ours.filter(holds).map((r) => r.calls);
    console.log(
      `  largest N measured that holds the latency target with nothing lost: ${holding.length ? Math.max(...holding) : 'none'}`,
    );
    for (const r of results)
      if (r.failedCalls > 0) console.log(`  ${r.calls} calls: ${r.failedCalls} failed to connect`);
  } finally {
    await fake.close();
    for (const child of children.reverse()) await child.stop();
    await nats.close();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
