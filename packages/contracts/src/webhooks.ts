import { z } from 'zod';
import { AgentId } from './agent.js';
import { CallSid, IsoTime } from './call.js';
import { prose, singleLine } from './text.js';

/** What a subscription may ask for (SPEC "Webhooks"). */
export const WEBHOOK_EVENT_TYPES = ['call.started', 'call.ended', 'call.status', 'call.transcript'] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** A subscription's id: `wh_` and 24 hex digits (no dot, so it can be a subject token). */
export const WEBHOOK_ID_PATTERN = /^wh_[0-9a-f]{24}$/;
export const WebhookId = z
  .string()
  .regex(WEBHOOK_ID_PATTERN, 'webhook ids are wh_ followed by 24 hex digits');

/** A Standard Webhooks secret: `whsec_` and base64 of the key. */
export const WebhookSecret = z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/);

export const WebhookUrl = singleLine(
  z.url({ protocol: /^https?$/, message: 'url must be an http(s) URL' }).max(2_048),
);

export const WebhookEvents = z
  .array(WebhookEventType)
  .min(1, 'events must name at least one event')
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((events) => new Set(events).size === events.length, { message: 'events must not repeat' });

/** A subscription as the API lists it: never its secret. */
export const Webhook = z.object({
  id: WebhookId,
  url: z.string(),
  events: z.array(WebhookEventType),
  agentId: AgentId.nullable(),
  createdAt: IsoTime,
});
export type Webhook = z.infer<typeof Webhook>;

/** A subscription with its secret: the answer to its creation, and what the notifier signs with. */
export const WebhookWithSecret = Webhook.extend({ secret: WebhookSecret });
export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;

export const WebhookCreateRequest = z.strictObject({
  url: WebhookUrl,
  events: WebhookEvents,
  agentId: AgentId.optional(),
});
export type WebhookCreateRequest = z.infer<typeof WebhookCreateRequest>;

export const WebhookGetRequest = z.object({ id: WebhookId });
export const WebhookListRequest = z.object({});
export const WebhookListReply = z.object({ webhooks: z.array(Webhook) });
export const WebhookActiveReply = z.object({ webhooks: z.array(WebhookWithSecret) });
export const WebhookDeleteReply = z.object({ id: WebhookId, deleted: z.literal(true) });

/**
 * One delivery owed to a receiver, as it waits in the WEBHOOK_DELIVERIES stream (subject
 * `webhooks.deliveries.<webhookId>.<callSid>`). `body` is the exact JSON sent, so every attempt signs the
 * same bytes; `deliveryId` is the `webhook-id` header, the same for every attempt and a replay.
 * `sourceSeq` is the CALL_EVENTS sequence of the event it came from (0 for a replay): a call's deliveries to
 * one receiver go out in that order.
 */
export const WebhookDelivery = z.object({
  webhookId: WebhookId,
  deliveryId: z.string().regex(/^msg_[A-Za-z0-9_-]{1,64}$/),
  callSid: CallSid,
  type: WebhookEventType,
  // JSON as JSON.stringify writes it: no raw control characters.
  body: prose(z.string().max(4 * 1024 * 1024)),
  sourceSeq: z.number().int().nonnegative(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

/** A delivery given up on after the retry budget: listed by the API, re-sent by a replay. */
export const DeadLetter = z.object({
  id: z.string().regex(/^\d+$/),
  webhookId: WebhookId,
  deliveryId: z.string(),
  callSid: CallSid,
  type: WebhookEventType,
  /** The body that was sent (`{type, timestamp, data}`). */
  payload: z.unknown(),
  /** HTTP attempts made. */
  attempts: z.number().int().nonnegative(),
  lastError: z.string(),
  /** When the delivery was first queued. */
  queuedAt: IsoTime,
  failedAt: IsoTime,
});
export type DeadLetter = z.infer<typeof DeadLetter>;

export const DeadLetterAddRequest = z.object({
  /** The queued message's own id (`Nats-Msg-Id`): the same give-up recorded twice is stored once. */
  key: singleLine(z.string().min(1).max(200)),
  delivery: WebhookDelivery,
  attempts: z.number().int().nonnegative(),
  lastError: singleLine(z.string().max(1_000)),
  queuedAt: IsoTime,
});
export type DeadLetterAddRequest = z.infer<typeof DeadLetterAddRequest>;
export const DeadLetterAddReply = z.object({ id: z.string(), created: z.boolean() });

export const DEAD_LETTER_LIST_MAX_LIMIT = 1_000;
export const DeadLetterListRequest = z.object({
  webhookId: WebhookId,
  limit: z.number().int().min(1).max(DEAD_LETTER_LIST_MAX_LIMIT).default(100),
  /** The last id of the previous page; oldest first. */
  cursor: z.string().regex(/^\d+$/).max(20).optional(),
});
export type DeadLetterListRequest = z.input<typeof DeadLetterListRequest>;
export const DeadLetterListReply = z.object({
  failed: z.array(DeadLetter),
  nextCursor: z.string().nullable(),
});
export type DeadLetterListReply = z.infer<typeof DeadLetterListReply>;

/** Forgets dead letters once they are queued again (a replay). */
export const DeadLetterRemoveRequest = z.object({
  webhookId: WebhookId,
  ids: z.array(z.string().regex(/^\d+$/).max(20)).max(DEAD_LETTER_LIST_MAX_LIMIT),
});
export const DeadLetterRemoveReply = z.object({ removed: z.number().int().nonnegative() });

/** The stream of deliveries owed (work queue: a delivery leaves it once sent or set aside as a dead letter). */
export const WEBHOOK_DELIVERIES_STREAM = 'WEBHOOK_DELIVERIES';
export const WEBHOOK_DELIVERIES_SUBJECTS = 'webhooks.deliveries.>';
export function deliverySubject(webhookId: string, callSid: string): string {
  return `webhooks.deliveries.${webhookId}.${callSid}`;
}
/** The notifier's durable consumer of CALL_EVENTS, and of WEBHOOK_DELIVERIES. */
export const NOTIFIER_EVENTS_CONSUMER = 'notifier';
export const NOTIFIER_DELIVERIES_CONSUMER = 'notifier-deliveries';
/** Where the registry announces that a subscription was created or deleted (the notifiers reload theirs). */
export const WEBHOOKS_CHANGED_SUBJECT = 'webhooks.changed';
