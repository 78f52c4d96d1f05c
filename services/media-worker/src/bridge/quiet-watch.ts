import type { BridgeOutput } from './types.js';

type QuietTimer = 'idle' | 'tool-filler';

/**
 * The two deadlines that run while nobody speaks: the agent's idle timeout (nobody speaks and nothing is
 * pending) and the holding line while a tool runs (the agent has gone quiet). The bridge says after each
 * input when each is due, if at all; this arms a timer when one becomes due and clears it when it no longer
 * is, so the deadline counts from the moment the silence began.
 */
export class QuietWatch {
  private readonly running = new Set<QuietTimer>();
  /** Reprompts since the caller last spoke or pressed a key. */
  private reprompts = 0;

  /** The idle timeout passed: reprompt (the `n`th of `allowed`), or say goodbye when they are spent. */
  idle(allowed: number): { reprompt: number } | 'goodbye' {
    this.running.delete('idle');
    if (this.reprompts >= allowed) return 'goodbye';
    return { reprompt: ++this.reprompts };
  }

  /** The caller spoke or pressed a key: the reprompts start afresh. */
  callerActive(): void {
    this.reprompts = 0;
  }

  /** Whether either timer runs now. */
  get armed(): boolean {
    return this.running.size > 0;
  }

  /** Each timer's due time while it should run, undefined while it should not. */
  update(idleAt: number | undefined, fillerAt: number | undefined): BridgeOutput[] {
    const out: BridgeOutput[] = [];
    this.arm('idle', idleAt, out);
    this.arm('tool-filler', fillerAt, out);
    return out;
  }

  private arm(timer: QuietTimer, at: number | undefined, out: BridgeOutput[]): void {
    if (at !== undefined && !this.running.has(timer)) {
      this.running.add(timer);
      out.push({ to: 'set-timer', timer, at });
    } else if (at === undefined && this.running.delete(timer)) {
      out.push({ to: 'clear-timer', timer });
    }
  }

  /** The timer fired (it may be armed again by the next update). */
  fired(timer: QuietTimer): void {
    this.running.delete(timer);
  }

  /** Something happened that restarts the silence: the timer counts again from the next update. */
  restart(timer: QuietTimer): BridgeOutput[] {
    return this.running.delete(timer) ? [{ to: 'clear-timer', timer }] : [];
  }
}
