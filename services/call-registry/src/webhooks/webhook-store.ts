import { randomBytes } from 'node:crypto';
import {
  type DeadLetter,
  type DeadLetterAddRequest,
  type DeadLetterListReply,
  type Webhook,
  type WebhookCreateRequest,
  type WebhookEventType,
  WebhookNotFoundError,
  type WebhookWithSecret,
} from '@switchboard/contracts';
import type pg from 'pg';
import { toServiceError } from '../db/errors.js';
import { withDbRetry } from '../db/retry.js';

/** Bytes of a subscription's signing key: 24 (192 bits), within Standard Webhooks' 24–64. */
export const WEBHOOK_SECRET_BYTES = 24;

const SUBSCRIPTION_COLUMNS = 'id, url, events, agent_id, secret, created_at';

interface SubscriptionRow {
  id: string;
  url: string;
  events: string[];
  agent_id: string | null;
  secret: string;
  created_at: Date;
}

const INSERT_SUBSCRIPTION = {
  name: 'insert_webhook',
  text: `INSERT INTO webhook_subscriptions (id, url, events, agent_id, secret) VALUES ($1, $2, $3, $4, $5)
    RETURNING ${SUBSCRIPTION_COLUMNS}`,
};
const LIST_SUBSCRIPTIONS = {
  name: 'list_webhooks',
  text: `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions ORDER BY created_at, id`,
};
const GET_SUBSCRIPTION = {
  name: 'get_webhook',
  text: `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = $1`,
};
const DELETE_SUBSCRIPTION = {
  name: 'delete_webhook',
  text: 'DELETE FROM webhook_subscriptions WHERE id = $1 RETURNING id',
};

// Stored only while the subscription exists; the same key (the queued message's id) once.
const INSERT_DEAD_LETTER = {
  name: 'insert_webhook_dead_letter',
  text: `
    WITH inserted AS (
      INSERT INTO webhook_dead_letters
        (key, webhook_id, delivery_id, call_sid, type, body, attempts, last_error, queued_at)
      SELECT $1, id, $3, $4, $5, $6, $7, $8, $9 FROM webhook_subscriptions WHERE id = $2
      ON CONFLICT (key) DO NOTHING
      RETURNING id
    )
    SELECT id::text, true AS created FROM inserted
    UNION ALL
    SELECT id::text, false AS created FROM webhook_dead_letters WHERE key = $1`,
};
const LIST_DEAD_LETTERS = {
  name: 'list_webhook_dead_letters',
  text: `
    SELECT id::text, webhook_id, delivery_id, call_sid, type, body, attempts, last_error, queued_at, failed_at
    FROM webhook_dead_letters WHERE webhook_id = $1 AND id > $2::bigint ORDER BY id LIMIT $3`,
};
const REMOVE_DEAD_LETTERS = {
  name: 'remove_webhook_dead_letters',
  text: 'DELETE FROM webhook_dead_letters WHERE webhook_id = $1 AND id = ANY($2::bigint[])',
};

interface DeadLetterRow {
  id: string;
  webhook_id: string;
  delivery_id: string;
  call_sid: string;
  type: string;
  body: string;
  attempts: number;
  last_error: string;
  queued_at: Date;
  failed_at: Date;
}

function webhookOf(row: SubscriptionRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events as WebhookEventType[],
    agentId: row.agent_id,
    createdAt: row.created_at.toISOString(),
  };
}

function withSecret(row: SubscriptionRow): WebhookWithSecret {
  return { ...webhookOf(row), secret: row.secret };
}

/** A new subscription with a fresh id and a secret from the system's CSPRNG, shown once (in the reply). */
export async function createWebhook(
  pool: pg.Pool,
  request: WebhookCreateRequest,
): Promise<WebhookWithSecret> {
  const id = `wh_${randomBytes(12).toString('hex')}`;
  const secret = `whsec_${randomBytes(WEBHOOK_SECRET_BYTES).toString('base64')}`;
  // Not repeated on a lost connection (the insert may have happened, and a repeat would make a second one).
  const { rows } = await pool
    .query<SubscriptionRow>({
      ...INSERT_SUBSCRIPTION,
      values: [id, request.url, request.events, request.agentId ?? null, secret],
    })
    .catch((err: unknown) => {
      throw toServiceError(err);
    });
  const row = rows[0];
  if (!row) throw new Error('insert_webhook returned no row');
  return withSecret(row);
}

export async function listWebhooks(pool: pg.Pool): Promise<Webhook[]> {
  const { rows } = await withDbRetry(() => pool.query<SubscriptionRow>(LIST_SUBSCRIPTIONS));
  return rows.map(webhookOf);
}

/** Every subscription with its secret: for the notifier only. */
export async function activeWebhooks(pool: pg.Pool): Promise<WebhookWithSecret[]> {
  const { rows } = await withDbRetry(() => pool.query<SubscriptionRow>(LIST_SUBSCRIPTIONS));
  return rows.map(withSecret);
}

export async function getWebhook(pool: pg.Pool, id: string): Promise<Webhook> {
  const { rows } = await withDbRetry(() =>
    pool.query<SubscriptionRow>({ ...GET_SUBSCRIPTION, values: [id] }),
  );
  const row = rows[0];
  if (!row) throw WebhookNotFoundError.forId(id);
  return webhookOf(row);
}

/** Deletes the subscription and its dead letters; deliveries still queued for it are dropped when they come up. */
export async function deleteWebhook(pool: pg.Pool, id: string): Promise<{ id: string; deleted: true }> {
  const { rowCount } = await withDbRetry(() => pool.query({ ...DELETE_SUBSCRIPTION, values: [id] }));
  if (!rowCount) throw WebhookNotFoundError.forId(id);
  return { id, deleted: true };
}

/** Records a delivery given up on; 404 when its subscription is gone (nothing is owed any more). */
export async function addDeadLetter(
  pool: pg.Pool,
  request: DeadLetterAddRequest,
): Promise<{ id: string; created: boolean }> {
  const { delivery } = request;
  const { rows } = await withDbRetry(() =>
    pool.query<{ id: string; created: boolean }>({
      ...INSERT_DEAD_LETTER,
      values: [
        request.key,
        delivery.webhookId,
        delivery.deliveryId,
        delivery.callSid,
        delivery.type,
        delivery.body,
        request.attempts,
        request.lastError,
        request.queuedAt,
      ],
    }),
  );
  const row = rows[0];
  if (!row) throw WebhookNotFoundError.forId(delivery.webhookId);
  return row;
}

/** A subscription's dead letters, oldest first; 404 for an unknown subscription. */
export async function listDeadLetters(
  pool: pg.Pool,
  request: { webhookId: string; limit: number; cursor?: string | undefined },
): Promise<DeadLetterListReply> {
  await getWebhook(pool, request.webhookId);
  const { rows } = await withDbRetry(() =>
    pool.query<DeadLetterRow>({
      ...LIST_DEAD_LETTERS,
      values: [request.webhookId, request.cursor ?? '0', request.limit + 1],
    }),
  );
  const page = rows.slice(0, request.limit);
  const last = page.at(-1);
  return {
    failed: page.map(deadLetterOf),
    nextCursor: rows.length > request.limit && last ? last.id : null,
  };
}

export async function removeDeadLetters(
  pool: pg.Pool,
  request: { webhookId: string; ids: string[] },
): Promise<{ removed: number }> {
  if (request.ids.length === 0) return { removed: 0 };
  const { rowCount } = await withDbRetry(() =>
    pool.query({ ...REMOVE_DEAD_LETTERS, values: [request.webhookId, request.ids] }),
  );
  return { removed: rowCount ?? 0 };
}

function deadLetterOf(row: DeadLetterRow): DeadLetter {
  let payload: unknown = row.body;
  try {
    payload = JSON.parse(row.body);
  } catch {
    // Kept as the text that was sent.
  }
  return {
    id: row.id,
    webhookId: row.webhook_id,
    deliveryId: row.delivery_id,
    callSid: row.call_sid,
    type: row.type as WebhookEventType,
    payload,
    attempts: row.attempts,
    lastError: row.last_error,
    queuedAt: row.queued_at.toISOString(),
    failedAt: row.failed_at.toISOString(),
  };
}
