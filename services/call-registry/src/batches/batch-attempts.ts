import type { BatchAttemptRef, CallStatus } from '@switchboard/contracts';
import type pg from 'pg';

/** Twilio's final statuses: the attempt is over with any of them. */
const FINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

// Twilio has the call of this attempt: remembered once (the callSid is the key), and the batch call is live
// with it, if that attempt is still the one dialling.
const RECORD_ATTEMPT = {
  name: 'record_batch_attempt',
  text: `
    WITH recorded AS (
      INSERT INTO call_batch_attempts (call_sid, batch_id, idx, attempt)
      VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING call_sid
    )
    UPDATE call_batch_calls SET state = 'live', call_sid = $1
    WHERE batch_id = $2 AND idx = $3 AND attempts = $4 AND state = 'dialing'`,
};

/**
 * An attempt is over with `$4`: the call becomes final with that outcome, or waits for its retry when the
 * batch's rules say so (the outcome is listed, attempts are left, the retry's time is before `notAfter`, the
 * batch is not cancelled). Only the attempt still current, once: a repeat or a late report changes nothing.
 */
const SETTLE_ATTEMPT = {
  name: 'settle_batch_attempt',
  text: `
    WITH rule AS (
      SELECT bc.batch_id, bc.idx,
        $4 = ANY(b.retry_on) AND bc.attempts < 1 + b.retry_attempts AND b.canceled_at IS NULL
          AND (b.not_after IS NULL OR clock_timestamp() + make_interval(secs => b.retry_delay_seconds) < b.not_after)
          AS retry,
        clock_timestamp() + make_interval(secs => b.retry_delay_seconds) AS retry_at
      FROM call_batch_calls bc JOIN call_batches b ON b.id = bc.batch_id
      WHERE bc.batch_id = $1 AND bc.idx = $2 AND bc.attempts = $3 AND bc.state IN ('dialing', 'live')
      FOR UPDATE OF bc
    )
    UPDATE call_batch_calls bc SET
      state = CASE WHEN rule.retry THEN 'waiting' ELSE 'final' END,
      outcome = CASE WHEN rule.retry THEN 'queued' ELSE $4 END,
      retry_at = CASE WHEN rule.retry THEN rule.retry_at END
    FROM rule WHERE bc.batch_id = rule.batch_id AND bc.idx = rule.idx`,
};

const ATTEMPT_OF_CALL = {
  name: 'batch_attempt_of_call',
  text: 'SELECT batch_id, idx, attempt FROM call_batch_attempts WHERE call_sid = $1',
};

/** Remembers that `callSid` is attempt `ref` (from its registration or a tagged status callback). */
export async function recordAttempt(
  client: pg.ClientBase,
  callSid: string,
  ref: BatchAttemptRef,
): Promise<void> {
  await client.query({ ...RECORD_ATTEMPT, values: [callSid, ref.batchId, ref.index, ref.attempt] });
}

/** Ends attempt `ref` with `outcome` (a final status, or `failed` when Twilio refused to place it). */
export async function settleAttempt(
  client: pg.ClientBase,
  ref: BatchAttemptRef,
  outcome: string,
): Promise<void> {
  await client.query({ ...SETTLE_ATTEMPT, values: [ref.batchId, ref.index, ref.attempt, outcome] });
}

/**
 * What a call's status means for the batch it may belong to: a final status settles its attempt. Runs in
 * the transaction that applied the status, so it happens once with it. Calls of no batch cost one index probe.
 */
export async function settleCallStatus(
  client: pg.ClientBase,
  callSid: string,
  status: CallStatus,
  ref?: BatchAttemptRef,
): Promise<void> {
  if (ref) await recordAttempt(client, callSid, ref);
  if (!FINAL_STATUSES.has(status)) return;
  const known = ref ?? (await attemptOf(client, callSid));
  if (known) await settleAttempt(client, known, status);
}

async function attemptOf(client: pg.ClientBase, callSid: string): Promise<BatchAttemptRef | undefined> {
  const { rows } = await client.query<{ batch_id: string; idx: number; attempt: number }>({
    ...ATTEMPT_OF_CALL,
    values: [callSid],
  });
  const row = rows[0];
  return row ? { batchId: row.batch_id, index: row.idx, attempt: row.attempt } : undefined;
}

/**
 * After a stream's end: a call it ended (`completed` by the registry, no status callback needed) settles its
 * attempt as a final status would. A call the end left live (a transfer, a newer stream) changes nothing.
 */
export async function settleAfterStreamEnd(client: pg.ClientBase, callSid: string): Promise<void> {
  const { rows } = await client.query<{ status: CallStatus }>({
    name: 'batch_call_status_after_stream_end',
    text: 'SELECT status FROM calls WHERE call_sid = $1',
    values: [callSid],
  });
  const status = rows[0]?.status;
  if (status !== undefined) await settleCallStatus(client, callSid, status);
}
