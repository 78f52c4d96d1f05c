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

/** CPU per part, as a share of one core over the measurement, and in total per answered lookup. */
export function cpuTable(rows: readonly Measurement[]): string {
  return formatTable(
    ['phase', 'contender', 'generator', 'server', 'nats', 'postgres', 'cpu µs/lookup', 'server µs/lookup'],
    rows.map(({ phase, contender, result, wallMs, cpu }) => {
      // Lookups answered over the whole wall time, estimated from the measured throughput.
      const lookups = result.throughput * (wallMs / 1_000);
      const total = cpu.bench + cpu.server + cpu.nats + cpu.postgres;
      return [
        phaseLabel(phase),
        contender,
        pct(cpu.bench, wallMs),
        pct(cpu.server, wallMs),
        pct(cpu.nats, wallMs),
        pct(cpu.postgres, wallMs),
        lookups > 0 ? Math.round((total * 1_000) / lookups).toString() : '-',
        lookups > 0 && cpu.server > 0 ? Math.round((cpu.server * 1_000) / lookups).toString() : '-',
      ];
    }),
  );
}

export interface Verdict {
  target: string;
  measured: string;
  /** Undefined when the phases or contenders it needs were not run. */
  met: boolean | undefined;
}

function find(rows: readonly Measurement[], contender: string, label: string): LoadResult | undefined {
  return rows.find((r) => r.contender === contender && phaseLabel(r.phase) === label)?.result;
}

/** Throughput of `a` over `b` in one phase, or NaN when either did not run. */
function throughputRatio(rows: readonly Measurement[], a: string, b: string, label: string): number {
  const x = find(rows, a, label);
  const y = find(rows, b, label);
  return x && y ? x.throughput / y.throughput : Number.NaN;
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

export interface VerdictInputs {
  rows: readonly Measurement[];
  poolMax: number;
  /** Most registry connections PostgreSQL showed at once during the whole run. */
  maxConnections: number;
}

/** The issue's targets, each checked against this run's figures. */
export function verdicts({ rows, poolMax, maxConnections }: VerdictInputs): Verdict[] {
  const out: Verdict[] = [];
  const atLeast = (target: string, a: string, b: string, label: string, min: number) => {
    const value = throughputRatio(rows, a, b, label);
    const run = !Number.isNaN(value);
    out.push({ target, measured: run ? ratio(value) : 'not run', met: run ? value >= min : undefined });
  };
  atLeast('registry >= 1.5x direct pool at 64', 'registry', 'direct', 'closed 64', 1.5);
  atLeast('registry >= 2x direct pool at 256', 'registry', 'direct', 'closed 256', 2);
  atLeast('registry >= 0.8x fixed-reply ceiling at 64', 'registry', 'ceiling', 'closed 64', 0.8);
  atLeast('registry >= 0.8x fixed-reply ceiling at 256', 'registry', 'ceiling', 'closed 256', 0.8);
  const open = find(rows, 'registry', 'open 3,000/s');
  if (open) {
    const failed = open.errors + open.unfinished;
    const p99 = open.latencies.percentile(99);
    const ceiling = find(rows, 'ceiling', 'open 3,000/s');
    const context = [
      `the generator's own send lag p99 ${ms(open.sendLag?.percentile(99) ?? Number.NaN)} ms`,
      ...(ceiling ? [`the fixed-reply ceiling's p99 ${ms(ceiling.latencies.percentile(99))} ms`] : []),
    ];
    out.push({
      target: 'registry p99 < 5 ms at 3,000 lookups/s offered',
      measured: `p99 ${ms(p99)} ms (${context.join('; ')})${failed > 0 ? `, ${failed} failed` : ''}`,
      met: failed === 0 && p99 < 5,
    });
  }
  out.push({
    target: `registry connections <= DB_POOL_MAX (${poolMax})`,
    measured: `at most ${maxConnections} seen in pg_stat_activity`,
    met: maxConnections <= poolMax,
  });
  return out;
}

export function verdictLines(list: readonly Verdict[]): string {
  const word = (met: boolean | undefined) => (met === undefined ? 'N/A   ' : met ? 'MET   ' : 'MISSED');
  return list.map((v) => `${word(v.met)}  ${v.target}: ${v.measured}`).join('\n');
}
