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
    const value = paired.length > 0 ? median(paired) : Number.NaN;
    const bound = machineBound(rows, label);
    check(
      `registry >= 0.8x the ceiling at ${label.replace('closed ', '')} (median of the rounds)`,
      value,
      (v) => v >= 0.8,
      bound ? `${ratio(value)}; ${bound}` : ratio(value),
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

/**
 * What registry/ceiling would be on this machine if the registry's own process cost what the bare
 * responder's does, so that the one difference left is PostgreSQL's CPU per lookup. Processes sharing the
 * same cores answer lookups/s = (cores busy) / (all the CPU a lookup takes, the CPU table's `all`); at the
 * ceiling's share of the cores that is `all(ceiling) / (all(ceiling) + postgres(registry))`. A registry
 * that keeps more of the cores busy can go above it: both shares are given.
 */
function machineBound(rows: readonly Measurement[], label: string): string | undefined {
  const ceiling = findRow(rows, 'ceiling', label);
  const registry = findRow(rows, 'registry', label);
  if (!ceiling || !registry) return undefined;
  const all = cpuPerLookup(ceiling).total;
  const bound = all / (all + cpuPerLookup(registry).postgres);
  const busy = ({ cpu, wallMs }: Measurement) =>
    `${Math.round((100 * (cpu.bench + cpu.server + cpu.nats + cpu.postgres)) / wallMs)}%`;
  return (
    `a registry process costing what the ceiling's does would reach ${ratio(bound)} at the ceiling's ` +
    `share of the cores, PostgreSQL's CPU being on them too (cores busy: ceiling ${busy(ceiling)}, registry ${busy(registry)})`
  );
}

export function verdictLines(list: readonly Verdict[]): string {
  const word = (met: boolean | undefined) => (met === undefined ? 'N/A   ' : met ? 'MET   ' : 'MISSED');
  return list.map((v) => `${word(v.met)}  ${v.target}: ${v.measured}`).join('\n');
}
