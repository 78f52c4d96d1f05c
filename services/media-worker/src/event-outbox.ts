import type { EventSink } from '@switchboard/bus';
import type { CallEvent } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';

export interface OutboxOptions {
  /** Publishes waiting for an acknowledgement at once. */
  concurrency: number;
  /** Events accepted and not acknowledged yet; beyond this new events are dropped (and counted). */
  maxPending: number;
  onDrop?: () => void;
}

export const DEFAULT_OUTBOX_OPTIONS: OutboxOptions = { concurrency: 64, maxPending: 50_000 };

/**
 * Call events on their way to JetStream. `publish` returns at once, so the audio path never waits on NATS;
 * each event is retried until acknowledged (no deadline), with a bound on what may wait in memory.
 */
export class EventOutbox {
  private readonly queue: Array<{ event: CallEvent; msgId: string; stored?: (() => void) | undefined }> = [];
  private inFlight = 0;
  private readonly abort = new AbortController();
  private idle: Array<() => void> = [];

  constructor(
    private readonly sink: EventSink,
    private readonly log: Logger,
    private readonly options: OutboxOptions = DEFAULT_OUTBOX_OPTIONS,
  ) {}

  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Takes an event; `stored` is called once JetStream has acknowledged it (never, if it is not stored). */
  publish(event: CallEvent, msgId: string, stored?: () => void): void {
    if (this.abort.signal.aborted || this.pending >= this.options.maxPending) {
      this.options.onDrop?.();
      this.log.error({ msgId, callSid: event.callSid, kind: event.kind }, 'call event dropped: outbox full');
      return;
    }
    this.queue.push({ event, msgId, stored });
    this.pump();
  }

  /** Waits until every accepted event is acknowledged, or `timeoutMs`; then gives up on the rest. */
  async flush(timeoutMs: number): Promise<void> {
    if (this.pending > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idle.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    if (this.pending > 0) {
      this.log.error({ pending: this.pending }, 'call events not stored before shutdown');
    }
    this.abort.abort();
  }

  private pump(): void {
    while (this.inFlight < this.options.concurrency && this.queue.length > 0) {
      const next = this.queue.shift() as (typeof this.queue)[number];
      this.inFlight++;
      this.sink
        .publish(next.event, { msgId: next.msgId, signal: this.abort.signal })
        .then(() => next.stored?.())
        .catch((err: unknown) => {
          this.log.error({ err, msgId: next.msgId, callSid: next.event.callSid }, 'call event not stored');
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
        });
    }
  }
}
