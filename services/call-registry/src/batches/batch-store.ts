import type { BatchAddCallsRequest, BatchCreateRequest, BatchGetRequest } from '@switchboard/contracts';
import {
  BATCH_OUTCOMES,
  type BatchCall,
  type BatchCounts,
  BatchNotFoundError,
  type BatchOutcome,
  type BatchSettings,
  type BatchStatus,
  type BatchSummary,
  InvalidRequestError,
  type RetryableOutcome,
} from '@switchboard/contracts';
import type pg from 'pg';
import type { z } from 'zod';
import { isoFromTimestamptz, TIMESTAMPS_AS_TEXT } from '../calls/call-row.js';
import { withDbRetry } from '../db/retry.js';
import { inTransaction } from '../db/transaction.js';

type CreateRequest = z.output<typeof BatchCreateRequest>;
type AddCallsRequest = z.output<typeof BatchAddCallsRequest>;
type GetRequest = z.output<typeof BatchGetRequest>;

const INSERT_BATCH = {
  name: 'insert_call_batch',
  text: `
    INSERT INTO call_batches (id, max_per_second, max_concurrent, not_before, not_after, retry_on,
      retry_attempts, retry_delay_seconds, from_number, total)
    VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9, $10)
    ON CONFLICT (id) DO NOTHING`,
};

const BATCH_COLUMNS = `id, max_per_second, max_concurrent, not_before, not_after, retry_on, retry_attempts,
  retry_delay_seconds, from_number, total, canceled_at, created_at`;

interface BatchRow {
  id: string;
  max_per_second: number;
  max_concurrent: number;
  not_before: string | null;
  not_after: string | null;
  retry_on: string[];
  retry_attempts: number;
  retry_delay_seconds: number;
  from_number: string;
  total: number;
  canceled_at: string | null;
  created_at: string;
}

const BATCH_BY_ID = {
  name: 'call_batch_by_id',
  text: `SELECT ${BATCH_COLUMNS} FROM call_batches WHERE id = $1`,
};

const BATCH_COUNTS = {
  name: 'call_batch_counts',
  text: `SELECT outcome, count(*)::int AS n, bool_or(attempts > 0 OR state <> 'waiting') AS started
         FROM call_batch_calls WHERE batch_id = $1 GROUP BY outcome`,
};

const BATCH_CALLS_PAGE = {
  name: 'call_batch_calls_page',
  text: `SELECT bc.to_number, bc.call_sid, bc.attempts, bc.outcome,
           ARRAY(SELECT a.call_sid FROM call_batch_attempts a
                 WHERE a.batch_id = bc.batch_id AND a.idx = bc.idx ORDER BY a.attempt) AS call_sids
         FROM call_batch_calls bc
         WHERE bc.batch_id = $1 AND bc.idx >= $2 ORDER BY bc.idx LIMIT $3`,
};

/** Stores a batch (its calls follow with `addCalls`); a second create with the same id returns the first. */
export async function createBatch(
  pool: pg.Pool,
  { id, total, settings }: CreateRequest,
): Promise<BatchSummary> {
  await withDbRetry(() =>
    pool.query({
      ...INSERT_BATCH,
      values: [
        id,
        settings.maxPerSecond,
        settings.maxConcurrent,
        settings.notBefore,
        settings.notAfter,
        settings.retry.on,
        settings.retry.attempts,
        settings.retry.delaySeconds,
        settings.from,
        total,
      ],
    }),
  );
  return batchSummary(pool, id);
}

/** Stores calls `offset…` of a batch, each once. Calls beyond the batch's `total` are refused. */
export async function addBatchCalls(pool: pg.Pool, { id, offset, calls }: AddCallsRequest): Promise<void> {
  const batch = await readBatch(pool, id);
  if (offset + calls.length > batch.total) {
    throw new InvalidRequestError(`batch ${id} has ${batch.total} calls: ${offset + calls.length} given`);
  }
  await withDbRetry(() =>
    inTransaction(pool, (client) =>
      client.query(
        `INSERT INTO call_batch_calls (batch_id, idx, to_number, agent_id, variables)
         SELECT $1, $2 + (c.ord - 1)::int, c.value->>'to', c.value->>'agentId', c.value->'variables'
         FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS c(value, ord)
         ON CONFLICT (batch_id, idx) DO NOTHING`,
        [id, offset, JSON.stringify(calls)],
      ),
    ).catch((err: { code?: string }) => {
      if (err.code === '23503') throw new InvalidRequestError(`a call of batch ${id} names an unknown agent`);
      throw err;
    }),
  );
}

/** Cancels what has not been dialled: waiting calls become `canceled`; dialled ones go on. */
export async function cancelBatch(pool: pg.Pool, id: string): Promise<BatchSummary> {
  await readBatch(pool, id);
  await withDbRetry(() =>
    inTransaction(pool, async (client) => {
      await client.query(
        'UPDATE call_batches SET canceled_at = COALESCE(canceled_at, clock_timestamp()) WHERE id = $1',
        [id],
      );
      await client.query(
        `UPDATE call_batch_calls SET state = 'final', outcome = 'canceled', retry_at = NULL
         WHERE batch_id = $1 AND state = 'waiting'`,
        [id],
      );
    }),
  );
  return batchSummary(pool, id);
}

const SNAPSHOT = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/**
 * The batch and a page of its calls, read in one snapshot (`REPEATABLE READ`), so the counts and the calls
 * agree with each other.
 */
export async function getBatch(
  pool: pg.Pool,
  { id, offset, limit }: GetRequest,
): Promise<{ batch: BatchSummary; calls: BatchCall[] }> {
  return withDbRetry(() =>
    inTransaction(
      pool,
      async (client) => {
        const batch = await summaryOf(client, id);
        const { rows } = await client.query<{
          to_number: string;
          call_sid: string | null;
          attempts: number;
          outcome: BatchOutcome;
          call_sids: string[];
        }>({ ...BATCH_CALLS_PAGE, values: [id, offset, limit] });
        const calls = rows.map((row): BatchCall => {
          const call: BatchCall = {
            to: row.to_number,
            attempts: row.attempts,
            outcome: row.outcome,
            callSids: row.call_sids,
          };
          if (row.call_sid !== null) call.callSid = row.call_sid;
          return call;
        });
        return { batch, calls };
      },
      SNAPSHOT,
    ),
  );
}

export async function readBatch(pool: pg.Pool | pg.ClientBase, id: string): Promise<BatchRow> {
  const { rows } = await withDbRetry(() =>
    pool.query<BatchRow>({ ...BATCH_BY_ID, values: [id], types: TIMESTAMPS_AS_TEXT }),
  );
  const row = rows[0];
  if (!row) throw BatchNotFoundError.forId(id);
  return row;
}

function batchSummary(pool: pg.Pool, id: string): Promise<BatchSummary> {
  return withDbRetry(() => summaryOf(pool, id));
}

async function summaryOf(db: pg.Pool | pg.ClientBase, id: string): Promise<BatchSummary> {
  const { rows: found } = await db.query<BatchRow>({
    ...BATCH_BY_ID,
    values: [id],
    types: TIMESTAMPS_AS_TEXT,
  });
  const row = found[0];
  if (!row) throw BatchNotFoundError.forId(id);
  const { rows } = await db.query<{ outcome: BatchOutcome; n: number; started: boolean }>({
    ...BATCH_COUNTS,
    values: [id],
  });
  const counts = Object.fromEntries(BATCH_OUTCOMES.map((o) => [o, 0])) as BatchCounts;
  let started = false;
  for (const r of rows) {
    counts[r.outcome] = r.n;
    started ||= r.started;
  }
  return {
    id: row.id,
    status: statusOf(row, counts, started),
    counts,
    createdAt: isoFromTimestamptz(row.created_at),
    total: row.total,
    ...settingsOf(row),
  };
}

/** canceled once cancelled; done when every call has its final outcome; running once one was dialled. */
function statusOf(row: BatchRow, counts: BatchCounts, started: boolean): BatchStatus {
  if (row.canceled_at !== null) return 'canceled';
  const stored = Object.values(counts).reduce((a, b) => a + b, 0);
  if (stored === row.total && (counts.queued ?? 0) === 0 && (counts.calling ?? 0) === 0) return 'done';
  return started ? 'running' : 'queued';
}

function settingsOf(row: BatchRow): BatchSettings {
  return {
    maxPerSecond: row.max_per_second,
    maxConcurrent: row.max_concurrent,
    notBefore: row.not_before === null ? null : isoFromTimestamptz(row.not_before),
    notAfter: row.not_after === null ? null : isoFromTimestamptz(row.not_after),
    retry: {
      on: row.retry_on as RetryableOutcome[],
      attempts: row.retry_attempts,
      delaySeconds: row.retry_delay_seconds,
    },
    from: row.from_number,
  };
}
