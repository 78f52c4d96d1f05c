import { type BatchClaimReply, BatchNotFoundError } from '@switchboard/contracts';
import type pg from 'pg';
import { withDbRetry } from '../db/retry.js';
import { inTransaction } from '../db/transaction.js';
import { settleAttempt } from './batch-attempts.js';

/**
 * How soon the holder of a live call's message asks again (the call's end settles it meanwhile): a quarter
 * of the call's age, between these bounds, so a short call (busy, no answer) is seen soon and its retry
 * made in time, and a long one costs a claim every 30 s at most.
 */
export const LIVE_POLL_MIN_MS = 2_000;
export const LIVE_POLL_MAX_MS = 30_000;

export function livePollMs(ageMs: number): number {
  return Math.min(LIVE_POLL_MAX_MS, Math.max(LIVE_POLL_MIN_MS, Math.round(ageMs / 4)));
}
/** The pacing window: at most `maxPerSecond` calls reach Twilio in any window this long. */
export const PACING_WINDOW_MS = 1_000;
/**
 * Added to the window when counting: Twilio's clock (or a test's) may read milliseconds truncated, so two
 * calls it sees 999 ms apart may be 999.9 ms apart here.
 */
export const PACING_MARGIN_MS = 2;
/** The wait answered for a full batch (no call is known to end sooner). */
const CONCURRENCY_WAIT_MS = 100;

interface ClaimRow {
  now_ms: string;
  max_per_second: number;
  max_concurrent: number;
  not_before_ms: string | null;
  not_after_ms: string | null;
  canceled: boolean;
  from_number: string;
  state: 'waiting' | 'dialing' | 'live' | 'final';
  outcome: string;
  attempts: number;
  to_number: string;
  agent_id: string;
  claimed_ms: string | null;
  claimed_by: string | null;
  call_sid: string | null;
  retry_ms: string | null;
}

// Times as epoch milliseconds from PostgreSQL's clock: one clock for every registry and gateway replica.
const LOCK_CALL = {
  name: 'batch_claim_lock',
  text: `
    SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms,
      b.max_per_second, b.max_concurrent,
      (extract(epoch FROM b.not_before) * 1000)::bigint AS not_before_ms,
      (extract(epoch FROM b.not_after) * 1000)::bigint AS not_after_ms,
      b.canceled_at IS NOT NULL AS canceled, b.from_number,
      bc.state, bc.outcome, bc.attempts, bc.to_number, bc.agent_id, bc.claimed_by, bc.call_sid,
      (extract(epoch FROM bc.claimed_at) * 1000)::bigint AS claimed_ms,
      (extract(epoch FROM bc.retry_at) * 1000)::bigint AS retry_ms
    FROM call_batches b JOIN call_batch_calls bc ON bc.batch_id = b.id
    WHERE b.id = $1 AND bc.idx = $2
    FOR UPDATE OF b, bc`,
};

// Calls of the batch dialled and not over, those still dialling, and the calls Twilio received in the
// pacing window with the oldest of them.
const PACE = {
  name: 'batch_claim_pace',
  text: `
    SELECT
      (SELECT count(*)::int FROM call_batch_calls WHERE batch_id = $1 AND state IN ('dialing', 'live') AND idx <> $2) AS busy,
      (SELECT count(*)::int FROM call_batch_calls WHERE batch_id = $1 AND state = 'dialing' AND idx <> $2) AS dialing,
      w.placed, (extract(epoch FROM w.oldest) * 1000)::bigint AS oldest_ms
    FROM (SELECT count(*)::int AS placed, min(placed_at) AS oldest FROM call_batch_attempts
          WHERE batch_id = $1 AND placed_at > clock_timestamp() - make_interval(secs => $3::float8 / 1000)) w`,
};

const GRANT = {
  name: 'batch_claim_grant',
  text: `UPDATE call_batch_calls SET state = 'dialing', outcome = 'calling', attempts = $3,
           claimed_at = clock_timestamp(), claimed_by = $4, call_sid = NULL, retry_at = NULL
         WHERE batch_id = $1 AND idx = $2`,
};

const FINISH = {
  name: 'batch_claim_finish',
  text: `UPDATE call_batch_calls SET state = 'final', outcome = $3, retry_at = NULL WHERE batch_id = $1 AND idx = $2`,
};

/**
 * Decides what the holder of a batch call's work message does now, under the batch's row lock, so claims
 * from every gateway replica are serialised per batch. A grant marks the call `dialing` before Twilio is
 * asked, and counts against both caps until the attempt is over. Pacing (README: Batches): a dial is granted
 * only while fewer than `maxPerSecond` calls are dialling or were received by Twilio in the last second; the
 * time a call counts from is when the registry learnt Twilio had it, which is after Twilio received it.
 *
 * `leaseMs`: a call left `dialing` longer than this by a holder that went away, with no word from Twilio
 * (no registration, no status callback naming the attempt), was not placed: it is granted again, as the
 * same attempt.
 */
export async function claimBatchCall(
  pool: pg.Pool,
  batchId: string,
  index: number,
  leaseMs: number,
  holder?: string,
): Promise<BatchClaimReply> {
  return withDbRetry(() =>
    inTransaction(pool, async (client) => {
      const { rows } = await client.query<ClaimRow>({ ...LOCK_CALL, values: [batchId, index] });
      const row = rows[0];
      if (!row) throw new BatchNotFoundError(`batch ${batchId} has no call ${index}`);
      const now = Number(row.now_ms);
      const finish = async (outcome: 'canceled' | 'expired'): Promise<BatchClaimReply> => {
        await client.query({ ...FINISH, values: [batchId, index, outcome] });
        return { action: 'done', outcome };
      };
      let attempt = row.attempts + 1;
      switch (row.state) {
        case 'final':
          return { action: 'done', outcome: row.outcome as 'completed' };
        case 'live': {
          const ageMs = Math.max(0, now - Number(row.claimed_ms));
          return {
            action: 'wait',
            delayMs: livePollMs(ageMs),
            reason: 'live',
            ...(row.call_sid === null
              ? {}
              : { live: { callSid: row.call_sid, attempt: row.attempts, ageMs } }),
          };
        }
        case 'dialing': {
          // The holder asking again never got its grant (the reply was lost): it has not dialled.
          if (holder !== undefined && row.claimed_by === holder) {
            await client.query({ ...GRANT, values: [batchId, index, row.attempts, holder] });
            return dialReply(row, row.attempts);
          }
          const leaseLeft = Number(row.claimed_ms) + leaseMs - now;
          if (leaseLeft > 0)
            return { action: 'wait', delayMs: Math.min(leaseLeft, LIVE_POLL_MIN_MS), reason: 'dialing' };
          attempt = row.attempts; // nobody placed it: the same attempt again
          break;
        }
        case 'waiting':
          break;
      }
      if (row.canceled) return finish('canceled');
      if (row.not_after_ms !== null && now >= Number(row.not_after_ms)) return finish('expired');
      if (row.retry_ms !== null && Number(row.retry_ms) > now)
        return { action: 'wait', delayMs: Number(row.retry_ms) - now, reason: 'retry-delay' };
      if (row.not_before_ms !== null && Number(row.not_before_ms) > now)
        return { action: 'wait', delayMs: Number(row.not_before_ms) - now, reason: 'not-before' };

      const pace = await client.query<{
        busy: number;
        dialing: number;
        placed: number;
        oldest_ms: string | null;
      }>({ ...PACE, values: [batchId, index, PACING_WINDOW_MS + PACING_MARGIN_MS] });
      const { busy, dialing, placed, oldest_ms } = pace.rows[0] ?? {
        busy: 0,
        dialing: 0,
        placed: 0,
        oldest_ms: null,
      };
      if (busy >= row.max_concurrent) {
        return {
          action: 'wait',
          delayMs: CONCURRENCY_WAIT_MS,
          reason: 'max-concurrent',
        };
      }
      if (placed + dialing >= row.max_per_second) {
        // The oldest call in the window leaves it then; a call still dialling counts until Twilio has it.
        const delayMs =
          placed > 0 && oldest_ms !== null ? Number(oldest_ms) + PACING_WINDOW_MS - now + 1 : 10;
        return { action: 'wait', delayMs: Math.max(1, delayMs), reason: 'max-per-second' };
      }
      await client.query({ ...GRANT, values: [batchId, index, attempt, holder ?? null] });
      return dialReply(row, attempt);
    }),
  );
}

function dialReply(row: ClaimRow, attempt: number): BatchClaimReply {
  return {
    action: 'dial',
    attempt,
    to: row.to_number,
    from: row.from_number,
    agentId: row.agent_id,
    notAfter: row.not_after_ms === null ? null : new Date(Number(row.not_after_ms)).toISOString(),
  };
}

/** The attempt was not placed: `failed` (retried when the batch's rules say so) or `expired`. */
export async function attemptFailed(
  pool: pg.Pool,
  ref: { batchId: string; index: number; attempt: number },
  outcome: 'failed' | 'expired',
): Promise<void> {
  await withDbRetry(() => inTransaction(pool, (client) => settleAttempt(client, ref, outcome)));
}
