import type { CallEvent, CallStatus } from '@switchboard/contracts';
import type pg from 'pg';

/**
 * Folds one status report into a call. Status only moves forward (`call_status_rank`, mirrored from the
 * contracts' statusRank); facts still land when they arrive late: the answer time from an `in-progress`
 * report, the end time and duration from the first terminal one.
 */
const APPLY_STATUS = {
  name: 'apply_call_status',
  text: `
    UPDATE calls SET
      status = CASE WHEN call_status_rank($2::call_status) > call_status_rank(status) THEN $2::call_status ELSE status END,
      answered_at = CASE WHEN $2::call_status = 'in-progress' THEN COALESCE(answered_at, $3) ELSE answered_at END,
      ended_at = CASE WHEN call_status_rank($2::call_status) = 4 THEN COALESCE(ended_at, $3) ELSE ended_at END,
      duration_seconds = CASE WHEN call_status_rank($2::call_status) = 4
        THEN COALESCE(duration_seconds, $4::int,
          CASE WHEN answered_at IS NOT NULL THEN GREATEST(0, floor(extract(epoch FROM $3 - answered_at)))::int END)
        ELSE duration_seconds END,
      updated_at = now()
    WHERE call_sid = $1`,
};

export interface StatusReport {
  callSid: string;
  status: CallStatus;
  at: string;
  durationSeconds?: number | undefined;
}

export async function applyStatus(client: pg.ClientBase, report: StatusReport): Promise<void> {
  await client.query({
    ...APPLY_STATUS,
    values: [report.callSid, report.status, report.at, report.durationSeconds ?? null],
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
      };
    case 'stream':
      return event.action === 'started'
        ? { callSid: event.callSid, status: 'in-progress', at: event.at }
        : undefined;
    case 'transcript':
    case 'dtmf':
    case 'ended':
      return undefined;
  }
}
