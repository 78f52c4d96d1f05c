import { ms, ratio } from '../lib/table.js';
import {
  cpuPerLookup,
  findRow,
  type Measurement,
  median,
  pairedRatios,
  postgresRatio,
  throughputRatio,
} from './report.js';

export interface Verdict {
  target: string;
  measured: string;
  /** Undefined when the phases or contenders it needs were not run. */
  met: boolean | undefined;
}

export interface VerdictInputs {
  rows: readonly Measurement[];
  poolMax: number;
  /** Most registry connections PostgreSQL showed at once during the whole run. */
  maxConnections: number;
}

/** The targets of issues 2 and 14, each checked against this run's figures. */
export function verdicts({ rows, poolMax, maxConnections }: VerdictInputs): Verdict[] {
  const out: Verdict[] = [];
  const check = (target: string, value: number, met: (v: number) => boolean, shown = ratio(value)) => {
    const run = Number.isFinite(value);
    out.push({ target, measured: run ? shown : 'not run', met: run ? met(value) : undefined });
  };
  check(
    'registry >= 1.5x direct pool at 64',
    throughputRatio(rows, 'registry', 'direct', 'closed 64'),
    (v) => v >= 1.5,
  );
  check(
    'registry >= 2x direct pool at 256',
    throughputRatio(rows, 'registry', 'direct', 'closed 256'),
    (v) => v >= 2,
  );
  for (const label of ['closed 64', 'closed 256']) {
    const paired = pairedRatios(rows, 'registry', 'ceiling', label);
    check(
      `registry >= 0.8x the ceiling at ${label.replace('closed ', '')} (median of the rounds)`,
      paired.length > 0 ? median(paired) : Number.NaN,
      (v) => v >= 0.8,
    );
  }

  const open = findRow(rows, 'registry', 'open 3,000/s')?.result;
  if (open) {
    const failed = open.errors + open.unfinished;
    const p99 = open.latencies.percentile(99);
    const ceiling = findRow(rows, 'ceiling', 'open 3,000/s')?.result;
    const context = [
      `the generator's own send lag p99 ${ms(open.sendLag?.percentile(99) ?? Number.NaN)} ms`,
      ...(ceiling ? [`the ceiling's p99 ${ms(ceiling.latencies.percentile(99))} ms`] : []),
    ];
    out.push({
      target: 'registry p99 <= 5 ms at 3,000 lookups/s offered',
      measured: `p99 ${ms(p99)} ms (${context.join('; ')})${failed > 0 ? `, ${failed} failed` : ''}`,
      met: failed === 0 && p99 <= 5,
    });
  }

  const server = (contender: string, label: string) => {
    const row = findRow(rows, contender, label);
    return row ? cpuPerLookup(row).server : Number.NaN;
  };
  const us = (value: number) => `${value.toFixed(1)} µs`;
  const batched = server('registry', 'closed 64');
  const ceilingBatched = server('ceiling', 'closed 64');
  check(
    'registry CPU per lookup <= 2x the ceiling process at 64',
    batched / ceilingBatched,
    (v) => v <= 2,
    `${ratio(batched / ceilingBatched)} (${us(batched)} against ${us(ceilingBatched)})`,
  );
  for (const label of ['closed 1', 'open 1,000/s', 'open 3,000/s']) {
    const alone = server('registry', label);
    const ceilingAlone = server('ceiling', label);
    check(
      `registry CPU per lookup at ${label} <= 3x its own at 64`,
      alone / batched,
      (v) => v <= 3,
      `${ratio(alone / batched)} (${us(alone)}; the ceiling process ${ratio(ceilingAlone / ceilingBatched)}, ${us(ceilingAlone)})`,
    );
  }
  for (const label of ['closed 64', 'closed 256']) {
    const pg = postgresRatio(rows, label);
    check(
      `registry PostgreSQL CPU per lookup <= 0.3x direct at ${label.replace('closed ', '')}`,
      pg.ratio,
      (v) => v <= 0.3,
      pg.text,
    );
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
