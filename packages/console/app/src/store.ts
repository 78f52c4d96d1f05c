// The live calls: one signal per call (a card re-renders only when its own call changes), the list's order
// as another, updated in batches from the event stream.
import { batch, type Signal, signal } from '@preact/signals';
import type { Call, CallListReply } from '@switchboard/contracts';
import { api, query } from './api.js';
import type { StreamedEvent } from './events.js';
import { applyEvent, type CallView, emptyView, isLive, laterStatus, viewOfCall } from './model.js';

/** Ticks every second: durations count up from it. */
export const now = signal(Date.now());
setInterval(() => {
  now.value = Date.now();
}, 1_000);

/** Phone numbers are masked unless the operator asks to see them. */
export const showNumbers = signal(false);

/** How long an ended call stays in the live list, marked ended, before it goes to history only. */
export const ENDED_LINGER_MS = 15_000;
/** A safety net for calls no event has announced yet (an outbound call before its first callback). */
const REFRESH_LIVE_MS = 15_000;
/** Live calls read at most, page by page. */
const MAX_LIVE = 2_000;

export class LiveCalls {
  readonly views = new Map<string, Signal<CallView>>();
  /** Call sids in the list, newest first. */
  readonly order = signal<string[]>([]);
  readonly loaded = signal(false);
  private readonly fetching = new Set<string>();
  private readonly leaving = new Set<string>();
  private refresher: ReturnType<typeof setInterval> | undefined;

  view(callSid: string): Signal<CallView> | undefined {
    return this.views.get(callSid);
  }

  /** The live calls as the API lists them now, merged into what events already said. */
  async loadSnapshot(): Promise<void> {
    let cursor: string | undefined;
    let read = 0;
    const calls: Call[] = [];
    do {
      const page = await api<CallListReply>(`/api/calls${query({ live: true, limit: 200, cursor })}`);
      calls.push(...page.calls);
      read += page.calls.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor && read < MAX_LIVE);
    batch(() => {
      for (const call of calls) this.upsertCall(call);
      this.reorder();
      this.loaded.value = true;
    });
  }

  startRefreshing(): void {
    this.refresher ??= setInterval(() => void this.loadSnapshot().catch(() => undefined), REFRESH_LIVE_MS);
  }

  stop(): void {
    clearInterval(this.refresher);
    this.refresher = undefined;
  }

  apply(events: StreamedEvent[]): void {
    batch(() => {
      let added = false;
      for (const { seq, event } of events) {
        let view = this.views.get(event.callSid);
        if (!view) {
          view = signal(emptyView(event.callSid, event.at));
          this.views.set(event.callSid, view);
          added = true;
          void this.fetchCall(event.callSid);
        }
        view.value = applyEvent(view.value, event, seq);
        if (!isLive(view.value)) this.scheduleRemoval(event.callSid);
      }
      if (added) this.reorder();
    });
  }

  private upsertCall(call: Call): void {
    const existing = this.views.get(call.callSid);
    if (!existing) {
      this.views.set(call.callSid, signal(viewOfCall(call)));
      if (!isLive(viewOfCall(call))) this.scheduleRemoval(call.callSid);
      return;
    }
    const fresh = viewOfCall(call);
    const v = existing.value;
    existing.value = {
      ...v,
      call,
      createdAt: call.createdAt,
      // The API's facts, unless events already know better.
      status: laterStatus(v.status, fresh.status),
      answeredAt: v.answeredAt ?? fresh.answeredAt,
      endedAt: v.endedAt ?? fresh.endedAt,
      endedReason: v.endedReason ?? fresh.endedReason,
    };
  }

  private async fetchCall(callSid: string): Promise<void> {
    if (this.fetching.has(callSid)) return;
    this.fetching.add(callSid);
    try {
      const call = await api<Call>(`/api/calls/${callSid}`);
      batch(() => {
        this.upsertCall(call);
        this.reorder();
      });
    } catch {
      // Not registered (yet): the card shows the callSid and what events said.
    } finally {
      this.fetching.delete(callSid);
    }
  }

  /** An ended call leaves the list ENDED_LINGER_MS after it was first seen ended (once per call). */
  private scheduleRemoval(callSid: string): void {
    if (this.leaving.has(callSid)) return;
    this.leaving.add(callSid);
    setTimeout(() => {
      this.leaving.delete(callSid);
      const view = this.views.get(callSid);
      if (view && !isLive(view.value)) {
        this.views.delete(callSid);
        this.reorder();
      }
    }, ENDED_LINGER_MS);
  }

  private reorder(): void {
    const sids = [...this.views.values()]
      .map((v) => v.value)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
      .map((v) => v.callSid);
    this.order.value = sids;
  }
}
