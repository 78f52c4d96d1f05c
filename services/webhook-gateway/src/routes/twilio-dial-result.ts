import type { EventSink } from '@switchboard/bus';
import { CallSid, PhoneNumber, type TranscriptEvent, TransferTargetName } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { targetForLog } from '../log-fields.js';
import type { GatewayMetrics } from '../metrics.js';
import type { StreamTarget } from '../placement/stream-target.js';
import type { GatewayRegistry } from '../registry.js';
import { apologyTwiml, connectStreamTwiml, hangupTwiml, TWIML_CONTENT_TYPE } from '../twiml.js';

/** How long the gateway gives JetStream to store the transfer's outcome before answering Twilio anyway. */
export const DIAL_RESULT_PUBLISH_DEADLINE_MS = 1_000;

/** Twilio's `DialCallStatus`: how the `<Dial>` ended. Anything else is taken as `failed`. */
const DIAL_STATUSES = ['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled'] as const;
type DialStatus = (typeof DIAL_STATUSES)[number];

const DialResultParams = z.object({
  CallSid: CallSid,
  DialCallStatus: z.enum(DIAL_STATUSES).catch('failed'),
  /** The dialled leg, when Twilio created one: names this transfer attempt. */
  DialCallSid: z
    .string()
    .regex(/^CA[0-9a-f]{32}$/)
    .optional()
    .catch(undefined),
  DialCallDuration: z
    .string()
    .regex(/^\d{1,9}$/)
    .optional()
    .catch(undefined),
  /** The caller's own call: `completed` when the caller hung up meanwhile. */
  CallStatus: z.string().max(32).optional().catch(undefined),
});

/** The transfer target's name, put in the `<Dial action>` URL by `twilio.call.transfer`. */
const DialResultQuery = z.object({
  target: z.union([TransferTargetName, PhoneNumber]).optional().catch(undefined),
});

export interface DialResultDeps {
  /** The call, for the reservation of the reconnected stream. */
  registry: GatewayRegistry;
  registryTimeoutMs: number;
  /** Where the reconnected stream goes, placed as at `/twilio/voice`. */
  streamTarget: StreamTarget;
  /** `PUBLIC_BASE_URL/twilio/stream-ended`, the reconnected stream's `<Connect action>`. */
  streamEndedUrl: string;
  events: EventSink;
  metrics: GatewayMetrics;
  log: Logger;
}

/** Whether a person took the call (the dial was answered): the call ends when their conversation does. */
function answered(status: DialStatus): boolean {
  return status === 'completed' || status === 'answered';
}

/**
 * `POST /twilio/dial-result` (signature already checked): Twilio's `<Dial action>` request once a transfer's
 * dial has ended. Answered: the conversation with the person is over, so the call hangs up (and is stored as
 * completed, status callback or not). Busy, no answer, failed or canceled: the caller goes back to the same
 * agent — the same `<Connect><Stream>` with `transferFailed` and `transferTarget` parameters, so the worker
 * taking the new stream tells the caller. The outcome is an `event` segment of the transcript either way.
 */
export function twilioDialResultHandler(deps: DialResultDeps): RequestHandler {
  const hangup = hangupTwiml();
  return async (req, res) => {
    const params = DialResultParams.safeParse(req.body ?? {});
    if (!params.success) {
      deps.log.warn(
        { issues: params.error.issues.map((i) => i.path.join('.')) },
        'dial result params invalid',
      );
      res.status(200).type(TWIML_CONTENT_TYPE).send(hangup);
      return;
    }
    const { CallSid: callSid, DialCallStatus: status } = params.data;
    const target = DialResultQuery.parse(req.query).target ?? 'the transfer target';
    const callerLeft = params.data.CallStatus === 'completed';
    const reconnect = !answered(status) && !callerLeft;
    deps.metrics.transfers.inc({ outcome: status });
    deps.log.info({ callSid, target: targetForLog(target), status, reconnect }, 'transfer dial ended');

    const now = new Date();
    const attempt = params.data.DialCallSid ?? `t${now.getTime()}`;
    const outcome = store(
      deps,
      transferEvent(callSid, target, params.data, attempt, now),
      `transcript:${callSid}:transfer-${attempt}`,
    );
    if (!reconnect) {
      // The call ends with this answer: it is complete now, whether or not a status callback follows.
      const completed = {
        kind: 'status' as const,
        callSid,
        status: 'completed' as const,
        at: now.toISOString(),
      };
      await Promise.all([outcome, store(deps, completed, `status.${callSid}.completed.dial-${attempt}`)]);
      res.status(200).type(TWIML_CONTENT_TYPE).send(hangup);
      return;
    }
    const [, url] = await Promise.all([outcome, reconnectUrl(deps, callSid)]);
    if (url === undefined) {
      res.status(200).type(TWIML_CONTENT_TYPE).send(apologyTwiml());
      return;
    }
    const twiml = connectStreamTwiml(url, callSid, {
      actionUrl: deps.streamEndedUrl,
      parameters: { transferFailed: status, transferTarget: target },
    });
    res.status(200).type(TWIML_CONTENT_TYPE).send(twiml);
  };
}

/**
 * The caller goes back to an agent: a worker placed for the call (looked up only when a worker could take
 * it), else MEDIA_STREAM_URL.
 */
function reconnectUrl(deps: DialResultDeps, callSid: string): Promise<string | undefined> {
  return deps.streamTarget(() => deps.registry.callBySid({ callSid }, { timeoutMs: deps.registryTimeoutMs }));
}

/** The `event` segment saying how the transfer went, for the transcript (and the reconnected agent's seed). */
function transferEvent(
  callSid: string,
  target: string,
  params: z.output<typeof DialResultParams>,
  attempt: string,
  now: Date,
): TranscriptEvent {
  const { DialCallStatus: status, DialCallDuration: seconds } = params;
  const text = answered(status)
    ? `transfer to ${target}: answered${seconds === undefined ? '' : `, talked ${Number(seconds)} s`}`
    : `transfer to ${target} failed: ${status}`;
  return {
    kind: 'transcript',
    callSid,
    role: 'event',
    text,
    itemId: `transfer-${attempt}`,
    at: now.toISOString(),
  };
}

/** Stores an event within DIAL_RESULT_PUBLISH_DEADLINE_MS; the caller is never kept waiting on JetStream longer. */
async function store(deps: DialResultDeps, event: Parameters<EventSink['publish']>[0], msgId: string) {
  try {
    await deps.events.publish(event, { msgId, deadlineMs: DIAL_RESULT_PUBLISH_DEADLINE_MS });
    deps.metrics.eventsPublished.inc({ kind: event.kind, outcome: 'stored' });
  } catch (err) {
    deps.metrics.eventsPublished.inc({ kind: event.kind, outcome: 'failed' });
    deps.log.error({ err, callSid: event.callSid, msgId }, 'transfer outcome not stored');
  }
}
