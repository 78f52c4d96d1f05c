// GET /api/events as an EventSource: frames are queued and handed over once per animation frame (one batch
// of signal updates, however many events came), the last id is kept so that a stream the browser gave up
// on is reopened right after it (`?after=`), and the connection's state is a signal the header shows.
import { signal } from '@preact/signals';
import type { CallEvent } from '@switchboard/contracts';
import { api } from './api.js';
import { navigate, signInPath } from './router.js';

export const EVENT_KINDS = ['status', 'stream', 'transcript', 'dtmf', 'ended'] as const;

export interface StreamedEvent {
  seq: number;
  event: CallEvent;
}

/** `off`: this page has no event stream open. */
export type ConnectionState = 'off' | 'connecting' | 'live' | 'reconnecting';
export const connectionState = signal<ConnectionState>('off');

export interface EventsOptions {
  callSid?: string;
  /** Start after this sequence (0: from the call's first event). */
  after?: number;
  /** Every `ready`: the stream is open and every event after `after` follows. */
  onReady?: (after: number, first: boolean) => void;
  onEvents: (batch: StreamedEvent[]) => void;
}

const REOPEN_MS = 2_000;

export function openEvents(options: EventsOptions): () => void {
  let source: EventSource | undefined;
  let lastId: number | undefined = options.after;
  let queue: StreamedEvent[] = [];
  let scheduled = false;
  let readies = 0;
  let stopped = false;
  let reopen: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length > 0 && !stopped) options.onEvents(batch);
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // Hidden tabs get no animation frames: a timer then, so nothing piles up.
    if (document.hidden) setTimeout(flush, 250);
    else requestAnimationFrame(flush);
  };

  const connect = () => {
    connectionState.value = 'connecting';
    const params = new URLSearchParams();
    if (options.callSid) params.set('callSid', options.callSid);
    if (lastId !== undefined) params.set('after', String(lastId));
    const url = `/api/events${params.size > 0 ? `?${params}` : ''}`;
    const es = new EventSource(url, { withCredentials: true });
    source = es;
    es.addEventListener('ready', (e) => {
      connectionState.value = 'live';
      const after = Number((e as MessageEvent).lastEventId);
      lastId ??= after;
      options.onReady?.(after, readies++ === 0);
    });
    const onEvent = (e: Event) => {
      const message = e as MessageEvent<string>;
      const seq = Number(message.lastEventId);
      lastId = seq;
      queue.push({ seq, event: JSON.parse(message.data) as CallEvent });
      schedule();
    };
    for (const kind of EVENT_KINDS) es.addEventListener(kind, onEvent);
    es.onerror = () => {
      if (stopped) return;
      connectionState.value = 'reconnecting';
      if (es.readyState !== EventSource.CLOSED) return; // the browser retries with Last-Event-ID itself
      // Refused (not signed in, gateway busy): find out which, then try again after the last event seen.
      void api('/console/session').then(
        () => {
          reopen = setTimeout(connect, REOPEN_MS);
        },
        () => navigate(signInPath()),
      );
    };
  };
  connect();

  return () => {
    stopped = true;
    clearTimeout(reopen);
    source?.close();
    connectionState.value = 'off';
  };
}
