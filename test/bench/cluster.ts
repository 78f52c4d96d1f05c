// `pnpm bench cluster [--runs N] [--status-publish-deadline-ms MS]`: the cluster drill of test/e2e/cluster.int.test.ts, run N times (default 3)
// on a fresh stack each time, its figures printed per kill. Three clustered nats-servers (JETSTREAM_REPLICAS=3),
// two registries, gateways and workers as processes, the Realtime fake, a throwaway database; 6 calls taking
// turns; status callbacks (2 loops) and call lookups (1 loop) through the gateways as a load balancer sends
// them; then SIGKILL of the NATS node leading CALL_EVENTS and its consumer, a registry, a gateway, a worker.
// Needs the services built (`pnpm bench` builds first).
import { loadavg } from 'node:os';
import { CALLER_LINE, SPEECH_FRAME } from '../e2e/cluster-calls.js';
import { type DrillReport, runDrill } from '../e2e/cluster-drill.js';
import { startClusterStack } from '../e2e/cluster-stack.js';
import { formatTable, ms } from './lib/table.js';

const argument = (name: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const RUNS = Number(argument('--runs') ?? 3);
/** The gateways' STATUS_PUBLISH_DEADLINE_MS (their default, 5000, unless given; compose's cluster profile: 10000). */
const STATUS_DEADLINE_MS = argument('--status-publish-deadline-ms');

process.stdout.write(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
const reports: DrillReport[] = [];
for (let run = 1; run <= RUNS; run++) {
  const stack = await startClusterStack({
    realtime: { speechTrigger: { payload: SPEECH_FRAME, transcript: CALLER_LINE, respond: true } },
    ...(STATUS_DEADLINE_MS
      ? { env: { 'webhook-gateway': { STATUS_PUBLISH_DEADLINE_MS: STATUS_DEADLINE_MS } } }
      : {}),
  });
  try {
    const report = await runDrill(stack);
    reports.push(report);
    process.stdout.write(
      `\nrun ${run}: ${report.requests} requests, ${report.statusAcknowledged} status callbacks acknowledged, `,
    );
    process.stdout.write(
      `${report.statusLost.length} lost; ${report.segmentsExpected} transcript segments expected, `,
    );
    process.stdout.write(
      `${report.segmentsMissing.length} missing; ${report.survivingCallsTalkingThroughout} of `,
    );
    process.stdout.write(
      `${report.survivingCalls} surviving calls talked through every step, ${report.failedTurns} turns failed; `,
    );
    process.stdout.write(
      `leaders ${report.leadersBefore.stream} -> stream ${report.leadersAfter.stream}, consumer ${report.leadersAfter.consumer}\n`,
    );
    process.stdout.write(
      `${formatTable(
        [
          'killed',
          'failed',
          'failures',
          'rerouted',
          'failing for',
          'slowest request',
          'slowest event',
          'no event written for',
          'stream back',
          'consumer back',
          'leaders elected',
          'slowest turn',
          'calm again after',
        ],
        report.steps.map((s) => [
          `${s.step} (${s.killed})`,
          String(s.failed),
          Object.entries(s.failures)
            .map(([k, n]) => `${n}× ${k}`)
            .join(', ') || '-',
          String(s.rerouted),
          `${ms(s.failingForMs)} ms`,
          `${ms(s.slowestMs)} ms`,
          `${ms(s.slowestEventMs)} ms`,
          `${ms(s.eventsPausedMs)} ms`,
          `${ms(s.streamBackAfterMs)} ms`,
          `${ms(s.consumerBackAfterMs)} ms`,
          s.leadersElectedAfterMs
            ? `stream ${ms(s.leadersElectedAfterMs.stream)}, consumer ${ms(s.leadersElectedAfterMs.consumer)} ms`
            : '-',
          `${ms(s.slowestTurnMs)} ms`,
          `${ms(s.recoveredInMs)} ms`,
        ]),
      )}\n`,
    );
  } finally {
    await stack.close();
  }
}
process.stdout.write(
  `\nload average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
if (reports.some((r) => r.statusLost.length > 0 || r.segmentsMissing.length > 0)) {
  process.stdout.write('events were lost: see the runs above\n');
}
