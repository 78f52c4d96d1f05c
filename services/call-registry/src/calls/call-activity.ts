import type { CallActivityReply } from '@switchboard/contracts';
import type pg from 'pg';
import { withDbRetry } from '../db/retry.js';

/**
 * Per minute over the last `$1` minutes (the current minute last): calls created in it, and calls live at
 * some point in it (created before its end, not ended before its start). Only calls that can count are read:
 * created in the window, ended in it, or still live, each found through an index (`calls_created_at_idx`,
 * `calls_ended_at_idx`, `calls_status_id_idx`). A terminal call without `ended_at` (busy, failed, no-answer,
 * canceled before an answer) ended when it was last updated.
 */
const CALL_ACTIVITY = {
  name: 'call_activity',
  text: `
    WITH bounds AS (
      SELECT date_trunc('minute', now()) - ($1::int - 1) * interval '1 minute' AS first,
             date_trunc('minute', now()) + interval '1 minute' AS last
    ), recent AS (
      SELECT c.created_at,
             CASE WHEN call_status_rank(c.status) = 4 THEN COALESCE(c.ended_at, c.updated_at) END AS ended
      FROM calls c, bounds b
      WHERE c.created_at >= b.first OR c.ended_at >= b.first
         OR c.status IN ('queued', 'initiated', 'ringing', 'in-progress')
    )
    SELECT to_char(m AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
           count(r.created_at) FILTER (WHERE r.created_at >= m AND r.created_at < m + interval '1 minute')::int AS started,
           count(r.created_at) FILTER (WHERE r.created_at < m + interval '1 minute' AND (r.ended IS NULL OR r.ended >= m))::int AS live
    FROM bounds b
    CROSS JOIN generate_series(b.first, b.last - interval '1 minute', interval '1 minute') AS m
    LEFT JOIN recent r ON true
    GROUP BY m
    ORDER BY m`,
};

export async function callActivity(pool: pg.Pool, minutes: number): Promise<CallActivityReply> {
  const { rows } = await withDbRetry(() =>
    pool.query<{ at: string; started: number; live: number }>({ ...CALL_ACTIVITY, values: [minutes] }),
  );
  return { buckets: rows };
}
