import type { LoadResult } from '../lib/load.js';
import { formatTable, ms, perSecond, ratio } from '../lib/table.js';

export type Phase = { kind: 'closed'; concurrency: number } | { kind: 'open'; ratePerSecond: number };

export function phaseLabel(phase: Phase): string {
  return phase.kind === 'closed'
    ? `closed ${phase.concurrency}`
    : `open ${phase.ratePerSecond.toLocaleString('en-US')}/s`;
}

/** CPU milliseconds each part used during one measurement. */
export interface CpuUse {
  /** The load generator: this process (and, for the in-process contenders, their pg client work). */
  bench: number;
  /** The responder process (registry or fixed reply); 0 for the in-process contenders. */
  server: number;
  nats: number;
  /** The PostgreSQL backends of the contender's connections. */
  postgres: number;
}

export interface BatchFigures {
  /** Batched lookup queries run. */
  queries: number;
  /** callSids those queries read. */
  sids: number;
  /** Lookups the registry answered within each histogram bound, in ms (cumulative, Prometheus style). */
  answeredWithin: [number, number][];
}

/** The smallest histogram bound within which 99% of the lookups were answered: `≤5` means 2–5 ms. */
export function bucketP99(figures: BatchFigures): string {
  const total = figures.answeredWithin.find(([le]) => le === Number.POSITIVE_INFINITY)?.[1] ?? 0;
  if (total === 0) return '-';
  const bound = figures.answeredWithin.find(([, n]) => n >= total * 0.99)?.[0] ?? Number.POSITIVE_INFINITY;
  return Number.isFinite(bound) ? `≤${bound}` : '>5000';
}

export interface Measurement {
  phase: Phase;
  contender: string;
  result: LoadResult;
  /** Wall time the CPU figures were taken over (warm-ups included). */
  wallMs: number;
  cpu: CpuUse;
  /** The registry's batched queries over the same time (registry only). */
  batches?: BatchFigures;
  /** Throughput of each round, in the order they ran (a combined row; one entry for a single round). */
  rounds: number[];
}

const pct = (cpuMs: number, wallMs: number) => (cpuMs > 0 ? `${Math.round((cpuMs / wallMs) * 100)}%` : '-');

export function resultsTable(rows: readonly Measurement[]): string {
  return formatTable(
    [
      'phase',
      'contender',
      'lookups/s',
      'p50 ms',
      'p99 ms',
      'failed',
      'send lag p99',
      'batch',
      'in-registry p99',
    ],
    rows.map(({ phase, contender, result, batches }) => [
      phaseLabel(phase),
      contender,
      perSecond(result.throughput),
      ms(result.latencies.percentile(50)),
      (result.unfinished > 0 ? '>' : '') + ms(result.latencies.percentile(99)),
      String(result.errors + result.unfinished),
      result.sendLag ? ms(result.sendLag.percentile(99)) : '-',
      batches && batches.queries > 0 ? (batches.sids / batches.queries).toFixed(1) : '-',
      batches ? bucketP99(batches) : '-',
    ]),
  );
}

/** CPU microseconds per answered lookup, for each part and in all. */
export interface CpuPerLookup {
  bench: number;
  server: number;
  nats: number;
  postgres: number;
  total: number;
}

export function cpuPerLookup({ result, wallMs, cpu }: Measurement): CpuPerLookup {
  // Lookups answered over the whole wall time, estimated from the measured throughput.
  const lookups = result.throughput * (wallMs / 1_000);
  const per = (cpuMs: number) => (lookups > 0 ? (cpuMs * 1_000) / lookups : Number.NaN);
  return {
    bench: per(cpu.bench),
    server: per(cpu.server),
    nats: per(cpu.nats),
    postgres: per(cpu.postgres),
    total: per(cpu.bench + cpu.server + cpu.nats + cpu.postgres),
  };
}

const micros = (value: number) =>
  Number.isFinite(value) && value > 0 ? value.toFixed(value < 10 ? 1 : 0) : '-';

/** CPU per part, as a share of one core over the measurement, and per answered lookup. */
export function cpuTable(rows: readonly Measurement[]): string {
  return formatTable(
    [
      'phase',
      'contender',
      'generator',
      'server',
      'nats',
      'postgres',
      'µs/lookup: generator',
      'server',
      'nats',
      'postgres',
      'all',
    ],
    rows.map((row) => {
      const { phase, contender, wallMs, cpu } = row;
      const per = cpuPerLookup(row);
      return [
        phaseLabel(phase),
        contender,
        pct(cpu.bench, wallMs),
        pct(cpu.server, wallMs),
        pct(cpu.nats, wallMs),
        pct(cpu.postgres, wallMs),
        micros(per.bench),
        micros(per.server),
        micros(per.nats),
        micros(per.postgres),
        micros(per.total),
      ];
    }),
  );
}

export function findRow(
  rows: readonly Measurement[],
  contender: string,
  label: string,
): Measurement | undefined {
  return rows.find((r) => r.contender === contender && phaseLabel(r.phase) === label);
}

/** Throughput of `a` over `b` in one phase (medians of the rounds), or NaN when either did not run. */
export function throughputRatio(rows: readonly Measurement[], a: string, b: string, label: string): number {
  const x = findRow(rows, a, label)?.result;
  const y = findRow(rows, b, label)?.result;
  return x && y ? x.throughput / y.throughput : Number.NaN;
}

/**
 * `a` over `b` round by round: each round measured the two back to back (in turns that reverse every
 * round), so each ratio is taken under the same conditions. Their spread is the run's noise.
 */
export function pairedRatios(rows: readonly Measurement[], a: string, b: string, label: string): number[] {
  const x = findRow(rows, a, label)?.rounds ?? [];
  const y = findRow(rows, b, label)?.rounds ?? [];
  return x.flatMap((value, i) => (y[i] ? [value / (y[i] as number)] : []));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((p, q) => p - q);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

export function ratiosTable(rows: readonly Measurement[]): string {
  const labels = [...new Set(rows.filter((r) => r.phase.kind === 'closed').map((r) => phaseLabel(r.phase)))];
  const others = [...new Set(rows.map((r) => r.contender))].filter((c) => c !== 'registry');
  return formatTable(
    ['registry throughput over', ...labels],
    others.map((other) => [
      other,
      ...labels.map((label) => ratio(throughputRatio(rows, 'registry', other, label))),
    ]),
  );
}

/** The registry over the ceiling in each round of each closed phase, and the spread. */
export function ceilingRoundsLines(rows: readonly Measurement[]): string {
  const labels = [...new Set(rows.filter((r) => r.phase.kind === 'closed').map((r) => phaseLabel(r.phase)))];
  const lines: string[] = [];
  for (const label of labels) {
    const paired = pairedRatios(rows, 'registry', 'ceiling', label);
    if (paired.length === 0) continue;
    const ceiling = findRow(rows, 'ceiling', label)?.rounds ?? [];
    lines.push(
      `${label.padEnd(10)}  registry/ceiling by round ${paired.map((r) => r.toFixed(2)).join(' ')}` +
        `  (median ${median(paired).toFixed(2)}, ${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)});` +
        `  ceiling ${Math.round(Math.min(...ceiling)).toLocaleString('en-US')}–${Math.round(Math.max(...ceiling)).toLocaleString('en-US')}/s`,
    );
  }
  return lines.join('\n');
}

/** PostgreSQL's CPU per lookup for the registry against the direct joined query, per closed phase. */
export function postgresRatio(rows: readonly Measurement[], label: string): { ratio: number; text: string } {
  const registry = findRow(rows, 'registry', label);
  const direct = findRow(rows, 'direct', label);
  if (!registry || !direct) return { ratio: Number.NaN, text: 'not run' };
  const r = cpuPerLookup(registry).postgres;
  const d = cpuPerLookup(direct).postgres;
  return { ratio: r / d, text: `${ratio(r / d)} (${micros(r)} against ${micros(d)} µs)` };
}

export function postgresLines(rows: readonly Measurement[]): string {
  const labels = [...new Set(rows.filter((r) => r.phase.kind === 'closed').map((r) => phaseLabel(r.phase)))];
  return labels
    .map(
      (label) =>
        `${label.padEnd(10)}  PostgreSQL CPU per lookup, registry over direct: ${postgresRatio(rows, label).text}`,
    )
    .join('\n');
}
