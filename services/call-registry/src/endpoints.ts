import { EncodedReply, type ServiceHost } from '@switchboard/bus';
import {
  type Call,
  CallNotFoundError,
  type CallReportReply,
  ENDPOINTS,
  type HealthReply,
} from '@switchboard/contracts';
import type pg from 'pg';
import { deleteAgent, getAgent, listAgents, putAgent, upsertAgent } from './agents/agent-store.js';
import { attemptFailed, claimBatchCall } from './batches/batch-claim.js';
import { addBatchCalls, cancelBatch, createBatch, getBatch } from './batches/batch-store.js';
import type { BatchLoader } from './calls/batch-loader.js';
import { callActivity } from './calls/call-activity.js';
import { listCalls } from './calls/call-list.js';
import { callMachineDetection, createCall } from './calls/call-store.js';
import { callTranscript } from './calls/transcript.js';
import type { PoolFigures } from './db/pool.js';
import type { PrismaClient } from './db/prisma.js';
import {
  activeWebhooks,
  addDeadLetter,
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeadLetters,
  listWebhooks,
  removeDeadLetters,
} from './webhooks/webhook-store.js';

export interface EndpointDeps {
  pool: pg.Pool;
  prisma: PrismaClient;
  /** call.bySid: each call's reply JSON, batched. */
  lookups: BatchLoader<string, string>;
  poolFigures: () => PoolFigures;
  /** Whether the database answers right now. */
  databaseAnswers: () => Promise<boolean>;
  /** Called once an agent was written, before the write is answered (see `AgentChanges.announce`). */
  agentWritten: (id: string) => void;
  /** Called once a webhook subscription was created or deleted, before the write is answered. */
  webhookWritten: (id: string) => void;
}

/** Every subject the registry answers (SPEC: NATS → Request/reply). */
export function addEndpoints(host: ServiceHost, deps: EndpointDeps): void {
  const { pool, prisma, lookups } = deps;

  host.addEndpoint('bySid', ENDPOINTS.callBySid, async ({ callSid }) => {
    const json = await lookups.get(callSid);
    if (json === undefined) throw CallNotFoundError.forSid(callSid);
    return new EncodedReply<Call>(json);
  });

  host.addEndpoint('create', ENDPOINTS.callCreate, async (request) => {
    const call = await createCall(pool, request);
    lookups.forget(request.callSid);
    return call;
  });

  host.addEndpoint('list', ENDPOINTS.callList, (request) => listCalls(prisma, request));

  host.addEndpoint('machineDetection', ENDPOINTS.callMachineDetection, ({ callSid }) =>
    callMachineDetection(pool, callSid),
  );

  host.addEndpoint('activity', ENDPOINTS.callActivity, ({ minutes }) => callActivity(pool, minutes));

  host.addEndpoint('transcript', ENDPOINTS.callTranscript, ({ callSid }) =>
    callTranscript(prisma, async (sid) => (await lookups.get(sid)) !== undefined, callSid),
  );

  // The Call and its transcript in one reply, both read after every event applied so far.
  host.addEndpoint('report', ENDPOINTS.callReport, async ({ callSid }) => {
    let json: string | undefined;
    const transcript = await callTranscript(
      prisma,
      async (sid) => {
        json = await lookups.get(sid);
        return json !== undefined;
      },
      callSid,
    );
    if (json === undefined) throw CallNotFoundError.forSid(callSid);
    return new EncodedReply<CallReportReply>(`{"call":${json},"transcript":${JSON.stringify(transcript)}}`);
  });

  // Every write of an agent is announced before it is answered, so no replica serves the old one after.
  host.addEndpoint('agentUpsert', ENDPOINTS.agentUpsert, async (agent) => {
    const stored = await upsertAgent(pool, agent);
    deps.agentWritten(stored.id);
    return stored;
  });

  host.addEndpoint('agentPut', ENDPOINTS.agentPut, async ({ agent }) => {
    const put = await putAgent(pool, agent);
    deps.agentWritten(put.agent.id);
    return put;
  });

  host.addEndpoint('agentGet', ENDPOINTS.agentGet, ({ id }) => getAgent(pool, id));

  host.addEndpoint('agentList', ENDPOINTS.agentList, (request) => listAgents(pool, request));

  host.addEndpoint('agentDelete', ENDPOINTS.agentDelete, async ({ id }) => {
    const deleted = await deleteAgent(pool, id);
    deps.agentWritten(id);
    return deleted;
  });

  host.addEndpoint('batchCreate', ENDPOINTS.batchCreate, (request) => createBatch(pool, request));

  host.addEndpoint('batchAddCalls', ENDPOINTS.batchAddCalls, async (request) => {
    await addBatchCalls(pool, request);
    return { ok: true as const };
  });

  host.addEndpoint('batchGet', ENDPOINTS.batchGet, (request) => getBatch(pool, request));

  host.addEndpoint('batchCancel', ENDPOINTS.batchCancel, ({ id }) => cancelBatch(pool, id));

  host.addEndpoint('batchClaim', ENDPOINTS.batchClaim, ({ batchId, index, leaseMs, holder }) =>
    claimBatchCall(pool, batchId, index, leaseMs, holder),
  );

  host.addEndpoint('batchAttemptFailed', ENDPOINTS.batchAttemptFailed, async (ref) => {
    await attemptFailed(pool, ref, ref.outcome);
    return { ok: true as const };
  });

  host.addEndpoint('webhookCreate', ENDPOINTS.webhookCreate, async (request) => {
    const created = await createWebhook(pool, request);
    deps.webhookWritten(created.id);
    return created;
  });

  host.addEndpoint('webhookList', ENDPOINTS.webhookList, async () => ({
    webhooks: await listWebhooks(pool),
  }));

  host.addEndpoint('webhookGet', ENDPOINTS.webhookGet, ({ id }) => getWebhook(pool, id));

  host.addEndpoint('webhookDelete', ENDPOINTS.webhookDelete, async ({ id }) => {
    const deleted = await deleteWebhook(pool, id);
    deps.webhookWritten(id);
    return deleted;
  });

  host.addEndpoint('webhookActive', ENDPOINTS.webhookActive, async () => ({
    webhooks: await activeWebhooks(pool),
  }));

  host.addEndpoint('webhookFailedAdd', ENDPOINTS.webhookFailedAdd, (request) => addDeadLetter(pool, request));

  host.addEndpoint('webhookFailedList', ENDPOINTS.webhookFailedList, (request) =>
    listDeadLetters(pool, request),
  );

  host.addEndpoint('webhookFailedRemove', ENDPOINTS.webhookFailedRemove, (request) =>
    removeDeadLetters(pool, request),
  );

  // Each replica's own pool in `$SRV.STATS` too (a `registry.health` reply is one replica's).
  host.addEndpoint(
    'health',
    ENDPOINTS.registryHealth,
    async (): Promise<HealthReply> => {
      const ok = await deps.databaseAnswers();
      return { status: ok ? 'ok' : 'degraded', db: deps.poolFigures() };
    },
    () => ({ pool: deps.poolFigures() }),
  );
}
