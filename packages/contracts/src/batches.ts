import { z } from 'zod';
import { AgentId, PhoneNumber } from './agent.js';
import { CallSid, IsoTime } from './call.js';
import { prose } from './text.js';

/** SPEC: Batches. Limits of `POST /api/call-batches`. */
export const BATCH_MAX_CALLS = 10_000;
export const BATCH_MAX_PER_SECOND = 100;
export const BATCH_DEFAULT_PER_SECOND = 1;
export const BATCH_MAX_CONCURRENT = 1_000;
export const BATCH_DEFAULT_CONCURRENT = 10;
export const BATCH_MAX_RETRY_ATTEMPTS = 5;
/** A retry waits at most a day. */
export const BATCH_MAX_RETRY_DELAY_SECONDS = 86_400;
export const BATCH_MAX_VARIABLES = 50;
export const BATCH_MAX_VARIABLE_LENGTH = 2_000;

/** A batch's id: `cb_` and 24 lowercase hex digits, made by the gateway. */
export const BatchId = z.string().regex(/^cb_[0-9a-f]{24}$/, 'a batch id is cb_ followed by 24 hex digits');
export type BatchId = z.infer<typeof BatchId>;

/** `{{name}}` in an agent's instructions and greeting: names of letters, digits and `_`. */
export const VariableName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    'a variable name is 1–64 of [A-Za-z0-9_], not starting with a digit',
  );

/** Values go into instructions and greetings: prose (line breaks allowed), nothing PostgreSQL refuses. */
export const BatchVariables = z
  .record(VariableName, prose(z.string().max(BATCH_MAX_VARIABLE_LENGTH)))
  .refine((v) => Object.keys(v).length <= BATCH_MAX_VARIABLES, {
    message: `at most ${BATCH_MAX_VARIABLES} variables per call`,
  });
export type BatchVariables = z.infer<typeof BatchVariables>;

export const BatchCallInput = z.strictObject({
  to: PhoneNumber,
  agentId: AgentId.optional(),
  variables: BatchVariables.optional(),
});
export type BatchCallInput = z.infer<typeof BatchCallInput>;

/** Outcomes a retry may follow (Twilio's final statuses of an unanswered call). */
export const RetryableOutcome = z.enum(['busy', 'no-answer', 'failed']);
export type RetryableOutcome = z.infer<typeof RetryableOutcome>;

export const BatchRetry = z.strictObject({
  on: z.array(RetryableOutcome).max(3),
  /** Dials after the first: a call is dialled at most 1 + attempts times. */
  attempts: z.number().int().min(0).max(BATCH_MAX_RETRY_ATTEMPTS),
  delaySeconds: z.number().int().min(0).max(BATCH_MAX_RETRY_DELAY_SECONDS),
});
export type BatchRetry = z.infer<typeof BatchRetry>;

/** A batch's pacing, window and retry rules, as stored. */
export const BatchSettings = z.object({
  maxPerSecond: z.number().int().min(1).max(BATCH_MAX_PER_SECOND),
  maxConcurrent: z.number().int().min(1).max(BATCH_MAX_CONCURRENT),
  notBefore: IsoTime.nullable(),
  notAfter: IsoTime.nullable(),
  retry: BatchRetry,
  /** Caller id of every call of the batch. */
  from: PhoneNumber,
});
export type BatchSettings = z.infer<typeof BatchSettings>;

/**
 * Where a batch call stands. `queued`: not dialled yet, or waiting for its retry (`attempts` says which);
 * `calling`: an attempt is dialled and not over; the rest are final: Twilio's final status of the last
 * attempt, `canceled` (the batch was cancelled before it was dialled), `expired` (`notAfter` came first).
 */
export const BATCH_OUTCOMES = [
  'queued',
  'calling',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
  'expired',
] as const;
export const BatchOutcome = z.enum(BATCH_OUTCOMES);
export type BatchOutcome = z.infer<typeof BatchOutcome>;

export const BatchStatus = z.enum(['queued', 'running', 'done', 'canceled']);
export type BatchStatus = z.infer<typeof BatchStatus>;

export const BatchCounts = z.record(BatchOutcome, z.number().int().nonnegative());
export type BatchCounts = z.infer<typeof BatchCounts>;

export const BatchCall = z.object({
  to: PhoneNumber,
  /** The last attempt's call, once Twilio has it. */
  callSid: CallSid.optional(),
  attempts: z.number().int().nonnegative(),
  outcome: BatchOutcome,
  /** Every attempt's call Twilio placed, first to last (beyond SPEC's shape). */
  callSids: z.array(CallSid),
});
export type BatchCall = z.infer<typeof BatchCall>;

/** `GET /api/call-batches/:id` without `calls`: what `POST` answers. */
export const BatchSummary = z.object({
  id: BatchId,
  status: BatchStatus,
  counts: BatchCounts,
  createdAt: IsoTime,
  total: z.number().int().nonnegative(),
  ...BatchSettings.shape,
});
export type BatchSummary = z.infer<typeof BatchSummary>;

/** Which attempt of which batch call a Twilio call is: in its callbacks' URLs and its registration. */
export const BatchAttemptRef = z.object({
  batchId: BatchId,
  index: z
    .number()
    .int()
    .min(0)
    .max(BATCH_MAX_CALLS - 1),
  attempt: z
    .number()
    .int()
    .min(1)
    .max(BATCH_MAX_RETRY_ATTEMPTS + 1),
});
export type BatchAttemptRef = z.infer<typeof BatchAttemptRef>;

/** Calls per `batch.addCalls` request (NATS' 1 MB payload holds 500 with their variables). */
export const BATCH_CALLS_PER_REQUEST = 500;

/** `batch.create`: the batch and how many calls will follow (`batch.addCalls`); idempotent by id. */
export const BatchCreateRequest = z.object({
  id: BatchId,
  total: z.number().int().min(1).max(BATCH_MAX_CALLS),
  settings: BatchSettings,
});

/** A stored call of a batch, as `batch.addCalls` takes it: its agent resolved already. */
export const StoredBatchCall = z.object({
  to: PhoneNumber,
  agentId: AgentId,
  variables: BatchVariables.optional(),
});

/** `batch.addCalls`: calls `offset…` of the batch; idempotent (a call stored already is kept). */
export const BatchAddCallsRequest = z.object({
  id: BatchId,
  offset: z
    .number()
    .int()
    .min(0)
    .max(BATCH_MAX_CALLS - 1),
  calls: z.array(StoredBatchCall).min(1).max(BATCH_CALLS_PER_REQUEST),
});

export const BATCH_GET_MAX_LIMIT = 2_000;
/** `batch.get`: the summary and calls `offset…offset+limit-1` in the order given. */
export const BatchGetRequest = z.object({
  id: BatchId,
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(0).max(BATCH_GET_MAX_LIMIT).default(BATCH_GET_MAX_LIMIT),
});
export const BatchGetReply = z.object({ batch: BatchSummary, calls: z.array(BatchCall) });
export type BatchGetReply = z.infer<typeof BatchGetReply>;

export const BatchCancelRequest = z.object({ id: BatchId });

/** `batch.claim`: the dispatcher holding a call's work message asks what to do with it. */
export const BatchClaimRequest = z.object({
  batchId: BatchId,
  index: z.number().int().min(0),
  /** A grant left `dialing` longer than this by a holder that went away is given again (README: Batches). */
  leaseMs: z.number().int().min(1_000).max(600_000),
  /**
   * This handling of the message (unique to it). A claim whose grant was lost on the way back (a timeout)
   * is granted again to the same holder at once: it has not dialled.
   */
  holder: z.string().min(1).max(64).optional(),
});
export const BatchClaimReply = z.discriminatedUnion('action', [
  /** Dial now: attempt `attempt`, granted against the batch's pacing. */
  z.object({
    action: z.literal('dial'),
    attempt: z.number().int().min(1),
    to: PhoneNumber,
    from: PhoneNumber,
    agentId: AgentId,
    /** Not sent at or after this time: the holder reports the attempt `expired` instead. */
    notAfter: IsoTime.nullable(),
  }),
  /** Ask again in `delayMs` (pacing, the window, a retry's delay, an attempt still live). */
  z.object({
    action: z.literal('wait'),
    delayMs: z.number().int().nonnegative(),
    reason: z.string(),
    /** For a live attempt: which it is and how long ago it was granted (its holder may ask Twilio). */
    live: z
      .object({ callSid: CallSid, attempt: z.number().int().min(1), ageMs: z.number().int().nonnegative() })
      .optional(),
  }),
  /** The call has its final outcome: the message is done. */
  z.object({ action: z.literal('done'), outcome: BatchOutcome }),
]);
export type BatchClaimReply = z.infer<typeof BatchClaimReply>;

/**
 * `batch.attemptFailed`: the attempt was not placed: Twilio refused it (its answer said so: `failed`, retried
 * per the rules), or `notAfter` came before the request could be sent (`expired`).
 */
export const BatchAttemptFailedRequest = z.object({
  ...BatchAttemptRef.shape,
  outcome: z.enum(['failed', 'expired']),
  reason: z.string().max(500),
});
export const BatchAckReply = z.object({ ok: z.literal(true) });

/** The work message of a batch call on `CALL_BATCH_WORK`. */
export const BatchWorkMessage = z.object({ batchId: BatchId, index: z.number().int().min(0) });
export type BatchWorkMessage = z.infer<typeof BatchWorkMessage>;

/** Replaces `{{name}}` with the call's variables; a name without a value stays as written. */
export function fillVariables(text: string, variables: Readonly<Record<string, string>>): string {
  // A replacer function: `$&` and the like in a value are taken as they are.
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g, (whole, name: string) =>
    Object.hasOwn(variables, name) ? (variables[name] as string) : whole,
  );
}
