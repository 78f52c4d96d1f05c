import {
  AgentNotFoundError,
  BatchNotFoundError,
  type Call,
  CallConflictError,
  type CallCreateRequest,
  CallEvent,
  type CallMachineDetectionReply,
  CallNotFoundError,
  InvalidRequestError,
  type MachineDetection,
} from '@switchboard/contracts';
import type pg from 'pg';
import type { AgentCache } from '../agents/agent-cache.js';
import { settleCallStatus } from '../batches/batch-attempts.js';
import { withDbRetry } from '../db/retry.js';
import { inTransaction } from '../db/transaction.js';
import { applyCallFacts } from './call-facts.js';
import {
  agentJsonForCall,
  CALL_COLUMNS,
  CALLS_JOIN_AGENTS,
  type CallRow,
  callJson,
  LOOKUP_COLUMNS,
  type LookupRow,
  TIMESTAMPS_AS_TEXT,
  toCall,
} from './call-row.js';
import { lockCall } from './call-status-sql.js';
import type { LookupLanes } from './lookup-lanes.js';

const CALLS_BY_SIDS = {
  name: 'calls_by_sids',
  text: `SELECT ${LOOKUP_COLUMNS} FROM calls c WHERE c.call_sid = ANY($1::text[])`,
};

/**
 * One indexed query for any number of callSids: the batched lookup path. Each call comes back as its reply
 * JSON; the agents' parts come from `agents`, which reads those it does not hold in one more query.
 */
export async function findCallsBySids(
  lanes: LookupLanes,
  agents: AgentCache,
  callSids: readonly string[],
): Promise<Map<string, string>> {
  const { rows } = await withDbRetry(() =>
    lanes.query<LookupRow>({ ...CALLS_BY_SIDS, values: [callSids], types: TIMESTAMPS_AS_TEXT }),
  );
  // Each agent's JSON taken once for the whole batch, so an invalidation meanwhile cannot leave a row without.
  const agentJson = new Map<string, string>();
  const missing = new Set<string>();
  for (const { agent_id: id } of rows) {
    if (agentJson.has(id) || missing.has(id)) continue;
    const json = agents.cached(id);
    if (json === undefined) missing.add(id);
    else agentJson.set(id, json);
  }
  if (missing.size > 0) for (const [id, json] of await agents.load([...missing])) agentJson.set(id, json);
  const found = new Map<string, string>();
  for (const row of rows) {
    const agent = agentJson.get(row.agent_id);
    // calls.agent_id references agents(id): a call's agent exists as long as the call does.
    if (agent === undefined) throw new Error(`agent ${row.agent_id} of call ${row.call_sid} was not found`);
    found.set(row.call_sid, callJson(row, agentJsonForCall(agent, row.variables)));
  }
  return found;
}

// Takes the call's lock (see `lockCall`) before inserting, in the same statement: run on its own, the
// statement is its own transaction and holds the lock until it commits. The agent: the one asked for (a
// deleted one leaves agent_id NULL, refused as 23502), else (inbound) the live agent answering the dialled
// number, else `default`.
const INSERT_CALL = {
  name: 'insert_call',
  text: `
    WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtext($1)))
    INSERT INTO calls (call_sid, direction, from_number, to_number, status, agent_id, machine_detection,
      voicemail_message, variables)
    SELECT $1, $2::call_direction, $3, $4, $5::call_status,
      CASE WHEN $6::text IS NULL
        THEN COALESCE((SELECT id FROM agents WHERE $2 = 'inbound' AND phone_number = $4 AND deleted_at IS NULL), 'default')
        ELSE (SELECT id FROM agents WHERE id = $6 AND deleted_at IS NULL) END,
      $7, $8, $9::jsonb
    FROM locked
    ON CONFLICT (call_sid) DO NOTHING
    RETURNING call_sid`,
};

/** The events that change a call's row: those that came before its registration are folded in then. */
const EARLY_EVENT_KINDS = "'status', 'stream', 'recording', 'answered-by'";

/** The call, and whether events were recorded for it (the early ones: see `createCall`). */
const CALL_BY_SID = {
  name: 'call_by_sid_with_events',
  text: `
    SELECT ${CALL_COLUMNS}, EXISTS (
      SELECT 1 FROM call_events e WHERE e.call_sid = c.call_sid AND e.kind IN (${EARLY_EVENT_KINDS})
    ) AS has_events
    FROM ${CALLS_JOIN_AGENTS} WHERE c.call_sid = $1`,
};

const CALL_EVENTS = {
  name: 'call_early_events',
  text: `SELECT payload FROM call_events WHERE call_sid = $1 AND kind IN (${EARLY_EVENT_KINDS}) ORDER BY id`,
};

/**
 * Registers a call; idempotent. A second create with the same direction/from/to returns the stored call
 * (keeping the agent chosen the first time); different ones are a conflict.
 *
 * Events that arrived before the call was registered (an outbound call's first callbacks can: statuses, a
 * recording's, machine detection's) were recorded without a call to apply to; their facts (`applyCallFacts`)
 * are folded in here. The insert and `applyEvent` both hold the call's lock, so an event is either recorded
 * before the insert commits, and then seen by the read that follows it, or applied to the inserted call. The
 * common case is two round trips and one commit; folding is idempotent, so it runs whenever the call has
 * such events, which a fresh call almost never has.
 */
export async function createCall(pool: pg.Pool, given: CallCreateRequest): Promise<Call> {
  const { request, variables } = await withBatchCall(pool, given);
  const inserted = await withDbRetry(() =>
    pool
      .query({
        ...INSERT_CALL,
        values: [
          request.callSid,
          request.direction,
          request.from,
          request.to,
          request.status ?? 'queued',
          request.agentId ?? null,
          request.machineDetection === undefined || request.machineDetection === 'off'
            ? null
            : request.machineDetection,
          request.voicemailMessage ?? null,
          variables === null ? null : JSON.stringify(variables),
        ],
      })
      .catch((err: { code?: string }) => {
        if (err.code === '23503' || err.code === '23502')
          throw AgentNotFoundError.forId(request.agentId ?? '');
        throw err;
      }),
  );
  let row = await readCall(pool, request.callSid);
  if (row?.has_events) {
    await withDbRetry(() =>
      inTransaction(pool, async (client) => {
        await lockCall(client, request.callSid);
        await foldEvents(client, request.callSid);
      }),
    );
    row = await readCall(pool, request.callSid);
  }
  if (!row) throw CallNotFoundError.forSid(request.callSid);
  const { batch } = request;
  if (batch) {
    const status = row.status;
    await withDbRetry(() =>
      inTransaction(pool, async (client) => {
        await lockCall(client, request.callSid);
        await settleCallStatus(client, request.callSid, status, batch);
      }),
    );
  }
  const call = toCall(row);
  if (inserted.rowCount !== 1 && !sameParties(call, request)) {
    throw new CallConflictError(`call ${request.callSid} is already registered with other parties`, {
      callSid: request.callSid,
    });
  }
  return call;
}

const BATCH_CALL = {
  name: 'batch_call_for_create',
  text: 'SELECT to_number, agent_id, variables FROM call_batch_calls WHERE batch_id = $1 AND idx = $2',
};

/** A batch call's registration takes its agent and variables from the batch (the request's agentId must agree). */
async function withBatchCall(
  pool: pg.Pool,
  request: CallCreateRequest,
): Promise<{ request: CallCreateRequest; variables: Record<string, string> | null }> {
  if (!request.batch) return { request, variables: null };
  const { rows } = await withDbRetry(() =>
    pool.query<{ to_number: string; agent_id: string; variables: Record<string, string> | null }>({
      ...BATCH_CALL,
      values: [request.batch?.batchId, request.batch?.index],
    }),
  );
  const row = rows[0];
  if (!row) throw new BatchNotFoundError(`batch ${request.batch.batchId} has no call ${request.batch.index}`);
  if (row.to_number !== request.to || (request.agentId !== undefined && request.agentId !== row.agent_id)) {
    throw new InvalidRequestError(`call ${request.callSid} is not the batch call it names`);
  }
  return { request: { ...request, agentId: row.agent_id }, variables: row.variables };
}

async function readCall(pool: pg.Pool, callSid: string) {
  const { rows } = await withDbRetry(() =>
    pool.query<CallRow & { has_events: boolean }>({
      ...CALL_BY_SID,
      values: [callSid],
      types: TIMESTAMPS_AS_TEXT,
    }),
  );
  return rows[0];
}

function sameParties(call: Call, request: CallCreateRequest): boolean {
  return call.direction === request.direction && call.from === request.from && call.to === request.to;
}

async function foldEvents(client: pg.ClientBase, callSid: string): Promise<void> {
  const { rows } = await client.query<{ payload: unknown }>({ ...CALL_EVENTS, values: [callSid] });
  for (const { payload } of rows) {
    const event = CallEvent.safeParse(payload);
    if (event.success) await applyCallFacts(client, event.data);
  }
}

const MACHINE_DETECTION = {
  name: 'call_machine_detection',
  text: 'SELECT machine_detection, voicemail_message FROM calls WHERE call_sid = $1',
};

/** What the call does when a machine answers, as `POST /api/calls` placed it. */
export async function callMachineDetection(
  pool: pg.Pool,
  callSid: string,
): Promise<CallMachineDetectionReply> {
  const { rows } = await withDbRetry(() =>
    pool.query<{ machine_detection: MachineDetection | null; voicemail_message: string | null }>({
      ...MACHINE_DETECTION,
      values: [callSid],
    }),
  );
  const row = rows[0];
  if (row === undefined) throw CallNotFoundError.forSid(callSid);
  return {
    callSid,
    machineDetection: row.machine_detection ?? 'off',
    voicemailMessage: row.voicemail_message,
  };
}
