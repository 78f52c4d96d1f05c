import type { TimerName } from './bridge/timers.js';

/** Runs the timers a call's bridge asks for: one of each name, each fired once at its time. */
export class CallTimers {
  private readonly handles = new Map<TimerName, NodeJS.Timeout>();

  constructor(private readonly fired: (timer: TimerName) => void) {}

  set(timer: TimerName, at: number): void {
    clearTimeout(this.handles.get(timer));
    const handle = setTimeout(
      () => {
        this.handles.delete(timer);
        this.fired(timer);
      },
      Math.max(0, at - Date.now()),
    );
    this.handles.set(timer, handle);
  }

  clear(timer: TimerName): void {
    clearTimeout(this.handles.get(timer));
    this.handles.delete(timer);
  }

  clearAll(): void {
    for (const handle of this.handles.values()) clearTimeout(handle);
    this.handles.clear();
  }
}
