import { formatTable, perSecond, ratio } from '../lib/table.js';
import { combine } from './combine.js';
import { type Measurement, type Phase, phaseLabel } from './report.js';
import type { BenchStack } from './stack.js';

export const ONE_REPLICA = 'registry x1';
export const TWO_REPLICAS = 'registry x2';

/**
 * `call.bySid` with one registry replica and with two (the second a process of its own on the same
 * database and NATS, sharing the load through the queue group), in turns: ×1 then ×2 in even rounds, ×2
 * then ×1 in odd ones, so the second replica starts and stops once every two rounds.
 */
export async function measureReplicas(
  stack: BenchStack,
  phases: readonly Phase[],
  rounds: number,
  measure: (contender: string, phase: Phase) => Promise<Measurement>,
): Promise<Measurement[]> {
  const rows: Measurement[] = [];
  for (const phase of phases) {
    const taken = new Map<string, Measurement[]>([
      [ONE_REPLICA, []],
      [TWO_REPLICAS, []],
    ]);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [ONE_REPLICA, TWO_REPLICAS] : [TWO_REPLICAS, ONE_REPLICA];
      for (const name of order) {
        if (name === TWO_REPLICAS) await stack.startReplica();
        else await stack.stopReplica();
        taken.get(name)?.push(await measure(name, phase));
      }
    }
    await stack.stopReplica();
    for (const [name, measured] of taken) rows.push(combine(phase, name, measured));
  }
  return rows;
}

const share = (cpuMs: number, wallMs: number) => `${Math.round((cpuMs / wallMs) * 100)}%`;

/** Throughput with one and two replicas, and where the CPU went (share of one core; the machine has 2). */
export function replicasTable(rows: readonly Measurement[]): string {
  const labels = [...new Set(rows.map((r) => phaseLabel(r.phase)))];
  const body: string[][] = [];
  for (const label of labels) {
    const one = rows.find((r) => phaseLabel(r.phase) === label && r.contender === ONE_REPLICA);
    const two = rows.find((r) => phaseLabel(r.phase) === label && r.contender === TWO_REPLICAS);
    for (const row of [one, two]) {
      if (!row) continue;
      const { cpu, wallMs } = row;
      body.push([
        label,
        row.contender,
        perSecond(row.result.throughput),
        row === two && one ? ratio(row.result.throughput / one.result.throughput) : '-',
        share(cpu.bench, wallMs),
        share(cpu.server, wallMs),
        share(cpu.nats, wallMs),
        share(cpu.postgres, wallMs),
        share(cpu.bench + cpu.server + cpu.nats + cpu.postgres, wallMs),
      ]);
    }
  }
  return formatTable(
    ['phase', 'replicas', 'lookups/s', 'x2/x1', 'generator', 'registries', 'nats', 'postgres', 'all'],
    body,
  );
}
