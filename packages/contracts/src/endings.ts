import { z } from 'zod';

/**
 * Why a call's media stream ended: one vocabulary for the worker's close codes, the `ended` event, the
 * worker's metrics and (later) the end-of-call report. Each is a stable kebab-case string.
 */
export const STREAM_END_REASONS = [
  /** Twilio sent `stop` (the caller hung up, or the call moved on). */
  'twilio-stopped',
  /** Twilio closed the socket without a `stop`. */
  'twilio-closed',
  /** No `start` arrived within STREAM_START_TIMEOUT_MS. */
  'no-start',
  /** The `start` did not name a valid call, or its `callSid` parameter did not match it. */
  'bad-start',
  /** The registry does not know the call. */
  'unknown-call',
  /** The registry could not be asked. */
  'lookup-failed',
  /** No Realtime session could be kept up within the retry budget. */
  'realtime-failed',
  /** Caller audio waited longer than MAX_HELD_AUDIO_MS for a Realtime session. */
  'realtime-not-ready',
  /** The agent hung up (`end_call`), after its last words played. */
  'agent-ended',
  /** An operator hung up through the API (`POST /api/calls/:callSid/hangup`). */
  'operator-ended',
  /** The call was handed to a person (`<Dial>`): the stream is over, the call is not. */
  'transferred',
  /** A newer stream for the same call took over. */
  'replaced',
  /** The worker shut down and its drain time was over. */
  'drained',
  /**
   * The stream named a call with no reservation on this worker, and reservations and live streams left no
   * slot for it (it came through `MEDIA_STREAM_URL` to a worker whose slots were promised to placed calls).
   */
  'worker-full',
] as const;
export const StreamEndReason = z.enum(STREAM_END_REASONS);
export type StreamEndReason = z.infer<typeof StreamEndReason>;

/**
 * How a call ended (`Call.endedReason`): a stream's ending, or one the registry records itself —
 * `worker-lost`: the worker holding the stream stopped announcing itself (its process died).
 */
export const CALL_END_REASONS = [...STREAM_END_REASONS, 'worker-lost'] as const;
export const CallEndReason = z.enum(CALL_END_REASONS);
export type CallEndReason = z.infer<typeof CallEndReason>;
