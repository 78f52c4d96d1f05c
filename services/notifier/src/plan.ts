import { createHash } from 'node:crypto';
import {
  type Call,
  type CallEvent,
  type CallRecording,
  TERMINAL_STATUSES,
  type Transcript,
  type WebhookDelivery,
  type WebhookEventType,
  type WebhookWithSecret,
} from '@switchboard/contracts';

/**
 * Which webhook events one call event may bring, before the registry is asked (`call.ended` and
 * `call.started` are decided against the Call once the registry has applied the event):
 * - `call.started`: a stream starting or Twilio's `in-progress`, whichever answered the call first;
 * - `call.status`: a Twilio status callback;
 * - `call.transcript`: a finished utterance, tool call or event on the call;
 * - `call.ended`: a stream's end (the worker's `ended`, a stopped stream) or a terminal status callback,
 *   whichever ended the call.
 */
export function candidateTypes(event: CallEvent): WebhookEventType[] {
  switch (event.kind) {
    case 'stream':
      return event.action === 'started' ? ['call.started'] : ['call.ended'];
    case 'status': {
      const types: WebhookEventType[] = [];
      if (event.status === 'in-progress') types.push('call.started');
      types.push('call.status');
      if (TERMINAL_STATUSES.has(event.status)) types.push('call.ended');
      return types;
    }
    case 'transcript':
      return ['call.transcript'];
    case 'ended':
      return ['call.ended'];
    case 'dtmf':
    case 'recording':
    case 'answered-by':
      return [];
  }
}

/** The registry keeps times to the millisecond; an event's `at` may carry more. */
function sameInstant(stored: string | null, at: string): boolean {
  return stored !== null && Math.abs(Date.parse(stored) - Date.parse(at)) < 1;
}

/**
 * Of the candidate types, those this event did bring about, judged on the Call as the registry has it once
 * the event is applied (it may have applied later events of the call too by then): exactly one event of a
 * call set its `answeredAt` (→ `call.started`) and one its `endedAt` (→ `call.ended`), whichever replica,
 * order or redelivery, and neither changes afterwards.
 */
export function typesFor(event: CallEvent, call: Call, candidates: WebhookEventType[]): WebhookEventType[] {
  return candidates.filter((type) => broughtAbout(type, event, call));
}

function broughtAbout(type: WebhookEventType, event: CallEvent, call: Call): boolean {
  switch (type) {
    case 'call.started':
      return sameInstant(call.answeredAt, event.at);
    case 'call.status':
      // Every status Twilio reported (each callback once: its webhook-id comes from the event's message id).
      return event.kind === 'status';
    case 'call.transcript':
      return true;
    case 'call.ended':
      return TERMINAL_STATUSES.has(call.status) && sameInstant(call.endedAt, event.at);
  }
}

/**
 * Whether a subscription wants this type for this call: its events, its agent, and created before the event
 * reached switchboard (`storedAt`: when CALL_EVENTS stored it; not the event's own `at`, which for Twilio's
 * callbacks is Twilio's timestamp, to the second).
 */
export function wants(
  sub: WebhookWithSecret,
  type: WebhookEventType,
  agentId: string,
  storedAt: number,
): boolean {
  return (
    sub.events.includes(type) &&
    (sub.agentId === null || sub.agentId === agentId) &&
    Date.parse(sub.createdAt) <= storedAt
  );
}

/** The `data` of each webhook event (SPEC "Webhooks"). */
export function dataFor(
  type: WebhookEventType,
  event: CallEvent,
  call: Call,
  transcript: Transcript | undefined,
): unknown {
  switch (type) {
    case 'call.started':
    case 'call.status':
      return { call };
    case 'call.transcript': {
      if (event.kind !== 'transcript') throw new Error('call.transcript from a non-transcript event');
      const segment = {
        role: event.role,
        text: event.text,
        at: event.at,
        ...(event.tool ? { tool: event.tool } : {}),
      };
      return { callSid: event.callSid, segment };
    }
    case 'call.ended': {
      if (!transcript) throw new Error('call.ended without its transcript');
      return {
        call,
        transcript: { segments: transcript.segments },
        endedReason: call.endedReason,
        ...(call.recording === null ? {} : { recording: call.recording }),
      };
    }
  }
}

/**
 * The `webhook-id` of a delivery: the same however often the event is read (a redelivery, another replica),
 * so receivers de-duplicate and JetStream stores it once. A call starts and ends once per subscription; other
 * deliveries are one per event (its `Nats-Msg-Id`).
 */
export function deliveryIdFor(
  webhookId: string,
  type: WebhookEventType,
  callSid: string,
  eventId: string,
): string {
  const key = type === 'call.started' || type === 'call.ended' ? `${type}|${callSid}` : `${type}|${eventId}`;
  const digest = createHash('sha256').update(`${webhookId}|${key}`).digest('base64url').slice(0, 32);
  return `msg_${digest}`;
}

/** The deliveries one event owes, in the order a receiver should see them. */
export function planDeliveries(input: {
  event: CallEvent;
  eventId: string;
  /** The event's CALL_EVENTS sequence. */
  seq: number;
  /** When CALL_EVENTS stored the event (epoch ms). */
  storedAt: number;
  call: Call;
  transcript: Transcript | undefined;
  types: WebhookEventType[];
  subscriptions: Iterable<WebhookWithSecret>;
}): WebhookDelivery[] {
  const { event, call } = input;
  const subs = [...input.subscriptions];
  const deliveries: WebhookDelivery[] = [];
  for (const type of input.types) {
    const wanting = subs.filter((sub) => wants(sub, type, call.agent.id, input.storedAt));
    if (wanting.length === 0) continue;
    const body = JSON.stringify({
      type,
      timestamp: event.at,
      data: dataFor(type, event, call, input.transcript),
    });
    for (const sub of wanting) {
      deliveries.push({
        webhookId: sub.id,
        deliveryId: deliveryIdFor(sub.id, type, call.callSid, input.eventId),
        callSid: call.callSid,
        type,
        body,
        sourceSeq: input.seq,
      });
    }
  }
  return deliveries;
}

/**
 * What to do with a `call.ended` delivery about a call whose agent records (`record: true`): Twilio's recording
 * is normally ready a few seconds after the call ends, so the report waits for it, up to `waitMs` after the
 * call's `endedAt`. `reported` is the Call in the delivery's body; `current` the Call as the registry has it
 * now (undefined when the registry could not be asked).
 * - `send` with the recording to add (null: send the body as it is);
 * - `hold`: ask again shortly (the delivery goes back to its stream with a delay).
 * A recording that ended `absent` or `failed` leaves the Call without one, which the Call cannot tell from one
 * not ready yet: `over` says this replica saw the recording end so (else the report waits the whole bound).
 */
export type RecordingDecision = { kind: 'send'; recording: CallRecording | null } | { kind: 'hold' };

/** Whether a `call.ended` about this Call may still gain a recording (so the registry is worth asking). */
export function awaitsRecording(reported: Call): boolean {
  return reported.agent.record === true && reported.recording === null;
}

export function recordingDecision(
  reported: Call,
  current: Call | undefined,
  now: number,
  waitMs: number,
  over = false,
): RecordingDecision {
  if (!awaitsRecording(reported)) return { kind: 'send', recording: null };
  if (current?.recording) return { kind: 'send', recording: current.recording };
  if (over) return { kind: 'send', recording: null };
  const endedAt = Date.parse(reported.endedAt ?? '');
  if (Number.isNaN(endedAt) || now - endedAt >= waitMs) return { kind: 'send', recording: null };
  return { kind: 'hold' };
}

/** A `call.ended` body with the recording that came after it was built (in `data.recording` and `data.call`). */
export function withRecording(body: string, recording: CallRecording): string {
  const parsed = JSON.parse(body) as { data: { call: Call; recording?: CallRecording } };
  parsed.data.call = { ...parsed.data.call, recording };
  parsed.data.recording = recording;
  return JSON.stringify(parsed);
}
