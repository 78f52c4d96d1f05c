import type { NatsConnection } from '@nats-io/nats-core';
import { CallSid, EventsUnavailableError, InvalidRequestError } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { type CallEventFeed, openCallEventFeed } from '../console/call-event-feed.js';
import { EventStreamsFullError } from '../errors.js';

/** A comment line this often keeps proxies and load balancers from closing a quiet stream. */
export const SSE_KEEP_ALIVE_MS = 15_000;
/** How long a browser waits before reconnecting after the stream drops (the SSE `retry:` field). */
export const SSE_RETRY_MS = 1_000;

const Sequence = z.coerce.number().int().nonnegative();
const EventsQuery = z.strictObject({
  callSid: CallSid.optional(),
  /** Start after this stream sequence on the first connection (`0`: from the first stored event). */
  after: Sequence.optional(),
});

export interface ApiEventsDeps {
  nc: NatsConnection;
  log: Logger;
  streams: EventStreams;
}

/**
 * The open event streams of one gateway: at most `max`, counted for /metrics and the system page, and ended
 * together when the gateway stops (each browser reconnects, to another replica, right after its last event).
 */
export class EventStreams {
  private readonly open = new Set<Response>();

  constructor(
    readonly max: number,
    private readonly onChange: (open: number) => void = () => undefined,
  ) {}

  get size(): number {
    return this.open.size;
  }

  add(res: Response): void {
    if (this.open.size >= this.max) throw new EventStreamsFullError(this.max);
    this.open.add(res);
    this.onChange(this.open.size);
  }

  delete(res: Response): void {
    if (this.open.delete(res)) this.onChange(this.open.size);
  }

  /** Ends every stream (the gateway is stopping). */
  endAll(): void {
    for (const res of this.open) res.end();
  }
}

/**
 * `GET /api/events`: Server-Sent Events of the call events in JetStream. `event:` is the event's kind, `id:`
 * its stream sequence, `data:` the event's JSON. A reconnecting browser sends `Last-Event-ID` and resumes
 * right after it. The first frame is `event: ready` whose `id` is where the stream starts: every event after
 * it will follow, so a client that reads a snapshot once `ready` arrived misses nothing.
 */
export function apiEventsRouter(deps: ApiEventsDeps): Router {
  const router = Router();

  router.get('/events', async (req, res) => {
    const query = EventsQuery.safeParse(req.query);
    if (!query.success) {
      throw new InvalidRequestError(`invalid query: ${query.error.issues.map((i) => i.message).join('; ')}`);
    }
    const lastEventId = req.get('last-event-id');
    const resumed = lastEventId === undefined ? undefined : Sequence.safeParse(lastEventId);
    if (resumed && !resumed.success) throw new InvalidRequestError('Last-Event-ID is a stream sequence');
    deps.streams.add(res);
    let feed: CallEventFeed | undefined;
    try {
      feed = await openCallEventFeed(deps.nc, deps.log, {
        callSid: query.data.callSid,
        afterSeq: resumed?.data ?? query.data.after,
      }).catch((err: unknown) => {
        throw new EventsUnavailableError('call events cannot be read right now', { cause: err });
      });
      await stream(req, res, feed);
    } finally {
      await feed?.close();
      deps.streams.delete(res);
    }
  });
  return router;
}

async function stream(req: Request, res: Response, feed: CallEventFeed): Promise<void> {
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    // nginx and friends: pass each frame on at once.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  req.socket.setNoDelay(true);

  // The browser went away, or the gateway ended the stream (stopping): either way, stop reading.
  const gone = new Promise<void>((resolve) => {
    res.once('close', resolve);
    res.once('finish', resolve);
  });
  let closed = false;
  void gone.then(() => {
    closed = true;
    void feed.close();
  });
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEP_ALIVE_MS);
  try {
    res.write(
      `retry: ${SSE_RETRY_MS}\nevent: ready\nid: ${feed.startAfter}\ndata: {"after":${feed.startAfter}}\n\n`,
    );
    for await (const { seq, event } of feed.events) {
      if (closed || res.writableEnded) break;
      // A browser reading slower than events come: wait for it (the feed stops pulling meanwhile).
      if (!res.write(`event: ${event.kind}\nid: ${seq}\ndata: ${JSON.stringify(event)}\n\n`)) {
        await Promise.race([new Promise((resolve) => res.once('drain', resolve)), gone]);
      }
    }
  } finally {
    clearInterval(keepAlive);
    if (!res.writableEnded) res.end();
  }
}
