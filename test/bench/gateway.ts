// Benchmark of `POST /twilio/voice` through the whole stack: webhook-gateway → NATS → call-registry →
// PostgreSQL, with requests signed as Twilio signs them. Open loop at fixed offered rates; each request
// registers a new call. Run: node --conditions=switchboard-src --import tsx test/bench/gateway.ts
//
// It starts its own nats-server, a database cloned from the migrated template, and the registry and the
// gateway as child processes (each on its own event loop, as in production, at their default log level).
// The load generator runs here. Then, in the same run, the registry is replaced by a NATS responder that
// answers `call.create` with a fixed Call without touching a database: the gateway's own share; and then
// once more with a media worker process announcing itself, so each call is also placed on it
// (`worker.reserve.<id>`): what placement adds.
//   pnpm bench gateway [--rates 50,200,500] [--step-seconds 15] [--synchronous-commit off]
//                      [--profile-gateway <folder>]
// --synchronous-commit sets PostgreSQL's synchronous_commit on the bench's own database, to show what waiting
// for the WAL flush costs on this machine. The load average is printed: other work on the machine shows up
// in the tail latencies, and in "gen lag" (how late the generator itself sent).
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectBus } from '@switchboard/bus';

type NatsConnection = Awaited<ReturnType<typeof connectBus>>;

import { testDatabase } from '@switchboard/call-registry/testing';
import {
  freePort,
  metricValue,
  newCallSid,
  signedTwilioRequest,
  TestNatsServer,
  waitForPort,
} from '@switchboard/testkit';
import pg from 'pg';
import { processCpuMs } from './lib/cpu.js';
import { Latencies } from './lib/latency.js';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '50,200,500' },
    'step-seconds': { type: 'string', default: '15' },
    'synchronous-commit': { type: 'string' },
    /** Writes a V8 CPU profile of the gateway into this folder when it exits. */
    'profile-gateway': { type: 'string' },
  },
});
const RATES = args.rates.split(',').map(Number);
const STEP_SECONDS = Number(args['step-seconds']);
const WARMUP_SECONDS = 3;
const WARMUP_RATE = 50;
/** The target: p99 under 20 ms at 200 requests/s with zero errors. */
const TARGET_RATE = 200;
const TARGET_P99_MS = 20;
/** A request still unanswered after this counts as an error (well inside Twilio's 15 s). */
const REQUEST_TIMEOUT_MS = 10_000;

const AUTH_TOKEN = 'bench-auth-token';
const PUBLIC_BASE_URL = 'https://bench.example.com';
const VOICE_URL = `${PUBLIC_BASE_URL}/twilio/voice`;
const ACCOUNT_SID = `AC${'b'.repeat(32)}`;

const REGISTRY_MAIN = fileURLToPath(new URL('../../services/call-registry/src/main.ts', import.meta.url));
const GATEWAY_MAIN = fileURLToPath(new URL('../../services/webhook-gateway/src/main.ts', import.meta.url));

interface Service {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

async function spawnService(
  name: string,
  main: string,
  env: Record<string, string>,
  port: number,
): Promise<Service> {
  const profileDir = args['profile-gateway'];
  const prof = name === 'gateway' && profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...prof, '--conditions=switchboard-src', '--import', 'tsx', main], {
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await Promise.race([
    waitForPort(port, 60_000),
    exited.then((code) => Promise.reject(new Error(`${name} exited with ${code} before listening`))),
  ]);
  return { name, child, exited };
}

async function stopService(service: Service): Promise<void> {
  if (service.child.exitCode !== null) return;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 15_000);
  await service.exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used so far. */
/** CPU seconds a process has used so far (0 once it is gone). */
function cpuSeconds(pid: number | undefined): number {
  return pid === undefined ? 0 : (processCpuMs(pid) ?? 0) / 1_000;
}

interface Prepared {
  body: string;
  headers: Record<string, string>;
  callSid: string;
}

function prepare(count: number): Prepared[] {
  return Array.from({ length: count }, () => {
    const callSid = newCallSid();
    const signed = signedTwilioRequest(AUTH_TOKEN, VOICE_URL, {
      CallSid: callSid,
      AccountSid: ACCOUNT_SID,
      From: `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`,
      To: '+15559870000',
      Direction: 'inbound',
      CallStatus: 'ringing',
      ApiVersion: '2010-04-01',
    });
    return {
      callSid,
      body: signed.body,
      headers: { ...signed.headers, 'content-length': String(Buffer.byteLength(signed.body)) },
    };
  });
}

type Outcome = { ok: true; ms: number } | { ok: false; ms: number; reason: string };

function send(agent: Agent, port: number, req: Prepared, scheduledAt: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const r = request(
      { host: '127.0.0.1', port, path: '/twilio/voice', method: 'POST', headers: req.headers, agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          const ms = performance.now() - scheduledAt;
          if (res.statusCode !== 200) resolve({ ok: false, ms, reason: `HTTP ${res.statusCode}` });
          else if (!body.includes(`value="${req.callSid}"`))
            resolve({ ok: false, ms, reason: 'apology TwiML' });
          else resolve({ ok: true, ms });
        });
      },
    );
    r.setTimeout(REQUEST_TIMEOUT_MS, () => r.destroy(new Error('timeout')));
    r.on('error', (err) => resolve({ ok: false, ms: performance.now() - scheduledAt, reason: err.message }));
    r.end(req.body);
  });
}

interface StepResult {
  rate: number;
  sent: number;
  ok: number;
  errors: Map<string, number>;
  throughput: number;
  p50: number;
  p99: number;
  max: number;
  /** How late the generator sent its latest request: large values mean the figures measure the generator. */
  maxLagMs: number;
  cpu: Record<string, number>;
}

/** Sends `rate` requests per second for `seconds`, on schedule whatever the answers (open loop). */
async function step(
  agent: Agent,
  port: number,
  rate: number,
  seconds: number,
  services: Service[],
): Promise<StepResult> {
  const requests = prepare(Math.round(rate * seconds));
  const intervalMs = 1_000 / rate;
  const cpuBefore = services.map((s) => cpuSeconds(s.child.pid));
  const pending: Promise<Outcome>[] = [];
  const started = performance.now();
  let maxLagMs = 0;
  let next = 0;
  while (next < requests.length) {
    const now = performance.now();
    while (next < requests.length && started + next * intervalMs <= now) {
      const scheduledAt = started + next * intervalMs;
      maxLagMs = Math.max(maxLagMs, now - scheduledAt);
      pending.push(send(agent, port, requests[next] as Prepared, scheduledAt));
      next++;
    }
    const wait = started + next * intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.max(1, Math.floor(wait))));
  }
  const outcomes = await Promise.all(pending);
  const elapsedSeconds = (performance.now() - started) / 1_000;
  const cpu: Record<string, number> = {};
  services.forEach((s, i) => {
    cpu[s.name] = ((cpuSeconds(s.child.pid) - (cpuBefore[i] ?? 0)) / elapsedSeconds) * 100;
  });
  const latencies = new Latencies();
  for (const o of outcomes) latencies.record(o.ms);
  const errors = new Map<string, number>();
  for (const o of outcomes) if (!o.ok) errors.set(o.reason, (errors.get(o.reason) ?? 0) + 1);
  const ok = outcomes.filter((o) => o.ok).length;
  return {
    rate,
    sent: outcomes.length,
    ok,
    errors,
    throughput: ok / elapsedSeconds,
    ...latencies.summary(),
    maxLagMs,
    cpu,
  };
}

function table(results: StepResult[]): string {
  const header = [
    'offered/s',
    'sent',
    'ok',
    'errors',
    'throughput/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'gen lag ms',
    'gateway CPU %',
    'registry CPU %',
    'worker CPU %',
  ];
  const rows = results.map((r) => [
    String(r.rate),
    String(r.sent),
    String(r.ok),
    String(r.sent - r.ok),
    r.throughput.toFixed(1),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.max.toFixed(2),
    r.maxLagMs.toFixed(1),
    r.cpu.gateway?.toFixed(1) ?? '-',
    r.cpu.registry?.toFixed(1) ?? '-',
    r.cpu.worker?.toFixed(1) ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * Answers `call.create` the way the registry would, from memory: what the gateway achieves when the registry
 * and the database cost nothing.
 */
function fixedReplyRegistry(nc: NatsConnection): { stop(): void } {
  const sub = nc.subscribe('call.create', {
    queue: 'q',
    callback: (_err, msg) => {
      const req = msg.json<{ callSid: string; direction: string; from: string; to: string }>();
      const now = new Date().toISOString();
      msg.respond(
        JSON.stringify({
          ...req,
          status: 'ringing',
          agent: { id: 'default', instructions: 'Be helpful.', voice: 'alloy', model: 'gpt-realtime' },
          createdAt: now,
          updatedAt: now,
          answeredAt: null,
          endedAt: null,
          durationSeconds: null,
          endedReason: null,
        }),
      );
    },
  });
  return { stop: () => sub.unsubscribe() };
}

const WORKER_MAIN = fileURLToPath(new URL('../../services/media-worker/src/main.ts', import.meta.url));

async function runSteps(
  agent: Agent,
  port: number,
  services: Service[],
): Promise<{ warmup: StepResult; results: StepResult[] }> {
  console.log(`warming up: ${WARMUP_RATE} requests/s for ${WARMUP_SECONDS} s`);
  const warmup = await step(agent, port, WARMUP_RATE, WARMUP_SECONDS, services);
  const results: StepResult[] = [];
  for (const rate of RATES) {
    console.log(`offering ${rate} requests/s for ${STEP_SECONDS} s`);
    const result = await step(agent, port, rate, STEP_SECONDS, services);
    results.push(result);
    for (const [reason, count] of result.errors) console.log(`  ${count} × ${reason}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return { warmup, results };
}

export async function main(): Promise<void> {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`${availableParallelism()} cores, load average ${load()}`);
  console.log('starting nats-server, database, call-registry and webhook-gateway…');
  const nats = await TestNatsServer.start();
  const db = await testDatabase();
  const synchronousCommit = args['synchronous-commit'];
  if (synchronousCommit !== undefined) {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(
      `ALTER DATABASE "${db.name}" SET synchronous_commit = ${pg.escapeLiteral(synchronousCommit)}`,
    );
    await admin.end();
  }
  const services: Service[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let nc: NatsConnection | undefined;
  try {
    services.push(
      await spawnService(
        'registry',
        REGISTRY_MAIN,
        { DATABASE_URL: db.url, NATS_URL: nats.url, MIGRATE_ON_START: 'false' },
        await freePort(),
      ),
    );
    const gatewayPort = await freePort();
    services.push(
      await spawnService(
        'gateway',
        GATEWAY_MAIN,
        {
          NATS_URL: nats.url,
          PUBLIC_BASE_URL,
          MEDIA_STREAM_URL: 'wss://media.bench.example.com/media-stream',
          TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        },
        gatewayPort,
      ),
    );
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${gatewayPort}/readyz`).catch(() => undefined);
      if (ready?.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const { warmup, results } = await runSteps(agent, gatewayPort, services);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM calls');
    await client.end();
    const answered = results.reduce((n, r) => n + r.ok, warmup.ok);

    console.log('\nPOST /twilio/voice, signed, through gateway → NATS → registry → PostgreSQL (open loop)\n');
    console.log(table(results));
    console.log(
      `\ncalls in PostgreSQL: ${rows[0]?.n} (requests answered with a stream, warm-up included: ${answered})`,
    );

    // The same load with the registry replaced by a fixed reply: the gateway and NATS alone.
    const registry = services.shift() as Service;
    await stopService(registry);
    nc = await connectBus({ url: nats.url, name: 'bench-fixed-reply' });
    const responder = fixedReplyRegistry(nc);
    console.log('\nregistry replaced by a fixed-reply NATS responder (no database)');
    const ceiling = await runSteps(agent, gatewayPort, services);
    // The same again with a real media worker process to place the calls on (it announces itself and
    // reserves a slot for each call): what placement adds to the gateway's share (SPEC: Scale-out).
    const workerPort = await freePort();
    services.push(
      await spawnService(
        'worker',
        WORKER_MAIN,
        {
          NATS_URL: nats.url,
          WORKER_ID: 'bench-worker',
          WORKER_MEDIA_URL: `ws://127.0.0.1:${workerPort}/media-stream`,
          MAX_CONCURRENT_CALLS: '1000000',
          TWILIO_AUTH_TOKEN: AUTH_TOKEN,
          OPENAI_API_KEY: 'sk-bench-unused',
        },
        workerPort,
      ),
    );
    for (;;) {
      const metrics = await (await fetch(`http://127.0.0.1:${gatewayPort}/metrics`)).text();
      if (/^gateway_placement_workers 1$/m.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log('\na media worker process announced: every call is placed on it (worker.reserve.<id>)');
    const placed = await runSteps(agent, gatewayPort, services);
    const placements = await (await fetch(`http://127.0.0.1:${gatewayPort}/metrics`)).text();
    const outcomes = ['placed', 'fallback', 'none'].map(
      (outcome) => `${outcome} ${metricValue(placements, 'gateway_placements_total', { outcome }) ?? 0}`,
    );
    responder.stop();
    console.log(
      '\nPOST /twilio/voice, signed, through gateway → NATS → fixed reply (no registry, no database)\n',
    );
    console.log(table(ceiling.results));
    console.log(
      '\nthe same, each call placed on a media worker process (call.create, then worker.reserve.<id>)\n',
    );
    console.log(table(placed.results));
    console.log(`placements since the gateway started: ${outcomes.join(', ')}`);

    console.log(`\nload average at the end: ${load()}`);
    const settings = synchronousCommit === undefined ? '' : ` (synchronous_commit=${synchronousCommit})`;
    console.log(`\nfull stack${settings}:`);
    const target = results.find((r) => r.rate === TARGET_RATE);
    if (!target) {
      console.log(`verdict: no step at ${TARGET_RATE} requests/s, target not measured`);
    } else {
      const pass = target.p99 < TARGET_P99_MS && target.sent === target.ok;
      console.log(
        `verdict: ${pass ? 'PASS' : 'FAIL'} — at ${TARGET_RATE} requests/s p99 ${target.p99.toFixed(2)} ms ` +
          `(target < ${TARGET_P99_MS} ms), errors ${target.sent - target.ok} (target 0)`,
      );
    }
  } finally {
    agent.destroy();
    await nc?.close();
    for (const service of services.reverse()) await stopService(service);
    await nats.close();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
