// Benchmark of the media worker: simulated calls, each streaming 20 ms frames both ways through the worker
// (Twilio Media Streams in, OpenAI Realtime out), with one barge-in per call.
// Run: node --conditions=switchboard-src --import tsx test/bench/media-worker.ts
//
// It starts its own nats-server, a database cloned from the migrated template, the registry and the worker
// as child processes (so the worker's CPU is its own), the fake OpenAI Realtime server as another child
// (test/bench/media-worker/fake-openai.ts), and runs the Twilio side here: one media client per call.
// Every caller frame carries its send time, its call and its sequence number in its audio bytes, and so does
// every agent chunk: the receiving process measures latency and finds lost or reordered frames without help
// from the worker, which relays the bytes unchanged. Barge-in reaction is from the fake's `speech_started` to
// Twilio receiving `clear` (and to the fake receiving the truncate or delete).
// The same load then goes through a minimal reference bridge (test/bench/media-worker/reference-bridge.ts)
// and a socket floor (floor-relay.ts) for comparison on the same machine.
// BENCH_CALLS (comma-separated), BENCH_STEP_SECONDS and BENCH_CONTENDERS (worker,reference,floor, or entry
// point paths) override the defaults; BENCH_WORKER_PROFILE_DIR writes V8 CPU profiles of the contenders;
// BENCH_NODE_ARGS gives the contenders Node flags (`--trace-gc`, `--max-semi-space-size=32`) and their output.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectBus, registryClient } from '@switchboard/bus';
import { testDatabase } from '@switchboard/call-registry/testing';
import {
  FAKE_OPENAI_API_KEY,
  freePort,
  newCallSid,
  TestNatsServer,
  TwilioMediaClient,
  waitForPort,
} from '@switchboard/testkit';
import { spawnTsNode } from './lib/child.js';
import { IpcChild } from './lib/ipc-child.js';
import { formatTable } from './lib/table.js';
import type { FakeCommand, FakeReport } from './media-worker/fake-openai.js';
import { FRAME_MS, FrameTally, nowMs, readStamp, stampedFrame, summarise } from './media-worker/frames.js';

const PROFILE_DIR = process.env.BENCH_WORKER_PROFILE_DIR;
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const CALLS = (process.env.BENCH_CALLS ?? '50,100,200,400').split(',').map(Number);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 15);
const CONTENDERS = (process.env.BENCH_CONTENDERS ?? 'worker,reference,floor').split(',');
const MAINS: Record<string, string> = {
  worker: 'services/media-worker/src/main.ts',
  reference: 'test/bench/media-worker/reference-bridge.ts',
  floor: 'test/bench/media-worker/floor-relay.ts',
};
const REGISTRY_MAIN = 'services/call-registry/src/main.ts';
const FAKE_MAIN = 'test/bench/media-worker/fake-openai.ts';
/** Calls are dialled over this long, then given this long before measuring. */
const RAMP_MS = 2_000;
const WARMUP_MS = 3_000;
/** After both sides stop sending, how long frames in flight get before losses are counted. */
const SETTLE_MS = 1_500;
/** The targets. */
const TARGET_CALLS = 200;
const TARGET_P99_MS = 20;
const TARGET_CPU_PER_CALL_PERCENT = 0.12;

const AUTH_TOKEN = 'bench-auth-token';
const PUBLIC_MEDIA_URL = 'wss://bench.example.com/media-stream';

interface Summary {
  p50: number;
  p99: number;
  count: number;
}

interface StepResult {
  contender: string;
  calls: number;
  up: Summary;
  down: Summary;
  bargeToClear: Summary;
  bargeToTruncate: Summary;
  lostUp: number;
  lostDown: number;
  reordered: number;
  failedCalls: number;
  cpuPercent: number;
  /** Worker CPU per frame relayed (either way) in the window, microseconds. */
  cpuPerFrameUs: number;
  /** Frames relayed a second, both ways (100 a second per call when everything keeps up). */
  framesPerSecond: number;
  /** Share of the worker's CPU spent in the kernel. */
  kernelShare: number;
  rssMb: number;
  /** The worker's V8 heap in use once the step's streams are gone (its /metrics), to spot leaks. */
  heapAfterMb: number;
  /** How late this process's event loop ran (p99): its own lateness is part of the latencies. */
  loadgenLagMs: number;
}

/** The fake Realtime server's process, spoken to over IPC. */
type FakeOpenAi = IpcChild<FakeCommand, FakeReport, { url: string }>;

function cpuSplitMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

/** `nodejs_heap_size_used_bytes` of a bridge serving /metrics (the worker), in MiB; NaN for others. */
async function heapUsedMb(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!res.ok) return Number.NaN;
  const bytes = /^nodejs_heap_size_used_bytes (\d+)/m.exec(await res.text())?.[1];
  return bytes === undefined ? Number.NaN : Number(bytes) / 2 ** 20;
}

async function liveStreams(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return ((await res.json()) as { liveStreams: number }).liveStreams;
}

interface Call {
  callSid: string;
  twilio: TwilioMediaClient | undefined;
  up: FrameTally;
  down: FrameTally;
  sender: NodeJS.Timeout | undefined;
  clearAt: number | undefined;
}

async function runStep(
  contender: string,
  n: number,
  deps: { fake: FakeOpenAi; registry: ReturnType<typeof registryClient>; workerPid: number; port: number },
): Promise<StepResult> {
  const { fake, registry, workerPid, port } = deps;
  fake.tell({ type: 'step' });
  let measuring = false;
  const downSamples: number[] = [];
  const calls: Call[] = await Promise.all(
    Array.from({ length: n }, async () => {
      const callSid = newCallSid();
      await registry.callCreate({ callSid, direction: 'inbound', from: '+15551230000', to: '+15559870000' });
      const call: Call = {
        callSid,
        twilio: undefined,
        up: new FrameTally(),
        down: new FrameTally(),
        sender: undefined,
        clearAt: undefined,
      };
      return call;
    }),
  );

  const dial = async (index: number, call: Call) => {
    await sleep((RAMP_MS * index) / n);
    const twilio = await TwilioMediaClient.connect({
      url: `ws://127.0.0.1:${port}/media-stream`,
      authToken: AUTH_TOKEN,
      signedUrl: PUBLIC_MEDIA_URL,
      playback: 'manual',
      record: false,
      onMedia: (payload) => {
        const now = nowMs();
        const { sentAt, seq } = readStamp(payload);
        call.down.receive(seq);
        if (measuring) downSamples.push(now - sentAt);
      },
      onClear: () => {
        call.clearAt ??= nowMs();
      },
    });
    call.twilio = twilio;
    twilio.sendConnected();
    twilio.sendStart(call.callSid);
    // Twilio streams from the first moment, before the bridge has a Realtime session: these count too.
    const send = () => {
      if (!twilio.isOpen) return;
      twilio.sendMedia(stampedFrame(nowMs(), index, call.up.sent++));
      twilio.play(FRAME_MS);
    };
    send();
    call.sender = setInterval(send, FRAME_MS);
  };
  const dialled = await Promise.allSettled(calls.map((call, i) => dial(i, call)));

  await sleep(WARMUP_MS);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpuBefore = cpuSplitMs(workerPid);
  const startedAt = performance.now();
  measuring = true;
  fake.tell({ type: 'measure', on: true });
  // One barge-in per call, spread over the window.
  const bargeIns = calls.map((_, i) =>
    setTimeout(
      () => fake.tell({ type: 'barge', stream: i }),
      ((i + 0.5) * (STEP_SECONDS * 1_000 - 1_000)) / n,
    ),
  );
  await sleep(STEP_SECONDS * 1_000);
  measuring = false;
  fake.tell({ type: 'measure', on: false });
  const wallMs = performance.now() - startedAt;
  const cpuAfter = cpuSplitMs(workerPid);
  const rss = rssMb(workerPid);
  lag.disable();
  for (const timer of bargeIns) clearTimeout(timer);

  // Stop both directions, let what is in flight arrive, then count.
  for (const call of calls) clearInterval(call.sender);
  fake.tell({ type: 'quiet' });
  await sleep(SETTLE_MS);
  const report = await fake.report();
  let lostUp = 0;
  let lostDown = 0;
  let reordered = 0;
  const bargeToClear: number[] = [];
  calls.forEach((call, i) => {
    const seen = report.streams.find((s) => s.stream === i);
    lostUp += call.up.sent - (seen?.received ?? 0);
    lostDown += (seen?.agentSent ?? 0) - call.down.received;
    reordered += (seen?.reordered ?? 0) + call.down.reordered;
    if (seen?.speechAt !== undefined && call.clearAt !== undefined)
      bargeToClear.push(call.clearAt - seen.speechAt);
  });
  for (const call of calls) call.twilio?.sendStop(call.callSid);
  const deadline = Date.now() + 15_000;
  while ((await liveStreams(port)) > 0 && Date.now() < deadline) await sleep(100);
  for (const call of calls) call.twilio?.close();
  fake.tell({ type: 'drop' });
  await sleep(2_000);
  const heapAfterMb = await heapUsedMb(port);

  const cpuMs = cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system;
  const down = summarise(downSamples);
  const framesRelayed = report.up.count + down.count;
  return {
    contender,
    calls: n,
    up: report.up,
    down,
    bargeToClear: summarise(bargeToClear),
    bargeToTruncate: report.bargeToTruncate,
    lostUp,
    lostDown,
    reordered,
    failedCalls: dialled.filter((d) => d.status === 'rejected').length,
    cpuPercent: (cpuMs / wallMs) * 100,
    cpuPerFrameUs: (cpuMs * 1_000) / Math.max(1, framesRelayed),
    framesPerSecond: framesRelayed / (wallMs / 1_000),
    kernelShare: (cpuAfter.system - cpuBefore.system) / Math.max(1, cpuMs),
    rssMb: rss,
    heapAfterMb,
    loadgenLagMs: lag.percentile(99) / 1e6,
  };
}

function printResults(results: StepResult[]): void {
  // NaN (no samples) comes back from the fake's process as null.
  const ms = (v: number | null) => (v === null || Number.isNaN(v) ? '-' : v.toFixed(1));
  const header = [
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
    'CPU',
    'CPU/call',
    'µs/frame',
    'frames/s',
    'kernel',
    'RSS MB',
    'heap after MB',
    'loadgen lag p99',
  ];
  const rows = results.map((r) => [
    r.contender.replace(/^.*\/(.+)\/main\.ts$/, '$1'),
    String(r.calls),
    ms(r.up.p50),
    ms(r.up.p99),
    ms(r.down.p50),
    ms(r.down.p99),
    `${ms(r.bargeToClear.p50)}/${ms(r.bargeToClear.p99)}`,
    ms(r.bargeToTruncate.p99),
    String(r.lostUp),
    String(r.lostDown),
    String(r.reordered),
    `${r.cpuPercent.toFixed(1)}%`,
    `${(r.cpuPercent / r.calls).toFixed(3)}%`,
    r.cpuPerFrameUs.toFixed(1),
    r.framesPerSecond.toFixed(0),
    `${(r.kernelShare * 100).toFixed(0)}%`,
    r.rssMb.toFixed(0),
    ms(r.heapAfterMb),
    ms(r.loadgenLagMs),
  ]);
  console.log(`\n${formatTable(header, rows)}`);
  console.log(
    'latencies in ms (up = Twilio → OpenAI, down = OpenAI → Twilio), each from send to receipt in another process;',
  );
  console.log(
    'CPU is the bridge process only; frames/s counts both directions (100 a second per call at full rate)',
  );

  const holds = (r: StepResult) =>
    r.up.p99 < TARGET_P99_MS &&
    r.down.p99 < TARGET_P99_MS &&
    r.lostUp === 0 &&
    r.lostDown === 0 &&
    r.reordered === 0 &&
    r.failedCalls === 0;
  const ours = results.filter((r) => r.contender === 'worker');
  const atTarget = ours.find((r) => r.calls === TARGET_CALLS);
  console.log('\nverdicts (worker)');
  if (atTarget) {
    const perCall = atTarget.cpuPercent / atTarget.calls;
    console.log(
      `  p99 < ${TARGET_P99_MS} ms each way at ${TARGET_CALLS} calls, nothing lost: ${holds(atTarget) ? 'PASS' : 'FAIL'}`,
    );
    console.log(
      `  CPU per call at ${TARGET_CALLS} calls ≤ ${TARGET_CPU_PER_CALL_PERCENT}% of a core: ${perCall <= TARGET_CPU_PER_CALL_PERCENT ? 'PASS' : 'FAIL'} (${perCall.toFixed(3)}%)`,
    );
  }
  const holding = ours.filter(holds).map((r) => r.calls);
  console.log(
    `  largest N measured holding the latency target, nothing lost: ${holding.length ? Math.max(...holding) : 'none'}`,
  );
  for (const r of results) {
    if (r.failedCalls > 0)
      console.log(`  ${r.contender} at ${r.calls} calls: ${r.failedCalls} failed to connect`);
  }
}

async function main(): Promise<void> {
  const nats = await TestNatsServer.start();
  const db = await testDatabase();
  const fake: FakeOpenAi = await IpcChild.start(FAKE_MAIN);
  const stops: Array<() => Promise<void>> = [() => fake.stop()];
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
    stops.push(() => registry.stop());
    await waitForPort(registryPort, 60_000);
    const nc = await connectBus({ url: nats.url, name: 'media-worker-bench' });
    const client = registryClient(nc, { timeoutMs: 10_000 });
    const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(
      `media-worker bench: ${CALLS.join(', ')} calls, ${STEP_SECONDS} s measured each after ${RAMP_MS / 1000} s ramp + ${WARMUP_MS / 1000} s warm-up; load avg ${load()}`,
    );
    const results: StepResult[] = [];
    // Each load level runs through every contender in turn, each in a fresh process, so that they are
    // compared under the same conditions (this machine's other load changes by the minute).
    for (const n of CALLS) {
      for (const contender of CONTENDERS) {
        const port = await freePort();
        const bridge = spawnTsNode(
          MAINS[contender] ?? contender,
          {
            PORT: String(port),
            NATS_URL: nats.url,
            PUBLIC_MEDIA_URL,
            TWILIO_AUTH_TOKEN: AUTH_TOKEN,
            OPENAI_API_KEY: FAKE_OPENAI_API_KEY,
            OPENAI_REALTIME_URL: fake.ready.url,
            MAX_CONCURRENT_CALLS: '2000',
            LOG_LEVEL: 'warn',
          },
          {
            stdio: NODE_ARGS.length > 0 ? 'inherit' : 'ignore',
            nodeArgs: [...NODE_ARGS, ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])],
          },
        );
        stops.push(() => bridge.stop());
        await waitForPort(port, 60_000);
        const idleRss = rssMb(bridge.pid);
        const r = await runStep(contender, n, { fake, registry: client, workerPid: bridge.pid, port });
        results.push(r);
        console.log(
          `  ${contender} ${n} calls: up p99 ${r.up.p99.toFixed(1)} ms, down p99 ${r.down.p99.toFixed(1)} ms, CPU ${r.cpuPercent.toFixed(0)}% (${r.cpuPerFrameUs.toFixed(1)} µs/frame at ${r.framesPerSecond.toFixed(0)} frames/s), RSS ${idleRss.toFixed(0)} MB idle, load avg ${load()}`,
        );
        await bridge.stop();
        await sleep(1_000);
      }
    }
    await nc.close();
    printResults(results);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
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
