import { z } from 'zod';
import { BatchAttemptRef } from './batches.js';
import {
  AnsweredBy,
  CallSid,
  CallStatus,
  IsoTime,
  RecordingSid,
  ToolCallRecord,
  TranscriptRole,
} from './call.js';
import { CallEndReason, StreamEndReason } from './endings.js';
import { singleLine } from './text.js';
import { WorkerId } from './workers.js';

/** Fields every event on `events.call.<callSid>.<kind>` carries. `at` is when it happened (ISO time). */
const base = { callSid: CallSid, at: IsoTime };

/** A Twilio status callback, as the gateway received it. */
export const StatusEvent = z.object({
  ...base,
  kind: z.literal('status'),
  status: CallStatus,
  /** Twilio's `SequenceNumber`: orders callbacks of one call. */
  sequenceNumber: z.number().int().nonnegative().optional(),
  /** Twilio's `CallDuration`, on the final callback. */
  durationSeconds: z.number().int().nonnegative().optional(),
  answeredBy: singleLine(z.string().max(64)).optional(),
  /** A batch call's attempt, from the callback URL the dispatcher gave Twilio. */
  batch: BatchAttemptRef.optional(),
});
export type StatusEvent = z.infer<typeof StatusEvent>;

/** A media stream began or ended on a worker. */
export const StreamEvent = z.object({
  ...base,
  kind: z.literal('stream'),
  action: z.enum(['started', 'stopped']),
  streamSid: z.string().min(1).max(64),
  /** The worker holding the stream (its announcements are the stream's lease). */
  workerId: WorkerId.optional(),
  /** On `stopped`: why the stream ended (a transfer ends the stream, not the call). */
  reason: StreamEndReason.optional(),
});
export type StreamEvent = z.infer<typeof StreamEvent>;

/**
 * One finished utterance, or an `event` on the call. `at` is when it began; `itemId` is the Realtime
 * conversation item it came from (for events, an id of the worker's own, unique in the call).
 */
export const TranscriptEvent = z.object({
  ...base,
  kind: z.literal('transcript'),
  role: TranscriptRole,
  text: z.string().max(20_000),
  itemId: z.string().min(1).max(128),
  /** On `tool` segments only. */
  tool: ToolCallRecord.optional(),
});
export type TranscriptEvent = z.infer<typeof TranscriptEvent>;

/** A key the caller pressed. */
export const DtmfEvent = z.object({
  ...base,
  kind: z.literal('dtmf'),
  digit: z.string().min(1).max(1),
  streamSid: z.string().min(1).max(64),
});
export type DtmfEvent = z.infer<typeof DtmfEvent>;

/**
 * The worker ended the call's stream (agent hung up, Realtime failed, drain), or the registry ended the call
 * because the worker holding its stream was lost (`worker-lost`, published by the replica that ended it, `at`
 * = the call's `endedAt`). `detail` says more, for people.
 */
export const EndedEvent = z.object({
  ...base,
  kind: z.literal('ended'),
  reason: CallEndReason,
  detail: z.string().max(500).optional(),
});
export type EndedEvent = z.infer<typeof EndedEvent>;

/**
 * A recording of the call, as Twilio's recording status callback reports it (`in-progress`, `completed`,
 * `absent`, `failed`), or as the gateway saw it: `deleted` (through the API, at Twilio too) and
 * `start-failed` (Twilio refused to start it: `detail` says why; there is no recording SID then).
 */
export const RecordingEvent = z
  .object({
    ...base,
    kind: z.literal('recording'),
    status: z.enum(['in-progress', 'completed', 'absent', 'failed', 'deleted', 'start-failed']),
    recordingSid: RecordingSid.optional(),
    durationSeconds: z.number().int().nonnegative().optional(),
    channels: z.number().int().min(1).max(2).optional(),
    /** Twilio's RecordingUrl: the resource's address (the gateway fetches the audio with the account's key). */
    url: singleLine(z.url({ protocol: /^https?$/ }).max(2_048)).optional(),
    /** Twilio's RecordingStartTime, as ISO time. */
    startedAt: IsoTime.optional(),
    /** Twilio's RecordingSource (`StartCallRecordingAPI`, …). */
    source: singleLine(z.string().max(64)).optional(),
    /** Twilio's ErrorCode (16101: too short, 16102: silent, …). */
    errorCode: singleLine(z.string().max(16)).optional(),
    detail: z.string().max(500).optional(),
  })
  .refine((e) => e.status === 'start-failed' || e.recordingSid !== undefined, {
    path: ['recordingSid'],
    message: 'is required unless the recording failed to start',
  });
export type RecordingEvent = z.infer<typeof RecordingEvent>;

/** Twilio's answering machine detection said who answered (the asynchronous AMD callback). */
export const AnsweredByEvent = z.object({
  ...base,
  kind: z.literal('answered-by'),
  answeredBy: AnsweredBy,
  /** Twilio's MachineDetectionDuration: how long detection took. */
  detectionMs: z.number().int().nonnegative().optional(),
});
export type AnsweredByEvent = z.infer<typeof AnsweredByEvent>;

export const CallEvent = z.discriminatedUnion('kind', [
  StatusEvent,
  StreamEvent,
  TranscriptEvent,
  DtmfEvent,
  EndedEvent,
  RecordingEvent,
  AnsweredByEvent,
]);
export type CallEvent = z.infer<typeof CallEvent>;
export type CallEventKind = CallEvent['kind'];
