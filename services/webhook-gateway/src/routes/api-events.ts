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
  maxStreams: number;
  /** Open streams changed. */
  onStreams?: (open: number) => void;
}

/**
 * `GET /api/events`: Server-Sent Events of the call events in JetStream. `event:` is the event's kind, `id:`
 * its stream sequence, `data:` the event's JSON. A reconnecting browser sends `Last-Event-ID` and resumes
 * right after it. The first frame is `event: ready` whose `id` is where the stream starts: every event after
 * it will follow, so a client that reads a snapshot once `ready` arrived misses nothing.
 */
export function apiEventsRouter(deps: ApiEventsDeps): Router {
  const router = Router();
  let open = 0;

  router.get('/events', async (req, res) => {
    const query = EventsQuery.safeParse(req.query);
    if (!query.success) {
      throw new InvalidRequestError(`invalid query: ${query.error.issues.map((i) => i.message).join('; ')}`);
    }
    const lastEventId = req.get('last-event-id');
    const resumed = lastEventId === undefined ? undefined : Sequence.safeParse(lastEventId);
    if (resumed && !resumed.success) throw new InvalidRequestError('Last-Event-ID is a stream sequence');
    if (open >= deps.maxStreams) throw new EventStreamsFullError(deps.maxStreams);

    open++;
    deps.onStreams?.(open);
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
      open--;
      deps.onStreams?.(open);
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

  const gone = new Promise<void>((resolve) => res.once('close', resolve));
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
      if (closed) break;
      // A browser reading slower than events come: wait for it (the feed stops pulling meanwhile).
      if (!res.write(`event: ${event.kind}\nid: ${seq}\ndata: ${JSON.stringify(event)}\n\n`)) {
        await Promise.race([new Promise((resolve) => res.once('drain', resolve)), gone]);
      }
    }
  } finally {
    clearInterval(keepAlive);
    if (!closed) res.end();
  }
}
