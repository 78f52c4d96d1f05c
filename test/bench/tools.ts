// Benchmark of the media worker's tool calls: the round trip switchboard adds to a tool call, each leg timed
// on one clock (the fake model and the tool server share a process, test/bench/tools/fake-model.ts):
//   - to the tool: the model's `response.function_call_arguments.done` → the request at the tool server
//     (the worker parses the event, the bridge decides, the request is signed and sent over HTTP);
//   - back: the tool's reply → the `function_call_output` at the model.
// BENCH_TOOL_CALLS calls at once (default 100), each streaming 20 ms caller frames both ways as a real call
// does, each calling a tool every BENCH_TOOL_EVERY_MS (default 3,000, spread ±25%), for BENCH_STEP_SECONDS.
// The relay's latency is measured at the same time (stamped frames, as in media-worker.ts).
// Run: pnpm bench tools  (or node --conditions=switchboard-src --import tsx test/bench/tools.ts)
//
// The worker runs as its own process (services/media-worker/src/main.ts) on a throwaway nats-server. Its
// agent has a `lookup` tool: the registry's part (`call.bySid`) is a responder in this process answering
// every call with that agent, because the registry stores agents' tools only once issue 10's agent API lands.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectBus, ensureCallEventsStream, ServiceHost } from '@switchboard/bus';
import { type Agent, ENDPOINTS, REGISTRY_SERVICE_NAME } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import {
  FAKE_OPENAI_API_KEY,
  freePort,
  newCallSid,
  TestNatsServer,
  TwilioMediaClient,
  waitForPort,
} from '@switchboard/testkit';
import { spawnTsNode } from './lib/child.js';
import { processCpuMs } from './lib/cpu.js';
import { IpcChild } from './lib/ipc-child.js';
import { formatTable, ms } from './lib/table.js';
import { FRAME_MS, nowMs, readStamp, stampedFrame, summarise } from './media-worker/frames.js';
import type { ModelCommand, ModelReport } from './tools/fake-model.js';

const CALLS = Number(process.env.BENCH_TOOL_CALLS ?? 100);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 20);
const RAMP_MS = 2_000;
const WARMUP_MS = 4_000;
const SETTLE_MS = 2_000;
const TARGET_P99_MS = 5;
const AUTH_TOKEN = 'bench-auth-token';
const PUBLIC_MEDIA_URL = 'wss://bench.example.com/media-stream';
const SECRET = `whsec_${Buffer.from('switchboard bench tool signing key').toString('base64')}`;
const log = createLogger({ name: 'tools-bench', level: 'warn' });
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** The fake model and tool server's process, spoken to over IPC. */
type Model = IpcChild<ModelCommand, ModelReport, { url: string; toolUrl: string }>;

async function main(): Promise<void> {
  const nats = await TestNatsServer.start();
  const nc = await connectBus({ url: nats.url, name: 'tools-bench' });
  await ensureCallEventsStream(nc);
  const model: Model = await IpcChild.start('test/bench/tools/fake-model.ts');
  const agent: Agent = {
    id: 'orders',
    instructions: 'You look orders up.',
    voice: 'alloy',
    model: 'gpt-realtime',
    greeting: 'Hello!',
    tools: [
      {
        name: 'lookup',
        description: 'Look an order up',
        parameters: { type: 'object', properties: { order: { type: 'string' } } },
        url: model.ready.toolUrl,
      },
    ],
  };
  const registry = await ServiceHost.start(
    nc,
    { name: REGISTRY_SERVICE_NAME, version: '0.0.0', description: 'bench: every call has the lookup agent' },
    { log },
  );
  registry.addEndpoint('bySid', ENDPOINTS.callBySid, async ({ callSid }) => {
    const at = new Date().toISOString();
    return {
      callSid,
      direction: 'inbound' as const,
      from: '+15551230000',
      to: '+15559870000',
      status: 'in-progress' as const,
      agent,
      createdAt: at,
      updatedAt: at,
      answeredAt: at,
      endedAt: null,
      durationSeconds: null,
      endedReason: null,
      recording: null,
      answeredBy: null,
    };
  });
  const port = await freePort();
  const worker = spawnTsNode(
    'services/media-worker/src/main.ts',
    {
      PORT: String(port),
      NATS_URL: nats.url,
      PUBLIC_MEDIA_URL,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      OPENAI_API_KEY: FAKE_OPENAI_API_KEY,
      OPENAI_REALTIME_URL: model.ready.url,
      TOOL_SIGNING_SECRET: SECRET,
      TOOL_ALLOW_PRIVATE_URLS: 'true',
      MAX_CONCURRENT_CALLS: '2000',
      LOG_LEVEL: 'warn',
    },
    { stdio: 'ignore' },
  );
  try {
    await waitForPort(port, 60_000);
    console.log(
      `tools bench: ${CALLS} calls, a tool call each every ${process.env.BENCH_TOOL_EVERY_MS ?? 3_000} ms (±25%), ${STEP_SECONDS} s measured after ${RAMP_MS / 1000} s ramp + ${WARMUP_MS / 1000} s warm-up; load avg ${load()}`,
    );
    const result = await run(port, model, worker.pid);
    print(result);
  } finally {
    await worker.stop();
    await model.stop();
    await registry.drain();
    await nc.close();
    await nats.close();
  }
}

async function run(port: number, model: Model, workerPid: number) {
  let measuring = false;
  const down: number[] = [];
  let sentUp = 0;
  const clients: TwilioMediaClient[] = [];
  const senders: NodeJS.Timeout[] = [];
  await Promise.all(
    Array.from({ length: CALLS }, async (_, index) => {
      await sleep((RAMP_MS * index) / CALLS);
      const callSid = newCallSid();
      const twilio = await TwilioMediaClient.connect({
        url: `ws://127.0.0.1:${port}/media-stream`,
        authToken: AUTH_TOKEN,
        signedUrl: PUBLIC_MEDIA_URL,
        playback: 'manual',
        record: false,
        onMedia: (payload) => {
          if (measuring) down.push(nowMs() - readStamp(payload).sentAt);
        },
      });
      clients.push(twilio);
      twilio.sendConnected();
      twilio.sendStart(callSid);
      let seq = 0;
      senders.push(
        setInterval(() => {
          if (!twilio.isOpen) return;
          twilio.sendMedia(stampedFrame(nowMs(), index, seq++));
          sentUp++;
          twilio.play(FRAME_MS);
        }, FRAME_MS),
      );
    }),
  );
  await sleep(WARMUP_MS);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpuBefore = processCpuMs(workerPid) ?? 0;
  const started = performance.now();
  measuring = true;
  model.tell({ type: 'measure', on: true });
  await sleep(STEP_SECONDS * 1_000);
  model.tell({ type: 'measure', on: false });
  measuring = false;
  const wallMs = performance.now() - started;
  const cpuMs = (processCpuMs(workerPid) ?? 0) - cpuBefore;
  lag.disable();
  model.tell({ type: 'quiet' });
  for (const sender of senders) clearInterval(sender);
  await sleep(SETTLE_MS);
  const report = await model.report();
  for (const twilio of clients) twilio.close();
  return {
    report,
    down: summarise(down),
    lostUp: sentUp - report.receivedUp,
    cpuPercent: (cpuMs / wallMs) * 100,
    loadgenLagMs: lag.percentile(99) / 1e6,
    toolCallsPerSecond: report.calls / (wallMs / 1_000),
  };
}

function print(result: Awaited<ReturnType<typeof run>>): void {
  const { report, down } = result;
  const rows = [
    [
      'model → tool server',
      ms(report.toRequest.p50),
      ms(report.toRequest.p99),
      String(report.toRequest.count),
    ],
    ['tool server → model', ms(report.toOutput.p50), ms(report.toOutput.p99), String(report.toOutput.count)],
    [
      'floor: one HTTP hop there',
      ms(report.floorTo.p50),
      ms(report.floorTo.p99),
      String(report.floorTo.count),
    ],
    [
      'floor: one HTTP hop back',
      ms(report.floorBack.p50),
      ms(report.floorBack.p99),
      String(report.floorBack.count),
    ],
    ['relay up (Twilio → model)', ms(report.up.p50), ms(report.up.p99), String(report.up.count)],
    ['relay down (model → Twilio)', ms(down.p50), ms(down.p99), String(down.count)],
  ];
  console.log(`\n${formatTable(['leg', 'p50 ms', 'p99 ms', 'samples'], rows)}`);
  console.log(
    `\n${result.toolCallsPerSecond.toFixed(1)} tool calls/s; ${report.unanswered} measured calls unanswered; ` +
      `${result.lostUp} caller frames lost; worker CPU ${result.cpuPercent.toFixed(1)}% of a core; ` +
      `load generator lag p99 ${result.loadgenLagMs.toFixed(1)} ms; load avg ${load()}`,
  );
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  console.log(
    `through the worker over the floor's hop, same run: to the tool p50 ${ratio(report.toRequest.p50, report.floorTo.p50)} ` +
      `p99 ${ratio(report.toRequest.p99, report.floorTo.p99)}; back p50 ${ratio(report.toOutput.p50, report.floorBack.p50)} ` +
      `p99 ${ratio(report.toOutput.p99, report.floorBack.p99)}; each leg's p99 over the relay's up p99: ` +
      `${ratio(report.toRequest.p99, report.up.p99)}, ${ratio(report.toOutput.p99, report.up.p99)}`,
  );

  for (const [name, leg] of [
    ['to the tool', report.toRequest],
    ['back to the model', report.toOutput],
  ] as const) {
    console.log(
      `  p99 < ${TARGET_P99_MS} ms ${name}: ${leg.p99 < TARGET_P99_MS ? 'PASS' : 'FAIL'} (${ms(leg.p99)} ms)`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
