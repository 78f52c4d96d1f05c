import type { EventSink } from '@switchboard/bus';
import type { EndedEvent, StreamEvent } from '@switchboard/contracts';
import type pg from 'pg';
import { applyStreamEnd, lockCall } from '../calls/call-status-sql.js';
import { withDbRetry } from '../db/retry.js';
import { inTransaction } from '../db/transaction.js';

// A stream's start names its worker; a newer stream of the call (on any worker) takes the row over, an older
// one arriving late does not, and neither does a start whose stop was applied already (events of one call
// can be applied out of order).
const NOTE_STREAM_STARTED = {
  name: 'note_worker_stream_started',
  text: `
    INSERT INTO worker_streams (call_sid, stream_sid, worker_id, started_at)
    SELECT $1, $2, $3, $4
    WHERE NOT EXISTS (
      SELECT 1 FROM call_events e
      WHERE e.call_sid = $1 AND e.kind = 'stream'
        AND e.payload->>'action' = 'stopped' AND e.payload->>'streamSid' = $2)
    ON CONFLICT (call_sid) DO UPDATE SET
      stream_sid = EXCLUDED.stream_sid, worker_id = EXCLUDED.worker_id, started_at = EXCLUDED.started_at
    WHERE worker_streams.started_at <= EXCLUDED.started_at`,
};

const NOTE_STREAM_STOPPED = {
  name: 'note_worker_stream_stopped',
  text: 'DELETE FROM worker_streams WHERE call_sid = $1 AND stream_sid = $2',
};

/** Inside the transaction applying a `stream` event: which worker holds the call's stream now. */
export async function noteWorkerStream(client: pg.ClientBase, event: StreamEvent): Promise<void> {
  if (event.action === 'stopped') {
    await client.query({ ...NOTE_STREAM_STOPPED, values: [event.callSid, event.streamSid] });
  } else if (event.workerId !== undefined) {
    await client.query({
      ...NOTE_STREAM_STARTED,
      values: [event.callSid, event.streamSid, event.workerId, event.at],
    });
  }
}

const LOST_WORKER_STREAMS = {
  name: 'lost_worker_streams',
  text: 'SELECT call_sid, stream_sid FROM worker_streams WHERE worker_id = $1',
};

// Taking the row is what makes the ending happen once: two replicas may both see the lease lapse, only
// one of them deletes the row (under the call's lock), and only that one ends the call.
const TAKE_LOST_STREAM = {
  name: 'take_lost_worker_stream',
  text: `
    DELETE FROM worker_streams WHERE call_sid = $1 AND stream_sid = $2 AND worker_id = $3
    RETURNING (SELECT ended_reason FROM calls WHERE call_sid = $1) AS ended_reason,
      (SELECT call_status_rank(status) >= 4 FROM calls WHERE call_sid = $1) AS terminal`,
};

const ENDED_AT = {
  name: 'lost_worker_call_ended_at',
  text: 'SELECT ended_at FROM calls WHERE call_sid = $1',
};

/**
 * How long the `ended` event of a lost worker's call may take to be stored: the call's lock is held meanwhile,
 * so past this the ending is rolled back and tried again at the next lease check.
 */
export const WORKER_LOST_PUBLISH_MS = 5_000;

const FORGET_LEASE = {
  name: 'forget_worker_lease',
  text: 'DELETE FROM worker_leases WHERE worker_id = $1 AND NOT EXISTS (SELECT 1 FROM worker_streams WHERE worker_id = $1)',
};

/**
 * The worker `workerId` is gone: each call whose stream it held ends at `at` as a stream's end does (status
 * completed, endedAt, durationSeconds from the answer; a terminal call keeps its facts and gets the reason
 * only if it had none) with the reason `worker-lost` — except a call being transferred (a person has it, or
 * is being dialled). Returns the callSids this registry ended (none for rows another replica took first).
 *
 * A call this ends (it was not terminal yet) gets an `ended` event on CALL_EVENTS (`worker-lost`, `at` = its
 * endedAt) for the notifier's `call.ended` and the console: published before the transaction commits, so
 * either both happen or the ending is tried again (the same message id stores the event once). Were the
 * commit lost after the publish, the registry's own consumer ends the call from the event.
 */
export async function endLostWorkerStreams(
  pool: pg.Pool,
  events: EventSink,
  workerId: string,
  at: Date,
): Promise<string[]> {
  const { rows } = await withDbRetry(() =>
    pool.query<{ call_sid: string; stream_sid: string }>({ ...LOST_WORKER_STREAMS, values: [workerId] }),
  );
  const ended: string[] = [];
  for (const { call_sid: callSid, stream_sid: streamSid } of rows) {
    const took = await withDbRetry(() =>
      inTransaction(pool, async (client) => {
        await lockCall(client, callSid);
        const taken = await client.query<{ ended_reason: string | null; terminal: boolean | null }>({
          ...TAKE_LOST_STREAM,
          values: [callSid, streamSid, workerId],
        });
        const row = taken.rows[0];
        if (row === undefined || row.ended_reason === 'transferred') return false;
        await applyStreamEnd(client, {
          callSid,
          at: at.toISOString(),
          reason: 'worker-lost',
          fromEndedEvent: false,
        });
        // A call already terminal had its ending (and its `call.ended`) from the event that ended it.
        if (row.terminal === false) {
          const stored = await client.query<{ ended_at: Date }>({ ...ENDED_AT, values: [callSid] });
          const endedAt = stored.rows[0]?.ended_at;
          if (endedAt) {
            const event: EndedEvent = {
              kind: 'ended',
              callSid,
              at: endedAt.toISOString(),
              reason: 'worker-lost',
              detail: `media worker ${workerId} was lost`,
            };
            await events.publish(event, {
              msgId: `worker-lost:${callSid}:${streamSid}`,
              deadlineMs: WORKER_LOST_PUBLISH_MS,
            });
          }
        }
        return true;
      }),
    );
    if (took) ended.push(callSid);
  }
  await withDbRetry(() => pool.query({ ...FORGET_LEASE, values: [workerId] }));
  return ended;
}

const SAVE_LEASE = {
  name: 'save_worker_lease',
  text: `
    INSERT INTO worker_leases (worker_id, lease_ms, heard_at) VALUES ($1, $2, $3)
    ON CONFLICT (worker_id) DO UPDATE SET lease_ms = EXCLUDED.lease_ms, heard_at = EXCLUDED.heard_at`,
};

/** Remembers a worker's lease, for a registry that starts after the worker died. */
export async function saveWorkerLease(
  pool: pg.Pool,
  workerId: string,
  leaseMs: number,
  heardAt: Date,
): Promise<void> {
  await pool.query({ ...SAVE_LEASE, values: [workerId, leaseMs, heardAt.toISOString()] });
}

const WORKERS_WITH_STREAMS = {
  name: 'workers_with_streams',
  text: `
    SELECT s.worker_id, l.lease_ms FROM (SELECT DISTINCT worker_id FROM worker_streams) s
    LEFT JOIN worker_leases l ON l.worker_id = s.worker_id`,
};

/** The workers holding streams as the database knows them, with their lease when one was announced. */
export async function workersWithStreams(
  pool: pg.Pool,
): Promise<Array<{ workerId: string; leaseMs: number | null }>> {
  const { rows } = await withDbRetry(() =>
    pool.query<{ worker_id: string; lease_ms: number | null }>(WORKERS_WITH_STREAMS),
  );
  return rows.map((r) => ({ workerId: r.worker_id, leaseMs: r.lease_ms }));
}
