import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectBus } from '@switchboard/bus';
import {
  CALL_EVENTS_CONSUMER,
  CALL_EVENTS_STREAM,
  inboxPrefixFor,
  REGISTRY_SERVICE_NAME,
} from '@switchboard/contracts';
import { type ClusterNode, until } from '@switchboard/testkit';
import pg from 'pg';
import { NATS_USERS } from '../support.js';
import { DrillCall } from './cluster-calls.js';
import { GatewayBalancer, Probes, type RequestRecord } from './cluster-probes.js';
import type { ClusterStack, Replica } from './cluster-stack.js';

// The cluster drill: calls with audio, transcripts and status callbacks flowing through two replicas of every
// service on three NATS nodes; then, one at a time, SIGKILL of the NATS node leading CALL_EVENTS and the
// registry's consumer, a registry, a gateway and a worker. What it measures is returned as figures: the test
// asserts what must hold (nothing acknowledged lost, the surviving calls going on), `pnpm bench cluster`
// prints them.

export interface DrillOptions {
  /** Calls, spread over the workers (default 6). */
  calls?: number;
  /** After each recovery, how long things run before the next kill (default 2 s). */
  settleMs?: number;
  log?: (line: string) => void;
}

export interface StepFigures {
  step: 'nats-node' | 'registry' | 'gateway' | 'worker';
  killed: string;
  /** When the kill happened (epoch ms). */
  killedAt: number;
  /** Requests answered with other than 2xx or broken, that ended after the kill. */
  failed: number;
  /** The failed requests by outcome (HTTP status or error code). */
  failures: Record<string, number>;
  /** Requests a refused connection sent to the other gateway (not failed: a load balancer's retry). */
  rerouted: number;
  /** From the kill to the end of the last failed request (0 when none failed). */
  failingForMs: number;
  /** The slowest request that ended after the kill. */
  slowestMs: number;
  /**
   * The longest a status callback first sent in this step took from that first attempt until a registry had
   * written it (retries and the consumer's delays included).
   */
  slowestEventMs: number;
  /** The longest time in this step in which no registry wrote any event (the consumer stalled). */
  eventsPausedMs: number;
  /** From the kill until JetStream acknowledged a status callback sent after it (the stream took publishes). */
  streamBackAfterMs: number;
  /** From the kill until a registry wrote a status callback sent after it (the consumer was back). */
  consumerBackAfterMs: number;
  /**
   * NATS node only: from the kill until JetStream reported a leader on a live node for CALL_EVENTS and for the
   * registry's consumer (nats-server's own elections; what the services add is the rest of the "back" times).
   */
  leadersElectedAfterMs?: { stream: number; consumer: number };
  /** The slowest turn (caller speaks → whole answer back) of a surviving call spoken in this step. */
  slowestTurnMs: number;
  /** Until requests succeeded again without a failure for `settleMs`. */
  recoveredInMs: number;
}

export interface DrillReport {
  steps: StepFigures[];
  /** Status callbacks a gateway acknowledged, and those of them not in the registry at the end. */
  statusAcknowledged: number;
  statusLost: string[];
  /** Transcript segments the surviving calls' turns produced, and those missing in the registry. */
  segmentsExpected: number;
  segmentsMissing: string[];
  /** Calls on the workers that stayed, whether each took turns after every kill, failed turns. */
  survivingCalls: number;
  survivingCallsTalkingThroughout: number;
  failedTurns: number;
  /** The calls of the killed worker (their `worker-lost` ending comes with the workers' leases). */
  killedWorkerCalls: string[];
  /** The NATS node killed led CALL_EVENTS and its consumer; JetStream elected these leaders instead. */
  leadersBefore: { stream: string; consumer: string };
  leadersAfter: { stream: string; consumer: string };
  requests: number;
}

const RECOVERY_DEADLINE_MS = 40_000;
const EVENT_DEADLINE_MS = 30_000;

export async function runDrill(stack: ClusterStack, options: DrillOptions = {}): Promise<DrillReport> {
  const { calls: callCount = 6, settleMs = 2_000 } = options;
  const log = options.log ?? (() => undefined);
  const admin = await connectBus({
    url: stack.nats.url,
    name: 'cluster-drill',
    user: NATS_USERS.registry.user,
    password: NATS_USERS.registry.password,
    inboxPrefix: inboxPrefixFor(REGISTRY_SERVICE_NAME),
  });
  const balancer = new GatewayBalancer(stack.gateways);
  const calls: DrillCall[] = [];
  const probes = new Probes(stack, () => calls.map((c) => c.callSid));
  const steps: StepFigures[] = [];
  try {
    for (let i = 0; i < callCount; i++) {
      calls.push(await DrillCall.place(stack, balancer, stack.workers[i % stack.workers.length] as Replica));
    }
    for (const call of calls) call.talk();
    probes.start();
    log(`drill: ${calls.length} calls talking, probes running`);
    await waitForCalm(probes, Date.now(), settleMs);

    const leadersBefore = await leaders(admin, stack, true);
    const node = stack.nats.node(leadersBefore.stream);
    let elected: Promise<{ stream: number; consumer: number }> | undefined;
    const natsStep = await step('nats-node', node.name, probes, calls, settleMs, async () => {
      const killedAt = Date.now();
      await node.server.kill();
      elected = electionTimes(admin, stack, killedAt);
    });
    natsStep.leadersElectedAfterMs = await elected;
    steps.push(natsStep);
    log(`drill: ${node.name} killed, ${JSON.stringify(steps.at(-1))}`);
    const leadersAfter = await leaders(admin, stack, false);
    await stack.nats.restart(node as ClusterNode);
    for (const [kind, replica] of [
      ['registry', stack.registries[0]],
      ['gateway', stack.gateways[0]],
      ['worker', stack.workers[1]],
    ] as const) {
      const killed = replica as Replica;
      steps.push(await step(kind, killed.name, probes, calls, settleMs, () => killed.kill()));
      log(`drill: ${killed.name} killed, ${JSON.stringify(steps.at(-1))}`);
    }

    const killedWorker = stack.workers[1] as Replica;
    const surviving = calls.filter((c) => c.worker !== killedWorker);
    const lostCalls = calls.filter((c) => c.worker === killedWorker);
    for (const call of lostCalls) call.abandon();
    await probes.stop();
    const probesStoppedAt = Date.now();
    await Promise.all(surviving.map((c) => c.hangUp()));
    await Promise.all(surviving.map((c) => probes.status(c.callSid, 'completed')));

    const statusLost = await missingEvents(
      stack,
      probes.acknowledged.map((a) => a.msgId),
    );
    const eventTimes = await eventReceivedAt(stack);
    // Each step's window: from its kill to the next one's (the last one's to the end).
    const windows = steps.map((s, i) => [s.killedAt, steps[i + 1]?.killedAt ?? probesStoppedAt] as const);
    for (const [i, figures] of steps.entries()) {
      const [from, to] = windows[i] as readonly [number, number];
      figures.slowestEventMs = Math.max(
        0,
        ...probes.acknowledged
          .filter((a) => a.firstSentAt >= from && a.firstSentAt < to)
          .map((a) => (eventTimes.get(a.msgId) ?? a.at) - a.firstSentAt),
      );
      const sentInStep = probes.acknowledged.filter((a) => a.firstSentAt >= from && a.firstSentAt < to);
      figures.streamBackAfterMs = Math.min(...sentInStep.map((a) => a.at)) - from;
      figures.consumerBackAfterMs =
        Math.min(...sentInStep.map((a) => eventTimes.get(a.msgId) ?? Number.POSITIVE_INFINITY)) - from;
      figures.eventsPausedMs = longestGap(
        [...eventTimes.values()].filter((t) => t >= from && t < to),
        from,
      );
    }
    const segments = await missingSegments(stack, surviving);
    return {
      steps,
      statusAcknowledged: probes.acknowledged.length,
      statusLost,
      segmentsExpected: segments.expected,
      segmentsMissing: segments.missing,
      survivingCalls: surviving.length,
      survivingCallsTalkingThroughout: surviving.filter((c) =>
        windows.every(([from, to]) => c.answeredTurns(from, to) > 0),
      ).length,
      failedTurns: surviving.reduce((n, c) => n + c.failedTurns(), 0),
      killedWorkerCalls: lostCalls.map((c) => c.callSid),
      leadersBefore,
      leadersAfter,
      requests: probes.records.length,
    };
  } finally {
    await probes.stop();
    for (const call of calls) call.abandon();
    await admin.close();
  }
}

async function step(
  kind: StepFigures['step'],
  killed: string,
  probes: Probes,
  calls: DrillCall[],
  settleMs: number,
  kill: () => Promise<void>,
): Promise<StepFigures> {
  const at = Date.now();
  await kill();
  const recoveredAt = await waitForCalm(probes, at, settleMs);
  // And every call still up has taken a turn since the kill (on a loaded machine a turn can take longer
  // than the calm), so that each step's window holds a turn of every surviving call.
  await until(
    () => calls.filter((c) => c.open).every((c) => c.answeredTurns(at) > 0),
    'a turn of every open call after the kill',
    RECOVERY_DEADLINE_MS,
  );
  const after = probes.records.filter((r) => r.endedAt >= at && r.startedAt < recoveredAt);
  const failed = after.filter((r) => !r.ok);
  const turns = calls
    .filter((c) => c.open)
    .flatMap((c) => c.turns.filter((t) => t.spokeAt >= at && t.answeredAt !== undefined));
  return {
    step: kind,
    killed,
    killedAt: at,
    failed: failed.length,
    failures: countBy(failed.map((r) => `${r.probe} ${r.outcome}`)),
    rerouted: after.filter((r) => r.rerouted).length,
    failingForMs: Math.max(0, ...failed.map((r) => r.endedAt - at)),
    slowestMs: Math.max(0, ...after.map((r) => r.endedAt - r.startedAt)),
    slowestEventMs: 0,
    eventsPausedMs: 0,
    streamBackAfterMs: 0,
    consumerBackAfterMs: 0,
    slowestTurnMs: Math.max(0, ...turns.map((t) => (t.answeredAt as number) - t.spokeAt)),
    recoveredInMs: recoveredAt - settleMs - at,
  };
}

/**
 * Resolves (with the time) once every request of both probes that ended in the last `settleMs` succeeded,
 * and some of each did: the system is answering again. Throws after RECOVERY_DEADLINE_MS.
 */
async function waitForCalm(probes: Probes, since: number, settleMs: number): Promise<number> {
  const deadline = since + RECOVERY_DEADLINE_MS;
  for (;;) {
    const now = Date.now();
    const window = probes.records.filter((r) => r.endedAt >= Math.max(since, now - settleMs));
    const calm =
      now - since >= settleMs &&
      window.every((r) => r.ok) &&
      (['status', 'lookup'] as const).every((p) => window.some((r: RequestRecord) => r.probe === p));
    if (calm) return now;
    if (now > deadline) {
      const failing = countBy(window.filter((r) => !r.ok).map((r) => `${r.probe} ${r.outcome}`));
      throw new Error(
        `requests still failing ${RECOVERY_DEADLINE_MS} ms after a kill: ${JSON.stringify(failing)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Leaders {
  stream: string;
  consumer: string;
}

/**
 * The nodes leading CALL_EVENTS and the registry's consumer, as JetStream reports them. With `together`, the
 * consumer's leadership is stepped down until it sits on the stream leader's node, so that one kill takes
 * both (JetStream picks the new leader; a few tries find that node).
 */
async function leaders(nc: NatsConnection, stack: ClusterStack, together: boolean): Promise<Leaders> {
  // No $JS.API.INFO check first (`checkAPI`): asked while a node is down, it could time out by itself.
  const jsm = await jetstreamManager(nc, { timeout: 2_000, checkAPI: false });
  const deadline = Date.now() + RECOVERY_DEADLINE_MS;
  for (;;) {
    const stream = await jsm.streams.info(CALL_EVENTS_STREAM).catch(() => undefined);
    const consumer = await jsm.consumers
      .info(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER)
      .catch(() => undefined);
    const s = stream?.cluster?.leader;
    const c = consumer?.cluster?.leader;
    const running = (name: string | undefined) =>
      stack.nats.nodes.some((n) => n.name === name && n.server.running);
    if (running(s) && running(c)) {
      if (!together || s === c) return { stream: s as string, consumer: c as string };
      await nc
        .request(`$JS.API.CONSUMER.LEADER.STEPDOWN.${CALL_EVENTS_STREAM}.${CALL_EVENTS_CONSUMER}`, '', {
          timeout: 2_000,
        })
        .catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`no CALL_EVENTS leaders in time (stream ${s}, consumer ${c})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** How long after `since` JetStream first reported a live leader for CALL_EVENTS, and for its consumer. */
async function electionTimes(
  nc: NatsConnection,
  stack: ClusterStack,
  since: number,
): Promise<{ stream: number; consumer: number }> {
  const jsm = await jetstreamManager(nc, { timeout: 500, checkAPI: false });
  const live = (name: string | undefined) =>
    stack.nats.nodes.some((n) => n.name === name && n.server.running);
  const found: { stream?: number; consumer?: number } = {};
  const deadline = since + RECOVERY_DEADLINE_MS;
  while ((found.stream === undefined || found.consumer === undefined) && Date.now() < deadline) {
    const [stream, consumer] = await Promise.all([
      jsm.streams.info(CALL_EVENTS_STREAM).catch(() => undefined),
      jsm.consumers.info(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER).catch(() => undefined),
    ]);
    if (found.stream === undefined && live(stream?.cluster?.leader)) found.stream = Date.now() - since;
    if (found.consumer === undefined && live(consumer?.cluster?.leader)) found.consumer = Date.now() - since;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { stream: found.stream ?? Number.NaN, consumer: found.consumer ?? Number.NaN };
}

/** The message ids among `msgIds` the registry has not written, once it stopped writing new ones. */
async function missingEvents(stack: ClusterStack, msgIds: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: stack.db.url });
  await client.connect();
  try {
    const deadline = Date.now() + EVENT_DEADLINE_MS;
    for (;;) {
      const found = await client.query<{ msg_id: string }>(
        'SELECT msg_id FROM call_events WHERE msg_id = ANY($1::text[])',
        [msgIds],
      );
      const present = new Set(found.rows.map((r) => r.msg_id));
      const missing = msgIds.filter((id) => !present.has(id));
      if (missing.length === 0 || Date.now() > deadline) return missing;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await client.end();
  }
}

/** When the registry wrote each event (`received_at`, the writing transaction's start), by message id. */
async function eventReceivedAt(stack: ClusterStack): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: stack.db.url });
  await client.connect();
  try {
    const rows = await client.query<{ msg_id: string; at: Date }>(
      'SELECT msg_id, received_at AS at FROM call_events',
    );
    return new Map(rows.rows.map((r) => [r.msg_id, r.at.getTime()]));
  } finally {
    await client.end();
  }
}

/**
 * Every answered turn of a surviving call is a caller segment and an agent segment, and the greeting one
 * more agent segment: what the registry should have, per call and role, once the workers' outboxes drained.
 */
async function missingSegments(
  stack: ClusterStack,
  calls: DrillCall[],
): Promise<{ expected: number; missing: string[] }> {
  const expected = new Map<string, number>();
  for (const call of calls) {
    const turns = call.answeredTurns();
    expected.set(`${call.callSid}:caller`, turns);
    expected.set(`${call.callSid}:agent`, turns + 1);
  }
  const client = new pg.Client({ connectionString: stack.db.url });
  await client.connect();
  try {
    const deadline = Date.now() + EVENT_DEADLINE_MS;
    for (;;) {
      const rows = await client.query<{ call_sid: string; role: string; n: string }>(
        `SELECT call_sid, role::text AS role, count(*) AS n FROM transcript_segments
          WHERE call_sid = ANY($1::text[]) GROUP BY call_sid, role`,
        [calls.map((c) => c.callSid)],
      );
      const have = new Map(rows.rows.map((r) => [`${r.call_sid}:${r.role}`, Number(r.n)]));
      const missing = [...expected].flatMap(([key, n]) =>
        (have.get(key) ?? 0) >= n ? [] : [`${key}: ${have.get(key) ?? 0} of ${n}`],
      );
      if (missing.length === 0 || Date.now() > deadline) {
        return { expected: [...expected.values()].reduce((a, b) => a + b, 0), missing };
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await client.end();
  }
}

function countBy(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

/** The longest stretch from `from` with no time in `times`, between them or before the first. */
function longestGap(times: number[], from: number): number {
  const sorted = [from, ...times].sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < sorted.length; i++)
    longest = Math.max(longest, (sorted[i] as number) - (sorted[i - 1] as number));
  return longest;
}
