import type { SlotRelease, WorkerSlots } from './worker-slots.js';

/**
 * The worker slot one stream holds from its `start` (its call's reservation, or a free slot), given back once
 * when the stream ends. A stream refused at `start` stays refused.
 */
export class StreamSlot {
  private held: SlotRelease | 'refused' | undefined;

  constructor(private readonly slots: Pick<WorkerSlots, 'admit'>) {}

  /** At `start`: whether the stream has room here (a repeated `start` keeps the first answer). */
  admit(callSid: string): boolean {
    this.held ??= this.slots.admit(callSid) ?? 'refused';
    return this.held !== 'refused';
  }

  release(): void {
    if (typeof this.held === 'function') this.held();
  }
}
