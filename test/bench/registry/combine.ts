import { combineRounds } from '../lib/load.js';
import type { BatchFigures, Measurement, Phase } from './report.js';

/** One row from the rounds of one contender in one phase: median throughput, everything else summed. */
export function combine(phase: Phase, contender: string, rounds: readonly Measurement[]): Measurement {
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
    rounds: rounds.map((m) => m.result.throughput),
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

/** The order of the contenders in round `round`: reversed every other round, so that no one always goes first. */
export function turnOrder<T>(contenders: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...contenders] : [...contenders].reverse();
}
