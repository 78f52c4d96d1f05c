import type { CallEndReason, CallEvent, CallStatus } from '@switchboard/contracts';
import type pg from 'pg';

/**
 * Folds one status report into a call. Status only moves forward (`call_status_rank`, mirrored from the
 * contracts' statusRank); facts still land when they arrive late: the answer time from an `in-progress`
 * report, the end time from the first terminal one. A terminal report's `CallDuration` (Twilio's own figure)
 * replaces a duration the registry estimated when the stream ended; without one the estimate stays.
 */
const APPLY_STATUS = {
  name: 'apply_call_status',
  text: `
    UPDATE calls SET
      status = CASE WHEN call_status_rank($2::call_status) > call_status_rank(status) THEN $2::call_status ELSE status END,
      answered_at = CASE WHEN $2::call_status = 'in-progress' THEN COALESCE(answered_at, $3) ELSE answered_at END,
      ended_at = CASE WHEN call_status_rank($2::call_status) = 4 THEN COALESCE(ended_at, $3) ELSE ended_at END,
      duration_seconds = CASE WHEN call_status_rank($2::call_status) = 4
        THEN COALESCE($4::int, duration_seconds,
          CASE WHEN answered_at IS NOT NULL THEN GREATEST(0, floor(extract(epoch FROM $3 - answered_at)))::int END)
        ELSE duration_seconds END,
      answered_by = COALESCE(answered_by, $5),
      updated_at = now()
    WHERE call_sid = $1`,
};

export interface StatusReport {
  callSid: string;
  status: CallStatus;
  at: string;
  durationSeconds?: number | undefined;
  /** Twilio's AnsweredBy on a status callback: fills `answered_by` when machine detection said nothing. */
  answeredBy?: string | undefined;
}

export async function applyStatus(client: pg.ClientBase, report: StatusReport): Promise<void> {
  await client.query({
    ...APPLY_STATUS,
    values: [
      report.callSid,
      report.status,
      report.at,
      report.durationSeconds ?? null,
      report.answeredBy ?? null,
    ],
  });
}

/** Serialises writes to one call (creation and event application) inside the current transaction. */
export async function lockCall(client: pg.ClientBase, callSid: string): Promise<void> {
  await client.query({
    name: 'lock_call',
    text: 'SELECT pg_advisory_xact_lock(hashtext($1))',
    values: [callSid],
  });
}

/** What an event says about the call's status: a Twilio report, or a media stream starting (it is answered). */
export function statusReportOf(event: CallEvent): StatusReport | undefined {
  switch (event.kind) {
    case 'status':
      return {
        callSid: event.callSid,
        status: event.status,
        at: event.at,
        durationSeconds: event.durationSeconds,
        answeredBy: event.answeredBy,
      };
    case 'stream':
      return event.action === 'started'
        ? { callSid: event.callSid, status: 'in-progress', at: event.at }
        : undefined;
    case 'transcript':
    case 'dtmf':
    case 'ended':
    case 'recording':
    case 'answered-by':
      return undefined;
  }
}

/**
 * A stream's end, from the worker: its `ended` event, or a `stream stopped` with the reason. `endsCall`: the
 * call is over with it (not for a transfer, where a person takes over, nor for a newer stream of the call).
 */
export interface StreamEnd {
  callSid: string;
  at: string;
  /** A stream's reason, or the registry's own `worker-lost` (the worker holding the stream is gone). */
  reason: CallEndReason | undefined;
  /** From the worker's `ended` event: its reason is the one that counts. */
  fromEndedEvent: boolean;
}

export function streamEndOf(event: CallEvent): StreamEnd | undefined {
  switch (event.kind) {
    case 'stream':
      return event.action === 'stopped'
        ? { callSid: event.callSid, at: event.at, reason: event.reason, fromEndedEvent: false }
        : undefined;
    case 'ended':
      // The registry's own `worker-lost` was recorded when it was published: applied again it only fills
      // gaps (a call already ended keeps its endedAt, status and reason).
      return {
        callSid: event.callSid,
        at: event.at,
        reason: event.reason,
        fromEndedEvent: event.reason !== 'worker-lost',
      };
    case 'status':
    case 'transcript':
    case 'dtmf':
    case 'recording':
    case 'answered-by':
      return undefined;
  }
}

// A call not terminal yet becomes `completed` at the stream's end, its duration estimated from the answer
// (else the creation); a terminal one keeps its facts. The reason: the worker's `ended` event sets it; a stopped
// stream fills it in when nothing better is known (none yet, or a transfer's that a later stream outlived).
const END_CALL = {
  name: 'end_call_at_stream_end',
  text: `
    UPDATE calls SET
      status = CASE WHEN call_status_rank(status) < 4 THEN 'completed'::call_status ELSE status END,
      ended_at = CASE WHEN call_status_rank(status) < 4 THEN $2::timestamptz ELSE ended_at END,
      duration_seconds = CASE WHEN call_status_rank(status) < 4
        THEN GREATEST(0, floor(extract(epoch FROM $2::timestamptz - COALESCE(answered_at, created_at))))::int
        ELSE duration_seconds END,
      ended_reason = CASE
        WHEN $3::text IS NULL THEN ended_reason
        WHEN $4::boolean OR ended_reason IS NULL OR ended_reason = 'transferred' THEN $3::text
        ELSE ended_reason END,
      updated_at = now()
    WHERE call_sid = $1
      -- A terminal call whose reason would stay as it is has nothing to change (not even updated_at).
      AND NOT (call_status_rank(status) >= 4 AND ($3::text IS NULL OR ended_reason IS NOT DISTINCT FROM $3::text))`,
};

// A transfer leaves the call live; its reason only fills a gap (a later stream's own end outranks it).
const NOTE_TRANSFER = {
  name: 'note_stream_transferred',
  text: `UPDATE calls SET ended_reason = COALESCE(ended_reason, 'transferred'), updated_at = now() WHERE call_sid = $1`,
};

// A new stream for a live call (the caller back from a failed transfer): the last end's reason is history.
const CLEAR_ENDED_REASON = {
  name: 'clear_ended_reason',
  text: `UPDATE calls SET ended_reason = NULL WHERE call_sid = $1 AND call_status_rank(status) < 4 AND ended_reason IS NOT NULL`,
};

/** Applies a stream's end (DESIGN: calls end cleanly, even when no status callback comes). */
export async function applyStreamEnd(client: pg.ClientBase, end: StreamEnd): Promise<void> {
  switch (end.reason) {
    case 'replaced':
      return;
    case 'transferred':
      await client.query({ ...NOTE_TRANSFER, values: [end.callSid] });
      return;
    default:
      await client.query({
        ...END_CALL,
        values: [end.callSid, end.at, end.reason ?? null, end.fromEndedEvent],
      });
  }
}

/** A media stream started: the reason a previous one ended no longer describes the call. */
export async function clearEndedReason(client: pg.ClientBase, callSid: string): Promise<void> {
  await client.query({ ...CLEAR_ENDED_REASON, values: [callSid] });
}
