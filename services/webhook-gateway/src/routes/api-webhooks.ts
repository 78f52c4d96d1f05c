import type { DeliveryPublisher } from '@switchboard/bus';
import {
  DEAD_LETTER_LIST_MAX_LIMIT,
  type DeadLetter,
  EventsUnavailableError,
  InvalidRequestError,
  SwitchboardError,
  WebhookCreateRequest,
  WebhookDelivery,
  WebhookId,
} from '@switchboard/contracts';
import { refusedHost } from '@switchboard/url-guard';
import { type Request, Router } from 'express';
import { z } from 'zod';
import type { GatewayRegistry } from '../registry.js';
import { parseInput } from '../validation.js';

/** How long a replay may try to queue one dead letter again before it answers 503. */
export const REPLAY_QUEUE_DEADLINE_MS = 5_000;

const FailedQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(DEAD_LETTER_LIST_MAX_LIMIT).optional(),
  cursor: z
    .string()
    .regex(/^\d{1,19}$/, 'cursor is the nextCursor of the previous page')
    .optional(),
});

export interface ApiWebhooksDeps {
  registry: GatewayRegistry;
  registryTimeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE_URLS: loopback, private and link-local URLs may be subscribed. */
  allowPrivateUrls: boolean;
  /** Where a replay queues dead letters again. */
  deliveries: Pick<DeliveryPublisher, 'queue'>;
}

function idParam(req: Request): string {
  return parseInput(WebhookId, req.params.id, 'webhook id');
}

/**
 * `/api/webhooks…` (SPEC "Webhooks"), behind the API key check. The registry stores subscriptions and dead
 * letters; the notifier delivers. A URL on a private address is refused here already (unless allowed), and
 * again by the notifier at delivery time, once its name is resolved.
 */
export function apiWebhooksRouter(deps: ApiWebhooksDeps): Router {
  const { registry, registryTimeoutMs: timeoutMs } = deps;
  const router = Router();

  router.post('/webhooks', async (req, res) => {
    const body = parseInput(WebhookCreateRequest, req.body ?? {}, 'webhook');
    const refused = deps.allowPrivateUrls ? undefined : refusedHost(new URL(body.url).hostname);
    if (refused) {
      const message = `must not be a loopback, private or link-local address (${refused.address})`;
      throw new InvalidRequestError(`invalid webhook: url: ${message}`, {
        details: [{ path: ['url'], message }],
      });
    }
    if (body.agentId !== undefined) await agentMustExist(registry, body.agentId, timeoutMs);
    const created = await registry.webhookCreate(body, { timeoutMs });
    res.status(201).location(`/api/webhooks/${created.id}`).json(created);
  });

  router.get('/webhooks', async (_req, res) => {
    res.json(await registry.webhookList({}, { timeoutMs }));
  });

  router.get('/webhooks/:id', async (req, res) => {
    res.json(await registry.webhookGet({ id: idParam(req) }, { timeoutMs }));
  });

  router.delete('/webhooks/:id', async (req, res) => {
    await registry.webhookDelete({ id: idParam(req) }, { timeoutMs });
    res.status(204).end();
  });

  router.get('/webhooks/:id/failed', async (req, res) => {
    const webhookId = idParam(req);
    const query = parseInput(FailedQuery, req.query, 'query');
    res.json(await registry.webhookFailedList({ webhookId, ...query }, { timeoutMs }));
  });

  // Every dead letter of the subscription goes back into the queue (same webhook-id, same body), then leaves
  // the list. One that could not be queued stays listed, so a replay that fails half-way can be repeated.
  router.post('/webhooks/:id/failed/replay', async (req, res) => {
    const webhookId = idParam(req);
    parseInput(z.strictObject({}), req.body ?? {}, 'replay');
    let replayed = 0;
    let cursor: string | undefined;
    do {
      const page = await registry.webhookFailedList(
        { webhookId, limit: DEAD_LETTER_LIST_MAX_LIMIT, ...(cursor ? { cursor } : {}) },
        { timeoutMs },
      );
      for (const failed of page.failed) await requeue(deps.deliveries, failed);
      const ids = page.failed.map((f) => f.id);
      await registry.webhookFailedRemove({ webhookId, ids }, { timeoutMs });
      replayed += ids.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    res.status(202).json({ id: webhookId, replayed });
  });

  return router;
}

async function agentMustExist(registry: GatewayRegistry, agentId: string, timeoutMs: number): Promise<void> {
  try {
    await registry.agentGet({ id: agentId }, { timeoutMs });
  } catch (err) {
    if (!(err instanceof SwitchboardError) || err.code !== 'AGENT_NOT_FOUND') throw err;
    const message = `no agent with id ${agentId}`;
    throw new InvalidRequestError(`invalid webhook: agentId: ${message}`, {
      details: [{ path: ['agentId'], message }],
    });
  }
}

async function requeue(deliveries: Pick<DeliveryPublisher, 'queue'>, failed: DeadLetter): Promise<void> {
  const delivery = WebhookDelivery.parse({
    webhookId: failed.webhookId,
    deliveryId: failed.deliveryId,
    callSid: failed.callSid,
    type: failed.type,
    body: typeof failed.payload === 'string' ? failed.payload : JSON.stringify(failed.payload),
    // Ahead of anything new for the call: a replay is of what was owed first.
    sourceSeq: 0,
  });
  try {
    // The dead letter's own id: a repeated replay of the same letter is queued once.
    await deliveries.queue(delivery, `replay:${failed.id}`, REPLAY_QUEUE_DEADLINE_MS);
  } catch (err) {
    throw new EventsUnavailableError('the webhook delivery queue is unavailable', { cause: err });
  }
}
