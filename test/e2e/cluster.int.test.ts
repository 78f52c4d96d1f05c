import { eventually } from '@switchboard/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLER_LINE, SPEECH_FRAME } from './cluster-calls.js';
import { type DrillReport, runDrill } from './cluster-drill.js';
import { type ClusterStack, startClusterStack } from './cluster-stack.js';

// The cluster drill (test/e2e/cluster-drill.ts) on loopback: three clustered nats-servers with
// JETSTREAM_REPLICAS=3, two registries, two gateways and two workers as processes, the Realtime fake and a
// throwaway PostgreSQL database. One at a time: SIGKILL of the NATS node leading CALL_EVENTS and its
// consumer, a registry, a gateway (the client moves to the other, as a load balancer would) and a worker.
// Timings are figures (printed here with TEST_LOG_LEVEL set, and by `pnpm bench cluster`), not assertions.
// Needs the services built (`pnpm test` builds first).

let stack: ClusterStack;
let report: DrillReport;

beforeAll(async () => {
  stack = await startClusterStack({
    realtime: { speechTrigger: { payload: SPEECH_FRAME, transcript: CALLER_LINE, respond: true } },
  });
}, 90_000);

afterAll(async () => {
  await stack?.close();
});

describe('a cluster drill: one NATS node, a registry, a gateway and a worker killed in turn', () => {
  it('loses nothing a gateway or a worker acknowledged, and the calls on the surviving worker go on', async () => {
    report = await runDrill(stack, {
      log: (line) => process.env.TEST_LOG_LEVEL && process.stderr.write(`${line}\n`),
    });
    if (process.env.TEST_LOG_LEVEL) process.stderr.write(`${JSON.stringify(report, null, 2)}\n`);

    // The node killed led both the stream and the registry's consumer; JetStream moved both elsewhere.
    expect(report.leadersBefore.consumer).toBe(report.leadersBefore.stream);
    expect(report.leadersAfter.stream).not.toBe(report.leadersBefore.stream);
    expect(report.leadersAfter.consumer).not.toBe(report.leadersBefore.consumer);
    expect(report.steps.map((s) => s.step)).toEqual(['nats-node', 'registry', 'gateway', 'worker']);

    // Every status callback answered 2xx is in the registry; so is every transcript segment of the calls
    // that survived.
    expect(report.statusAcknowledged).toBeGreaterThan(0);
    expect(report.statusLost).toEqual([]);
    expect(report.segmentsExpected).toBeGreaterThan(0);
    expect(report.segmentsMissing).toEqual([]);

    // The surviving worker's calls took turns (caller audio in, agent audio out) through every step.
    expect(report.survivingCalls).toBeGreaterThan(0);
    expect(report.survivingCallsTalkingThroughout).toBe(report.survivingCalls);
    expect(report.failedTurns).toBe(0);
    // The killed worker's calls are ended by the registry with the reason `worker-lost` once the worker's
    // lease (its announcements) lapses: within seconds, without that worker's help.
    expect(report.killedWorkerCalls.length).toBeGreaterThan(0);
    const db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    try {
      const endings = await eventually(
        async () =>
          (
            await db.query<{ status: string; ended_reason: string | null }>(
              'SELECT status, ended_reason FROM calls WHERE call_sid = ANY($1)',
              [report.killedWorkerCalls],
            )
          ).rows,
        (rows) =>
          rows.length === report.killedWorkerCalls.length && rows.every((r) => r.ended_reason !== null),
      );
      expect(endings).toEqual(
        report.killedWorkerCalls.map(() => ({ status: 'completed', ended_reason: 'worker-lost' })),
      );
    } finally {
      await db.end();
    }
  }, 150_000);
});
