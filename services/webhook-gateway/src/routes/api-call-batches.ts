import { randomBytes } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { backoffPauses, withRetry } from '@switchboard/bus';
import {
  AgentNotFoundError,
  BATCH_CALLS_PER_REQUEST,
  BATCH_DEFAULT_CONCURRENT,
  BATCH_DEFAULT_PER_SECOND,
  BATCH_GET_MAX_LIMIT,
  BATCH_MAX_CALLS,
  BATCH_MAX_CONCURRENT,
  BATCH_MAX_PER_SECOND,
  type BatchCall,
  BatchCallInput,
  BatchId,
  BatchRetry,
  type BatchSettings,
  type BatchSummary,
  batchWorkSubject,
  DEFAULT_AGENT_ID,
  EventsUnavailableError,
  InvalidRequestError,
  IsoTime,
  type StoredBatchCall,
  SwitchboardError,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { Router } from 'express';
import { z } from 'zod';
import { TwilioError } from '../errors.js';
import type { GatewayRegistry } from '../registry.js';
import { type FieldIssue, fieldIssues } from '../validation.js';

/** Bad fields named in one 400 at most (a 10,000-call body could have 10,000). */
const MAX_ISSUES_SHOWN = 20;
/** Work messages published at once while a batch is queued. */
const PUBLISH_IN_FLIGHT = 256;
/** Distinct agents looked up at once while a batch is checked. */
const AGENT_CHECKS_IN_FLIGHT = 8;
const PUBLISH_ACK_TIMEOUT_MS = 2_000;
/** One batch request to the registry, at least (it may carry 500 calls, or read 2,000). */
const BATCH_REQUEST_TIMEOUT_MS = 5_000;
/** JSON of the calls in one `batch.addCalls`, at most: well under NATS' default 1 MB payload. */
const CHUNK_MAX_BYTES = 512 * 1024;
/** Every publish failure is retried (the message id makes a repeat harmless): 50 ms, doubling to 2 s. */
const PUBLISH_PAUSES = backoffPauses(50, 2_000);

export const CallBatchBody = z
  .strictObject({
    calls: z.array(BatchCallInput).min(1).max(BATCH_MAX_CALLS),
    maxPerSecond: z.number().int().min(1).max(BATCH_MAX_PER_SECOND).default(BATCH_DEFAULT_PER_SECOND),
    maxConcurrent: z.number().int().min(1).max(BATCH_MAX_CONCURRENT).default(BATCH_DEFAULT_CONCURRENT),
    notBefore: IsoTime.optional(),
    notAfter: IsoTime.optional(),
    retry: BatchRetry.optional(),
  })
  .refine(
    (b) =>
      b.notBefore === undefined ||
      b.notAfter === undefined ||
      Date.parse(b.notBefore) < Date.parse(b.notAfter),
    {
      path: ['notAfter'],
      message: 'notAfter must be later than notBefore',
    },
  );

export interface ApiCallBatchesDeps {
  registry: GatewayRegistry;
  /** Where the batch's work messages go (CALL_BATCH_WORK). */
  js: JetStreamClient;
  /** Caller id of batch calls. */
  defaultFromNumber: string | undefined;
  /** False without Twilio credentials: batches are refused with 503, as `POST /api/calls` is. */
  outboundConfigured: boolean;
  registryTimeoutMs: number;
  log: Logger;
}

/** `/api/call-batches…`, behind the API key check (README: Batches). */
export function apiCallBatchesRouter(deps: ApiCallBatchesDeps): Router {
  const { registry, registryTimeoutMs: timeoutMs } = deps;
  const router = Router();
  // Batch requests carry up to 500 calls (or 2,000 read): each attempt gets at least BATCH_REQUEST_TIMEOUT_MS,
  // and a timed-out one is repeated (every batch write is idempotent).
  const attemptMs = Math.max(timeoutMs, BATCH_REQUEST_TIMEOUT_MS);
  const ask = <T>(fn: (timeoutMs: number) => Promise<T>) =>
    withRetry(fn, { budgetMs: attemptMs * 3, attemptTimeoutMs: attemptMs });

  router.post('/call-batches', async (req, res) => {
    const body = parseBatch(req.body ?? {});
    if (deps.defaultFromNumber === undefined) {
      throw new InvalidRequestError('batches need a caller id: no TWILIO_FROM_NUMBER is configured');
    }
    if (!deps.outboundConfigured) {
      throw new TwilioError(
        'outbound calls are not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
        503,
        {},
      );
    }
    await checkAgents(registry, body.calls, timeoutMs);
    const settings: BatchSettings = {
      maxPerSecond: body.maxPerSecond,
      maxConcurrent: body.maxConcurrent,
      notBefore: body.notBefore ?? null,
      notAfter: body.notAfter ?? null,
      retry: body.retry ?? { on: [], attempts: 0, delaySeconds: 0 },
      from: deps.defaultFromNumber,
    };
    const id = `cb_${randomBytes(12).toString('hex')}`;
    await ask((t) => registry.batchCreate({ id, total: body.calls.length, settings }, { timeoutMs: t }));
    try {
      for (const { offset, calls } of chunks(body.calls)) {
        await ask((t) => registry.batchAddCalls({ id, offset, calls }, { timeoutMs: t }));
      }
      await enqueue(deps.js, id, body.calls.length);
    } catch (err) {
      // Nothing half-done: the batch is cancelled, so what was stored or queued of it is never dialled. The
      // registry's own error goes back as it is; JetStream's is a 503 naming the batch (`details.batchId`).
      deps.log.error({ err, batchId: id }, 'batch not queued, cancelling it');
      await ask((t) => registry.batchCancel({ id }, { timeoutMs: t })).catch((cancelErr: unknown) =>
        deps.log.error({ err: cancelErr, batchId: id }, 'batch not queued could not be cancelled'),
      );
      if (err instanceof SwitchboardError) throw err;
      throw new EventsUnavailableError(`batch ${id} could not be queued; it is cancelled`, {
        cause: err,
        details: { batchId: id },
      });
    }
    const summary = await ask((t) => registry.batchGet({ id, limit: 0 }, { timeoutMs: t }));
    deps.log.info({ batchId: id, calls: body.calls.length }, 'call batch queued');
    res.status(201).location(`/api/call-batches/${id}`).json(summary.batch);
  });

  router.get('/call-batches/:id', async (req, res) => {
    const id = batchIdParam(req.params.id);
    const first = await ask((t) => registry.batchGet({ id }, { timeoutMs: t }));
    const calls: BatchCall[] = [...first.calls];
    while (calls.length < first.batch.total) {
      const page = await ask((t) =>
        registry.batchGet({ id, offset: calls.length, limit: BATCH_GET_MAX_LIMIT }, { timeoutMs: t }),
      );
      if (page.calls.length === 0) break;
      calls.push(...page.calls);
    }
    res.json({ ...first.batch, calls });
  });

  router.post('/call-batches/:id/cancel', async (req, res) => {
    const id = batchIdParam(req.params.id);
    const summary: BatchSummary = await ask((t) => registry.batchCancel({ id }, { timeoutMs: t }));
    res.status(202).json(summary);
  });

  return router;
}

type StoredCall = z.input<typeof StoredBatchCall>;

/**
 * The calls as the registry stores them, in requests of at most `BATCH_CALLS_PER_REQUEST` calls and
 * `CHUNK_MAX_BYTES` of JSON (variables can make 500 calls larger than NATS' 1 MB payload).
 */
function* chunks(
  calls: readonly z.output<typeof BatchCallInput>[],
): Generator<{ offset: number; calls: StoredCall[] }> {
  let offset = 0;
  let chunk: StoredCall[] = [];
  let bytes = 0;
  for (const [index, c] of calls.entries()) {
    const stored: StoredCall = {
      to: c.to,
      agentId: c.agentId ?? DEFAULT_AGENT_ID,
      ...(c.variables === undefined ? {} : { variables: c.variables }),
    };
    const size = Buffer.byteLength(JSON.stringify(stored));
    if (chunk.length > 0 && (chunk.length >= BATCH_CALLS_PER_REQUEST || bytes + size > CHUNK_MAX_BYTES)) {
      yield { offset, calls: chunk };
      offset = index;
      chunk = [];
      bytes = 0;
    }
    chunk.push(stored);
    bytes += size;
  }
  if (chunk.length > 0) yield { offset, calls: chunk };
}

function batchIdParam(value: unknown): string {
  const parsed = BatchId.safeParse(value);
  if (!parsed.success) throw new InvalidRequestError(`id: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function parseBatch(value: unknown): z.output<typeof CallBatchBody> {
  const parsed = CallBatchBody.safeParse(value);
  if (!parsed.success) refuse(fieldIssues(parsed.error), 'request body');
  const { notAfter } = parsed.data;
  if (notAfter !== undefined && Date.parse(notAfter) <= Date.now()) {
    refuse([{ path: ['notAfter'], message: 'notAfter has passed: no call could be made' }], 'request body');
  }
  return parsed.data;
}

function refuse(issues: FieldIssue[], what: string): never {
  const shown = issues.slice(0, MAX_ISSUES_SHOWN);
  const text = shown.map((i) => `${i.path.join('.') || what}: ${i.message}`);
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
  throw new InvalidRequestError(`invalid ${what}: ${text.join('; ')}${more}`, { details: shown });
}

/** Every agent named must exist: a 400 naming the calls that name an unknown one. */
async function checkAgents(
  registry: GatewayRegistry,
  calls: readonly z.output<typeof BatchCallInput>[],
  timeoutMs: number,
): Promise<void> {
  const ids = [...new Set(calls.flatMap((c) => (c.agentId === undefined ? [] : [c.agentId])))];
  const unknown = new Set<string>();
  for (let i = 0; i < ids.length; i += AGENT_CHECKS_IN_FLIGHT) {
    await Promise.all(
      ids.slice(i, i + AGENT_CHECKS_IN_FLIGHT).map(async (id) => {
        try {
          await registry.agentGet({ id }, { timeoutMs });
        } catch (err) {
          if (err instanceof AgentNotFoundError) unknown.add(id);
          else throw err;
        }
      }),
    );
  }
  if (unknown.size === 0) return;
  const issues = calls.flatMap((c, index): FieldIssue[] =>
    c.agentId !== undefined && unknown.has(c.agentId)
      ? [{ path: ['calls', String(index), 'agentId'], message: `no agent with id ${c.agentId}` }]
      : [],
  );
  refuse(issues, 'request body');
}

/** One work message per call, each stored once (its message id) however often this is retried. */
async function enqueue(js: JetStreamClient, id: string, total: number): Promise<void> {
  const subject = batchWorkSubject(id);
  for (let start = 0; start < total; start += PUBLISH_IN_FLIGHT) {
    const end = Math.min(total, start + PUBLISH_IN_FLIGHT);
    const publishes: Promise<unknown>[] = [];
    for (let index = start; index < end; index++) {
      publishes.push(
        withRetry(
          (timeout) =>
            js.publish(subject, JSON.stringify({ batchId: id, index }), { msgID: `${id}.${index}`, timeout }),
          { budgetMs: 10_000, attemptTimeoutMs: PUBLISH_ACK_TIMEOUT_MS, pauses: PUBLISH_PAUSES },
        ),
      );
    }
    await Promise.all(publishes);
  }
}
