import {
  AgentNotFoundError,
  type Call,
  CallConflictError,
  type CallCreateRequest,
  CallEvent,
  CallNotFoundError,
} from '@switchboard/contracts';
import type pg from 'pg';
import { withDbRetry } from '../db/retry.js';
import { inTransaction } from '../db/transaction.js';
import { CALL_COLUMNS, CALLS_JOIN_AGENTS, type CallRow, TIMESTAMPS_AS_TEXT, toCall } from './call-row.js';
import { applyStatus, lockCall, statusReportOf } from './call-status-sql.js';

const CALLS_BY_SIDS = {
  name: 'calls_by_sids',
  text: `SELECT ${CALL_COLUMNS} FROM ${CALLS_JOIN_AGENTS} WHERE c.call_sid = ANY($1::text[])`,
};

/** One indexed query for any number of callSids: the batched lookup path. */
export async function findCallsBySids(
  pool: pg.Pool,
  callSids: readonly string[],
): Promise<Map<string, Call>> {
  const { rows } = await withDbRetry(() =>
    pool.query<CallRow>({ ...CALLS_BY_SIDS, values: [callSids], types: TIMESTAMPS_AS_TEXT }),
  );
  return new Map(rows.map((row) => [row.call_sid, toCall(row)]));
}

// The agent: the one asked for, else (inbound) the agent answering the dialled number, else `default`.
const INSERT_CALL = {
  name: 'insert_call',
  text: `
    INSERT INTO calls (call_sid, direction, from_number, to_number, status, agent_id)
    SELECT $1, $2::call_direction, $3, $4, $5::call_status,
      COALESCE($6, (SELECT id FROM agents WHERE $2 = 'inbound' AND phone_number = $4), 'default')
    ON CONFLICT (call_sid) DO NOTHING
    RETURNING call_sid`,
};

const CALL_BY_SID = {
  name: 'call_by_sid',
  text: `SELECT ${CALL_COLUMNS} FROM ${CALLS_JOIN_AGENTS} WHERE c.call_sid = $1`,
};

const EARLY_EVENTS = {
  name: 'early_call_events',
  text: `SELECT payload FROM call_events WHERE call_sid = $1 AND kind IN ('status', 'stream') ORDER BY id`,
};

/**
 * Registers a call; idempotent. A second create with the same direction/from/to returns the stored call
 * (keeping the agent chosen the first time); different ones are a conflict. Status events that arrived
 * before the call was registered (an outbound call's first callbacks can) are folded in.
 */
export async function createCall(pool: pg.Pool, request: CallCreateRequest): Promise<Call> {
  const row = await withDbRetry(() =>
    inTransaction(pool, async (client) => {
      await lockCall(client, request.callSid);
      const inserted = await client
        .query({
          ...INSERT_CALL,
          values: [
            request.callSid,
            request.direction,
            request.from,
            request.to,
            request.status ?? 'queued',
            request.agentId ?? null,
          ],
        })
        .catch((err: { code?: string }) => {
          if (err.code === '23503') throw AgentNotFoundError.forId(request.agentId ?? '');
          throw err;
        });
      if (inserted.rowCount === 1) await foldEarlyEvents(client, request.callSid);
      const { rows } = await client.query<CallRow>({
        ...CALL_BY_SID,
        values: [request.callSid],
        types: TIMESTAMPS_AS_TEXT,
      });
      return { row: rows[0], created: inserted.rowCount === 1 };
    }),
  );
  if (!row.row) throw CallNotFoundError.forSid(request.callSid);
  const call = toCall(row.row);
  if (!row.created && !sameParties(call, request)) {
    throw new CallConflictError(`call ${request.callSid} is already registered with other parties`, {
      callSid: request.callSid,
    });
  }
  return call;
}

function sameParties(call: Call, request: CallCreateRequest): boolean {
  return call.direction === request.direction && call.from === request.from && call.to === request.to;
}

async function foldEarlyEvents(client: pg.ClientBase, callSid: string): Promise<void> {
  const { rows } = await client.query<{ payload: unknown }>({ ...EARLY_EVENTS, values: [callSid] });
  for (const { payload } of rows) {
    const event = CallEvent.safeParse(payload);
    const report = event.success ? statusReportOf(event.data) : undefined;
    if (report) await applyStatus(client, report);
  }
}
