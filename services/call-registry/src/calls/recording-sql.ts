import type { AnsweredByEvent, RecordingEvent } from '@switchboard/contracts';
import type pg from 'pg';

// A recording's row, from each callback Twilio sends for it. A final status (completed, absent, failed) is
// never moved back by a late `in-progress`; figures Twilio left out of a callback keep what an earlier one
// said.
const UPSERT_RECORDING = {
  name: 'upsert_call_recording',
  text: `
    INSERT INTO call_recordings
      (recording_sid, call_sid, status, duration_seconds, channels, url, source, error_code, started_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (recording_sid) DO UPDATE SET
      status = CASE WHEN EXCLUDED.status = 'in-progress' AND call_recordings.status <> 'in-progress'
        THEN call_recordings.status ELSE EXCLUDED.status END,
      duration_seconds = COALESCE(EXCLUDED.duration_seconds, call_recordings.duration_seconds),
      channels = COALESCE(EXCLUDED.channels, call_recordings.channels),
      url = COALESCE(EXCLUDED.url, call_recordings.url),
      source = COALESCE(EXCLUDED.source, call_recordings.source),
      error_code = COALESCE(EXCLUDED.error_code, call_recordings.error_code),
      started_at = COALESCE(EXCLUDED.started_at, call_recordings.started_at),
      updated_at = now()`,
};

// The Call's `recording`: its completed recording, unless that was deleted.
const SET_CALL_RECORDING = {
  name: 'set_call_recording',
  text: `
    UPDATE calls SET recording_sid = r.recording_sid, recording_duration_seconds = r.duration_seconds,
      recording_channels = r.channels, updated_at = now()
    FROM call_recordings r
    WHERE r.recording_sid = $1 AND r.status = 'completed' AND r.deleted_at IS NULL
      AND calls.call_sid = r.call_sid`,
};

const MARK_RECORDING_DELETED = {
  name: 'mark_call_recording_deleted',
  text: `
    INSERT INTO call_recordings (recording_sid, call_sid, status, deleted_at) VALUES ($1, $2, 'completed', $3)
    ON CONFLICT (recording_sid) DO UPDATE SET
      deleted_at = COALESCE(call_recordings.deleted_at, EXCLUDED.deleted_at), updated_at = now()`,
};

const CLEAR_CALL_RECORDING = {
  name: 'clear_call_recording',
  text: `
    UPDATE calls SET recording_sid = NULL, recording_duration_seconds = NULL, recording_channels = NULL,
      updated_at = now()
    WHERE call_sid = $1 AND recording_sid = $2`,
};

// Twilio's machine detection has the last word on who answered.
const SET_ANSWERED_BY = {
  name: 'set_call_answered_by',
  text: 'UPDATE calls SET answered_by = $2, updated_at = now() WHERE call_sid = $1',
};

/**
 * A recording event: Twilio's callbacks kept in call_recordings, the completed one on the call; a deletion
 * takes it off the call. `start-failed` has no recording to store (the event itself is recorded).
 */
export async function applyRecording(client: pg.ClientBase, event: RecordingEvent): Promise<void> {
  const sid = event.recordingSid;
  if (sid === undefined || event.status === 'start-failed') return;
  if (event.status === 'deleted') {
    await client.query({ ...MARK_RECORDING_DELETED, values: [sid, event.callSid, event.at] });
    await client.query({ ...CLEAR_CALL_RECORDING, values: [event.callSid, sid] });
    return;
  }
  await client.query({
    ...UPSERT_RECORDING,
    values: [
      sid,
      event.callSid,
      event.status,
      event.durationSeconds ?? null,
      event.channels ?? null,
      event.url ?? null,
      event.source ?? null,
      event.errorCode ?? null,
      event.startedAt ?? null,
    ],
  });
  if (event.status === 'completed') await client.query({ ...SET_CALL_RECORDING, values: [sid] });
}

export async function applyAnsweredBy(client: pg.ClientBase, event: AnsweredByEvent): Promise<void> {
  await client.query({ ...SET_ANSWERED_BY, values: [event.callSid, event.answeredBy] });
}
