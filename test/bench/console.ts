// `pnpm bench console [--calls 100000] [--live 200] [--clients 1,10,50] [--events 2000] [--rate 400]`
// The console with a big history and many live calls, on this machine: page loads in headless Chromium
// (history with `--calls` calls, Live calls with `--live` of them in progress), a burst of transcript events
// for every live call while the live page is open (the browser's long tasks), and the cost of the event
// streams: `--clients` SSE streams on one gateway, each an ordered JetStream consumer of its own, receiving
// `--events` events at `--rate` per second (delivery latency, nats-server's and the gateway's CPU; the SSE
// clients read in a child process, test/bench/console/sse-clients.ts).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EventPublisher } from '@switchboard/bus';
import { loadConfig as registryConfig, startRegistry } from '@switchboard/call-registry';
import { newCallSid, TestNatsServer } from '@switchboard/testkit';
import { loadConfig as gatewayConfig, startGateway } from '@switchboard/webhook-gateway';
import pg from 'pg';
import { startBrowser } from '../e2e/console/browser.js';
import { log, testDatabase } from '../support.js';
import { processCpuMs } from './lib/cpu.js';
import { formatTable, ms } from './lib/table.js';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '100000' },
    live: { type: 'string', default: '200' },
    clients: { type: 'string', default: '1,10,50' },
    events: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '400' },
    loads: { type: 'string', default: '5' },
  },
});
const CALLS = Number(args.calls);
const LIVE = Number(args.live);
const CLIENTS = args.clients.split(',').map(Number);
const EVENTS = Number(args.events);
const RATE = Number(args.rate);
const LOADS = Number(args.loads);
const API_KEY = 'bench-console-key';
const CLIENTS_SCRIPT = fileURLToPath(new URL('./console/sse-clients.ts', import.meta.url));

// Ended calls over the last 30 days, then LIVE calls in progress from the last 10 minutes.
const SEED = `
INSERT INTO calls (call_sid, direction, from_number, to_number, status, agent_id,
                   created_at, updated_at, answered_at, ended_at, duration_seconds)
SELECT 'CA' || md5('bench' || i::text),
       (CASE WHEN i % 3 = 0 THEN 'outbound' ELSE 'inbound' END)::call_direction,
       '+1555' || lpad((i % 10000000)::text, 7, '0'), '+18005550000',
       (CASE WHEN i > $1::int THEN 'in-progress' WHEN i % 10 < 8 THEN 'completed' ELSE 'no-answer' END)::call_status,
       'default', t.created, t.created, t.created + interval '2 seconds',
       CASE WHEN i <= $1::int THEN t.created + interval '1 minute' END,
       CASE WHEN i <= $1::int THEN 58 END
FROM generate_series(1, $1::int + $2::int) AS i,
     LATERAL (SELECT CASE WHEN i > $1::int THEN now() - (($1::int + $2::int - i) * interval '3 seconds')
                          ELSE now() - interval '30 days' + i * (interval '30 days' / $1::int) - interval '11 minutes' END
              AS created) AS t`;

function natsServerPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('nats-server') && cmd.includes(String(port))) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const db = await testDatabase();
const nats = await TestNatsServer.start();
const client = new pg.Client({ connectionString: db.url });
await client.connect();
const seedStarted = performance.now();
await client.query(SEED, [CALLS, LIVE]);
await client.query('ANALYZE calls');
const liveSids = (
  await client.query<{ call_sid: string }>(
    "SELECT call_sid FROM calls WHERE status = 'in-progress' ORDER BY id",
  )
).rows.map((r) => r.call_sid);
await client.end();
process.stdout.write(
  `seeded ${CALLS} ended + ${LIVE} live calls in ${ms(performance.now() - seedStarted)} ms\n`,
);

const registry = await startRegistry({
  config: registryConfig({ DATABASE_URL: db.url, NATS_URL: nats.url, PORT: '0', MIGRATE_ON_START: 'false' }),
  log,
});
const gateway = await startGateway({
  config: gatewayConfig({
    PORT: '0',
    NATS_URL: nats.url,
    PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
    MEDIA_STREAM_URL: 'ws://127.0.0.1:3001/media-stream',
    TWILIO_SKIP_SIGNATURE: 'true',
    API_KEYS: API_KEY,
    CONSOLE_MAX_EVENT_STREAMS: '1000',
  }),
  log,
});
const publisher = new EventPublisher(registry.nc, log);
let msgSeq = 0;
async function publishTranscripts(count: number, rate: number, text: (i: number) => string): Promise<number> {
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const callSid = liveSids[i % liveSids.length] as string;
    const itemId = `bench_${++msgSeq}`;
    pending.push(
      publisher.publish(
        {
          kind: 'transcript',
          callSid,
          role: i % 2 ? 'caller' : 'agent',
          text: text(i),
          itemId,
          at: new Date().toISOString(),
        },
        { msgId: `transcript:${callSid}:${itemId}` },
      ),
    );
  }
  await Promise.all(pending);
  return performance.now() - started;
}

// ---- 1. page loads in the browser ----
const browser = await startBrowser();
const page = browser.context.pages()[0] ?? (await browser.context.newPage());
await page.goto(`${gateway.url}/console/sign-in`);
await page.getByLabel('API key').fill(API_KEY);
await page.getByRole('button', { name: 'Sign in' }).click();
await page.waitForURL(/\/console\/live$/);

const historyLoads: number[] = [];
const liveLoads: number[] = [];
for (let i = 0; i < LOADS; i++) {
  let t0 = performance.now();
  await page.goto(`${gateway.url}/console/calls`);
  await page.locator('a.call-row').first().waitFor();
  historyLoads.push(performance.now() - t0);
  t0 = performance.now();
  await page.goto(`${gateway.url}/console/live`);
  await page.locator('.live-list h1 .count', { hasText: String(LIVE) }).waitFor({ timeout: 30_000 });
  await page.locator('.call-card').first().waitFor();
  liveLoads.push(performance.now() - t0);
}
const liveCards = await page.locator('.call-card').count();

// A new call on the open Live calls page: from its voice webhook to its card drawn. Without a worker here,
// its first event is Twilio's in-progress callback, posted right after the TwiML came back.
const appearMs: number[] = [];
for (let i = 0; i < LOADS; i++) {
  const callSid = newCallSid();
  const form = (params: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const t0 = performance.now();
  const voice = await fetch(
    `${gateway.url}/twilio/voice`,
    form({
      CallSid: callSid,
      From: '+15550009999',
      To: '+18005550000',
      Direction: 'inbound',
      CallStatus: 'ringing',
    }),
  );
  await voice.text();
  await fetch(
    `${gateway.url}/twilio/status`,
    form({ CallSid: callSid, CallStatus: 'in-progress', SequenceNumber: '1' }),
  );
  await page.locator(`[data-call-sid="${callSid}"]`).waitFor({ timeout: 10_000 });
  appearMs.push(performance.now() - t0);
}

// Scrolling history: 1,000 rows read, the DOM stays small.
await page.goto(`${gateway.url}/console/calls`);
await page.locator('a.call-row').first().waitFor();
const scrollStarted = performance.now();
for (let pages = 0; pages < 5; pages++) {
  await page.locator('.calls-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await page
    .locator('.calls .muted[role=status]', { hasText: new RegExp(`^${(pages + 2) * 200} calls`) })
    .waitFor({ timeout: 15_000 });
}
const scrolledMs = performance.now() - scrollStarted;
const historyRowsInDom = await page.locator('a.call-row').count();

// A burst of transcript lines for every live call while Live calls is open: the page's long tasks.
await page.goto(`${gateway.url}/console/live`);
await page.locator('.live-list h1 .count', { hasText: String(LIVE + LOADS) }).waitFor({ timeout: 30_000 });
await page.evaluate(`
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.longTasks.push(entry.duration);
  }).observe({ type: 'longtask', buffered: false });
`);
const burstEvents = LIVE * 10;
const burstMs = await publishTranscripts(burstEvents, RATE, (i) => `line ${Math.floor(i / LIVE)}`);
const lastLine = `line ${Math.floor((burstEvents - 1) / LIVE)}`;
const caughtUpStarted = performance.now();
await page.locator('.call-card-last', { hasText: lastLine }).first().waitFor({ timeout: 30_000 });
const caughtUpMs = performance.now() - caughtUpStarted;
const longTasks = (await page.evaluate('window.longTasks')) as number[];
await browser.close();

process.stdout.write(
  `\npage loads (${LOADS} each; from navigation to the first rows drawn)\n${formatTable(
    ['page', 'median ms', 'max ms', 'rows in the DOM'],
    [
      [`history (${CALLS + LIVE} calls)`, ms(median(historyLoads)), ms(Math.max(...historyLoads)), '-'],
      [`live calls (${LIVE} live)`, ms(median(liveLoads)), ms(Math.max(...liveLoads)), String(liveCards)],
      [`history scrolled to 1,200 rows`, ms(scrolledMs), '-', String(historyRowsInDom)],
      ['a new call: webhook to its card', ms(median(appearMs)), ms(Math.max(...appearMs)), '-'],
    ],
  )}\n`,
);
process.stdout.write(
  `\nlive burst: ${burstEvents} transcript events in ${ms(burstMs)} ms (${LIVE} calls); page caught up ${ms(caughtUpMs)} ms after the last publish; long tasks: ${longTasks.length}, longest ${ms(Math.max(0, ...longTasks))} ms, total ${ms(longTasks.reduce((a, b) => a + b, 0))} ms\n`,
);

// ---- 2. event streams: one ordered consumer per stream ----
const natsPid = natsServerPid(nats.port);
const rows: string[][] = [];
for (const n of CLIENTS) {
  const child = spawn(
    process.execPath,
    [
      '--conditions=switchboard-src',
      '--import',
      'tsx',
      CLIENTS_SCRIPT,
      `${gateway.url}/api/events`,
      API_KEY,
      String(n),
      String(EVENTS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const outputs = lines[Symbol.asyncIterator]();
  await outputs.next(); // ready
  const natsBefore = natsPid ? (processCpuMs(natsPid) ?? 0) : 0;
  const gatewayBefore = selfCpuMs();
  const sentMs = await publishTranscripts(EVENTS, RATE, (i) => `fan-out ${i}`);
  const result = JSON.parse(String((await outputs.next()).value)) as {
    delivered: number;
    p50: number;
    p99: number;
  };
  const natsMs = natsPid ? (processCpuMs(natsPid) ?? 0) - natsBefore : Number.NaN;
  const gatewayMs = selfCpuMs() - gatewayBefore;
  const received = result.delivered;
  rows.push([
    String(n),
    String(received),
    ms(result.p50),
    ms(result.p99),
    ms(natsMs),
    ms((natsMs * 1000) / received),
    ms(gatewayMs),
    ms((gatewayMs * 1000) / received),
    ms(sentMs),
  ]);
}
process.stdout.write(
  `\nevent streams (${EVENTS} events at ${RATE}/s; latency from the event's time to an SSE client reading it)\n${formatTable(
    [
      'streams',
      'delivered',
      'p50 ms',
      'p99 ms',
      'nats CPU ms',
      'nats µs/delivery',
      'gateway+publisher CPU ms',
      'µs/delivery',
      'publish ms',
    ],
    rows,
  )}\n`,
);

await gateway.close();
await registry.close();
await nats.close();
await db.drop();
process.exit(0);
