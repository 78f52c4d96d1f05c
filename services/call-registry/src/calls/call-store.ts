import {
  AgentNotFoundError,
  type Call,
  CallConflictError,
  type CallCreateRequest,
  CallEvent,
  CallNotFoundError,
} from '@switchboard/contracts';
import pg from 'pg';
import { withDbRetry } from '../db/retry.js';
import { inTransaction } from '../db/transaction.js';
import { CALL_COLUMNS, CALLS_JOIN_AGENTS, type CallRow, toAgent, toCall } from './call-row.js';
import { applyStatus, lockCall, statusReportOf } from './call-status-sql.js';

const CALLS_BY_SIDS = {
  name: 'calls_by_sids',
  text: `SELECT ${CALL_COLUMNS} FROM ${CALLS_JOIN_AGENTS} WHERE c.call_sid = ANY($1::text[])`,
};

/**
 * One indexed query for any number of callSids: the batched lookup path. Its timestamps are read as text
 * and turned into ISO strings directly: parsing them into Dates and formatting those again was half of the
 * registry's cost of decoding a row (measured with `pnpm bench registry`, see test/bench/README.md).
 */
export async function findCallsBySids(
  pool: pg.Pool,
  callSids: readonly string[],
): Promise<Map<string, Call>> {
  const { rows } = await withDbRetry(() =>
    pool.query<LookupRow>({ ...CALLS_BY_SIDS, values: [callSids], types: TIMESTAMPS_AS_TEXT }),
  );
  return new Map(rows.map((row) => [row.call_sid, lookupRowToCall(row)]));
}

const TIMESTAMPTZ_OID = 1184;
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text');
const TIMESTAMPS_AS_TEXT: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ_OID
      ? (text: string) => text
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

type TimestampColumn = 'created_at' | 'updated_at' | 'answered_at' | 'ended_at';
type LookupRow = Omit<CallRow, TimestampColumn> & {
  created_at: string;
  updated_at: string;
  answered_at: string | null;
  ended_at: string | null;
};

/** `toCall` for a row whose timestamps came as PostgreSQL's text. */
function lookupRowToCall(row: LookupRow): Call {
  return {
    callSid: row.call_sid,
    direction: row.direction,
    from: row.from_number,
    to: row.to_number,
    status: row.status,
    agent: toAgent({
      id: row.agent_id,
      phoneNumber: row.agent_phone_number,
      instructions: row.agent_instructions,
      voice: row.agent_voice,
      model: row.agent_model,
      greeting: row.agent_greeting,
    }),
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
    answeredAt: row.answered_at === null ? null : isoTime(row.answered_at),
    endedAt: row.ended_at === null ? null : isoTime(row.ended_at),
    durationSeconds: row.duration_seconds,
  };
}

/**
 * A `timestamptz(3)` as PostgreSQL writes it in a UTC session (`2026-01-01 00:00:01.5+00`) → the ISO string
 * `Date#toISOString` gives (`2026-01-01T00:00:01.500Z`), without making a Date. Any other shape (another
 * session time zone, years past 9999) goes through node-postgres's own parser.
 */
function isoTime(text: string): string {
  if (text.length >= 22 && text.length <= 26 && text[10] === ' ' && text.endsWith('+00')) {
    const fraction = text.length > 22 ? text.slice(19, -3).padEnd(4, '0') : '.000';
    return `${text.slice(0, 10)}T${text.slice(11, 19)}${fraction}Z`;
  }
  return (parseTimestamptz(text) as Date).toISOString();
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
      const { rows } = await client.query<CallRow>({ ...CALL_BY_SID, values: [request.callSid] });
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
