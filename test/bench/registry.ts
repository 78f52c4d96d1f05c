// The call-registry benchmark: `call.bySid` over NATS against the lookups a user would otherwise write,
// and against a NATS responder that answers without a database (the messaging ceiling), side by side in
// one run. See test/bench/README.md for the options and what each figure means.
//   pnpm bench registry [--reseed]

import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { TEST_DATABASE_ADMIN_URL, TestNatsServer } from '@switchboard/testkit';
import { closedLoop, combineRounds, openLoop } from './lib/load.js';
import { benchPool, type Contender, directLookup, natsLookup, originLookup } from './registry/contenders.js';
import { ConnectionSampler } from './registry/probes.js';
import {
  type BatchFigures,
  cpuTable,
  type Measurement,
  type Phase,
  phaseLabel,
  ratiosTable,
  resultsTable,
  verdictLines,
  verdicts,
} from './registry/report.js';
import { ensureSeededDatabase } from './registry/seed.js';
import { SidDeck } from './registry/sids.js';
import { type BenchStack, startStack } from './registry/stack.js';

const BIG_DATABASE = 'sb_bench_1m';
const BIG_CALLS = 1_000_000;
const SMALL_DATABASE = 'sb_bench_10k';
const SMALL_CALLS = 10_000;
/** Distinct sids each contender draws from, at random over the whole table. */
const DECK_SIZE = 200_000;
const OPEN_LOOP_GRACE_MS = 2_000;
const PAUSE_BETWEEN_RUNS_MS = 200;
const INITIAL_WARMUP_MS = 2_000;
const INITIAL_WARMUP_CONCURRENCY = 16;

const { values: args } = parseArgs({
  options: {
    reseed: { type: 'boolean', default: false },
    'server-node-args': { type: 'string', default: '' },
    'registry-main': { type: 'string' },
    rounds: { type: 'string', default: '3' },
    'duration-ms': { type: 'string', default: '1500' },
    'warmup-ms': { type: 'string', default: '500' },
    'nats-connections': { type: 'string', default: '1' },
    'pool-max': { type: 'string', default: '20' },
    contenders: { type: 'string', default: 'ceiling,registry,direct,direct-prepared,origin' },
    phases: { type: 'string', default: 'closed:1,closed:64,closed:256,open:1000,open:3000' },
  },
});
const rounds = Number(args.rounds);
const durationMs = Number(args['duration-ms']);
const warmupMs = Number(args['warmup-ms']);
const natsConnections = Number(args['nats-connections']);
const poolMax = Number(args['pool-max']);
const wanted = new Set(args.contenders.split(','));
const phases: Phase[] = args.phases.split(',').map((spec) => {
  const [kind, n] = spec.split(':');
  if (kind === 'closed') return { kind, concurrency: Number(n) };
  if (kind === 'open') return { kind, ratePerSecond: Number(n) };
  throw new Error(`unknown phase ${spec}: use closed:<requesters> or open:<lookups per second>`);
});

const log = (message: string) => process.stdout.write(`${message}\n`);

const loadAtStart = loadavg()[0] ?? Number.NaN;
log('registry bench: preparing databases');
const [big, small] = [
  await ensureSeededDatabase(TEST_DATABASE_ADMIN_URL, BIG_DATABASE, BIG_CALLS, args.reseed),
  await ensureSeededDatabase(TEST_DATABASE_ADMIN_URL, SMALL_DATABASE, SMALL_CALLS, args.reseed),
];
for (const [name, db] of [
  [BIG_DATABASE, big],
  [SMALL_DATABASE, small],
] as const) {
  log(`  ${name}: ${db.seeded ? `seeded in ${(db.seedMs / 1000).toFixed(1)} s` : 'already seeded, kept'}`);
}

const nats = await TestNatsServer.start();
let stack: BenchStack | undefined;
let sampler: ConnectionSampler | undefined;
let directPool: ReturnType<typeof benchPool> | undefined;
const contenders: Contender[] = [];
try {
  stack = await startStack({
    natsUrl: nats.url,
    natsPort: nats.port,
    databaseUrl: big.url,
    poolMax,
    natsConnections,
    serverNodeArgs: args['server-node-args'].split(' ').filter(Boolean),
    registryMain: args['registry-main'],
  });
  sampler = await ConnectionSampler.start(TEST_DATABASE_ADMIN_URL, BIG_DATABASE, stack.registryAppName, 50);
  // One pool for both direct contenders: a named statement is prepared on each connection the first time.
  directPool = benchPool({ url: big.url, max: poolMax, applicationName: 'switchboard-bench-direct' });
  const deck = (calls: number, seed: number) => new SidDeck(calls, DECK_SIZE, seed);
  const all: Contender[] = [
    natsLookup(
      'ceiling',
      'fixed reply over NATS, no database (same ServiceHost)',
      stack.clients,
      stack.fixedSubject,
      deck(BIG_CALLS, 1),
    ),
    natsLookup(
      'registry',
      `call.bySid over NATS (registry, DB_POOL_MAX ${poolMax})`,
      stack.clients,
      'call.bySid',
      deck(BIG_CALLS, 2),
    ),
    directLookup(directPool, deck(BIG_CALLS, 3), false),
    directLookup(directPool, deck(BIG_CALLS, 4), true),
    originLookup(
      { url: small.url, max: poolMax, applicationName: 'switchboard-bench-origin' },
      deck(SMALL_CALLS, 5),
      SMALL_CALLS,
    ),
  ];
  contenders.push(...all.filter((c) => wanted.has(c.name)));
  log(`  nats-server ${nats.url}; registry pid ${stack.registryPid}; fixed reply pid ${stack.fixedPid}`);
  log(
    `  load generator: ${natsConnections} NATS connection(s); ${durationMs} ms measured after ${warmupMs} ms warm-up`,
  );
  for (const c of contenders) log(`  ${c.name.padEnd(16)} ${c.about}`);

  log(
    `  warming every contender up (${INITIAL_WARMUP_MS} ms at ${INITIAL_WARMUP_CONCURRENCY} requesters each)`,
  );
  for (const contender of contenders) {
    await closedLoop(contender.lookup, {
      concurrency: INITIAL_WARMUP_CONCURRENCY,
      warmupMs: 0,
      durationMs: INITIAL_WARMUP_MS,
    });
  }

  const rows: Measurement[] = [];
  for (const phase of phases) {
    const taken = new Map(contenders.map((c) => [c.name, [] as Measurement[]]));
    // Rounds in turn, so that a noisy neighbour on the machine hits every contender alike.
    for (let round = 0; round < rounds; round++) {
      for (const contender of contenders) {
        const measurement = await measure(stack, sampler, contender, phase);
        taken.get(contender.name)?.push(measurement);
        await sleep(PAUSE_BETWEEN_RUNS_MS);
      }
    }
    for (const contender of contenders) {
      const row = combine(phase, contender.name, taken.get(contender.name) ?? []);
      rows.push(row);
      log(
        `  ${phaseLabel(phase).padEnd(12)} ${contender.name.padEnd(16)} ${Math.round(row.result.throughput)}/s` +
          (row.result.firstError ? ` (first error: ${row.result.firstError})` : ''),
      );
    }
  }

  log('');
  log(
    `Results (${BIG_CALLS.toLocaleString('en-US')} calls; origin on ${SMALL_CALLS.toLocaleString('en-US')}):`,
  );
  log(resultsTable(rows));
  log('');
  log(`CPU (share of one core; the machine has ${availableParallelism()}):`);
  log(cpuTable(rows));
  log('');
  log(ratiosTable(rows));
  log('');
  log(
    `machine: ${availableParallelism()} cores; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ` +
      `${(loadavg()[0] ?? Number.NaN).toFixed(1)} at the end (anything above the core count means other work ` +
      'competed for the CPU: compare ratios within this run, not absolute figures across runs)',
  );
  log('');
  log(verdictLines(verdicts({ rows, poolMax, maxConnections: sampler.max })));
} finally {
  await Promise.allSettled(contenders.map((c) => c.close()));
  await directPool?.end();
  await sampler?.stop();
  await stack?.close();
  await nats.close();
}

async function measure(
  stack: BenchStack,
  sampler: ConnectionSampler,
  contender: Contender,
  phase: Phase,
): Promise<Measurement> {
  const meter = stack.meter(contender.name, sampler, [BIG_DATABASE, SMALL_DATABASE]);
  await meter.mark();
  const started = performance.now();
  const result =
    phase.kind === 'closed'
      ? await closedLoop(contender.lookup, { concurrency: phase.concurrency, warmupMs, durationMs })
      : await openLoop(contender.lookup, {
          ratePerSecond: phase.ratePerSecond,
          warmupMs,
          durationMs,
          graceMs: OPEN_LOOP_GRACE_MS,
        });
  return { phase, contender: contender.name, result, ...(await meter.read(performance.now() - started)) };
}

function combine(phase: Phase, contender: string, rounds: readonly Measurement[]): Measurement {
  const sum = (pick: (m: Measurement) => number) => rounds.reduce((total, m) => total + pick(m), 0);
  const batched = rounds.some((m) => m.batches);
  return {
    phase,
    contender,
    result: combineRounds(rounds.map((m) => m.result)),
    wallMs: sum((m) => m.wallMs),
    cpu: {
      bench: sum((m) => m.cpu.bench),
      server: sum((m) => m.cpu.server),
      nats: sum((m) => m.cpu.nats),
      postgres: sum((m) => m.cpu.postgres),
    },
    ...(batched ? { batches: sumFigures(rounds.flatMap((m) => (m.batches ? [m.batches] : []))) } : {}),
  };
}

function sumFigures(all: readonly BatchFigures[]): BatchFigures {
  const bounds = all[0]?.answeredWithin.map(([le]) => le) ?? [];
  return {
    queries: all.reduce((n, f) => n + f.queries, 0),
    sids: all.reduce((n, f) => n + f.sids, 0),
    answeredWithin: bounds.map((le) => [
      le,
      all.reduce((n, f) => n + (f.answeredWithin.find(([l]) => l === le)?.[1] ?? 0), 0),
    ]),
  };
}
