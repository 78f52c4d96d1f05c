// The call-registry benchmark: `call.bySid` over NATS against the lookups a user would otherwise write,
// and against a NATS responder that answers without a database (the messaging ceiling), side by side in
// one run. See test/bench/README.md for the options and what each figure means.
//   pnpm bench registry [--reseed]

import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { TEST_DATABASE_ADMIN_URL, TestNatsServer } from '@switchboard/testkit';
import { closedLoop, openLoop } from './lib/load.js';
import { combine, turnOrder } from './registry/combine.js';
import { benchPool, type Contender, directLookup, natsLookup, originLookup } from './registry/contenders.js';
import { ConnectionSampler } from './registry/probes.js';
import { measureReplicas, replicasTable } from './registry/replicas.js';
import {
  ceilingRoundsLines,
  cpuTable,
  type Measurement,
  type Phase,
  phaseLabel,
  postgresLines,
  ratiosTable,
  resultsTable,
} from './registry/report.js';
import { ensureSeededDatabase } from './registry/seed.js';
import { SidDeck } from './registry/sids.js';
import { type BenchStack, startStack } from './registry/stack.js';
import { verdictLines, verdicts } from './registry/verdicts.js';

const BIG_DATABASE = 'sb_bench_1m';
const BIG_CALLS = 1_000_000;
const SMALL_DATABASE = 'sb_bench_10k';
const SMALL_CALLS = 10_000;
/** Distinct sids each contender draws from, at random over the whole table. */
const DECK_SIZE = 200_000;
/** The ceiling's deck: it holds the registry's reply to each of these in memory. */
const CEILING_DECK_SIZE = 20_000;
const CEILING_SEED = 1;
const OPEN_LOOP_GRACE_MS = 2_000;
const PAUSE_BETWEEN_RUNS_MS = 200;
const INITIAL_WARMUP_MS = 2_000;
const INITIAL_WARMUP_CONCURRENCY = 16;

const { values: args } = parseArgs({
  options: {
    reseed: { type: 'boolean', default: false },
    'server-node-args': { type: 'string', default: '' },
    'registry-main': { type: 'string' },
    rounds: { type: 'string', default: '4' },
    'duration-ms': { type: 'string', default: '1500' },
    'warmup-ms': { type: 'string', default: '500' },
    'nats-connections': { type: 'string', default: '1' },
    'pool-max': { type: 'string', default: '20' },
    contenders: { type: 'string', default: 'ceiling,registry,direct,direct-prepared,origin' },
    phases: { type: 'string', default: 'closed:1,closed:64,closed:256,open:1000,open:3000' },
    'replica-phases': { type: 'string', default: 'closed:64,closed:256' },
  },
});
const rounds = Number(args.rounds);
const durationMs = Number(args['duration-ms']);
const warmupMs = Number(args['warmup-ms']);
const natsConnections = Number(args['nats-connections']);
const poolMax = Number(args['pool-max']);
const wanted = new Set(args.contenders.split(','));
const parsePhases = (list: string): Phase[] =>
  list
    .split(',')
    .filter(Boolean)
    .map((spec) => {
      const [kind, n] = spec.split(':');
      if (kind === 'closed') return { kind, concurrency: Number(n) };
      if (kind === 'open') return { kind, ratePerSecond: Number(n) };
      throw new Error(`unknown phase ${spec}: use closed:<requesters> or open:<lookups per second>`);
    });
const phases = parsePhases(args.phases);
const replicaPhases = parsePhases(args['replica-phases']);

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
    ceilingDeck: { calls: BIG_CALLS, size: CEILING_DECK_SIZE, seed: CEILING_SEED },
  });
  sampler = await ConnectionSampler.start(TEST_DATABASE_ADMIN_URL, BIG_DATABASE, stack.registryAppName, 50);
  // One pool for both direct contenders: a named statement is prepared on each connection the first time.
  directPool = benchPool({ url: big.url, max: poolMax, applicationName: 'switchboard-bench-direct' });
  const deck = (calls: number, seed: number) => new SidDeck(calls, DECK_SIZE, seed);
  const all: Contender[] = [
    natsLookup(
      'ceiling',
      "the registry's replies from memory over NATS, no database (same ServiceHost)",
      stack.clients,
      stack.fixedSubject,
      new SidDeck(BIG_CALLS, CEILING_DECK_SIZE, CEILING_SEED),
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
    // Rounds in turn, so that a noisy neighbour on the machine hits every contender alike; the order
    // reverses every round (ceiling, registry, … then …, registry, ceiling), so the two stay side by side.
    for (let round = 0; round < rounds; round++) {
      for (const contender of turnOrder(contenders, round)) {
        const measurement = await measure(stack, sampler, contender.name, contender.lookup, phase);
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
  log(ceilingRoundsLines(rows));
  log(postgresLines(rows));
  log('');
  // One replica's connections; the replicas section below runs two.
  const maxConnections = sampler.max;
  const registry = contenders.find((c) => c.name === 'registry');
  let replicaRows: Measurement[] = [];
  if (registry && replicaPhases.length > 0) {
    log('  registry replicas: one, then two (a second process), in turns');
    replicaRows = await measureReplicas(stack, replicaPhases, rounds, (name, phase) =>
      measure(stack as BenchStack, sampler as ConnectionSampler, name, registry.lookup, phase),
    );
    log(`Replicas (CPU as a share of one core; the machine has ${availableParallelism()}):`);
    log(replicasTable(replicaRows));
    log('');
  }
  log(
    `machine: ${availableParallelism()} cores; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ` +
      `${(loadavg()[0] ?? Number.NaN).toFixed(1)} at the end (anything above the core count means other work ` +
      'competed for the CPU: compare ratios within this run, not absolute figures across runs)',
  );
  log('');
  log(verdictLines(verdicts({ rows, poolMax, maxConnections })));
  if (replicaRows.length > 0) {
    log(
      `        (with two replicas: at most ${sampler.max} registry connections seen, both replicas together)`,
    );
  }
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
  name: string,
  lookup: Contender['lookup'],
  phase: Phase,
): Promise<Measurement> {
  const meter = stack.meter(name, sampler, [BIG_DATABASE, SMALL_DATABASE]);
  await meter.mark();
  const started = performance.now();
  const result =
    phase.kind === 'closed'
      ? await closedLoop(lookup, { concurrency: phase.concurrency, warmupMs, durationMs })
      : await openLoop(lookup, {
          ratePerSecond: phase.ratePerSecond,
          warmupMs,
          durationMs,
          graceMs: OPEN_LOOP_GRACE_MS,
        });
  const read = await meter.read(performance.now() - started);
  return { phase, contender: name, result, rounds: [result.throughput], ...read };
}
