import type { KeypadSetting } from '@switchboard/contracts';

/** How long a pause ends a gathered entry when the agent's keypad setting names none. */
export const DEFAULT_KEYPAD_PAUSE_MS = 2_000;
/** The key that ends a gathered entry when the setting names none (`null` there: no key does). */
export const DEFAULT_KEYPAD_TERMINATOR = '#';
/** A gathered entry is told to the model at this length even without a terminator or a pause. */
export const KEYPAD_MAX_DIGITS = 64;

/** What a key press leads to: digits to tell the model now, or a wait for more (the pause timer). */
export type KeyOutcome = Entry | 'wait';

/** Keys to tell the model: one pressed at once, or a gathered entry; `at` is when its first key was pressed. */
export interface Entry {
  tell: string;
  gathered: boolean;
  at: number;
}

/**
 * The caller's keys on their way to the model, per the agent's `keypad` setting: without one, each key at
 * once; with one, gathered until its terminator (not passed on), `maxDigits`, or a pause of `pauseMs`.
 */
export class Keypad {
  private entry = '';
  private startedAt = 0;

  constructor(private readonly setting: KeypadSetting | null | undefined) {}

  get pauseMs(): number {
    return this.setting?.pauseMs ?? DEFAULT_KEYPAD_PAUSE_MS;
  }

  /** Keys gathered and not told yet. */
  get pending(): string {
    return this.entry;
  }

  press(key: string, now: number): KeyOutcome {
    const setting = this.setting;
    if (setting === null || setting === undefined) return { tell: key, gathered: false, at: now };
    const terminator = setting.terminator === undefined ? DEFAULT_KEYPAD_TERMINATOR : setting.terminator;
    if (key === terminator) {
      // A terminator alone is a key like any other.
      return this.entry === '' ? { tell: key, gathered: false, at: now } : this.take();
    }
    if (this.entry === '') this.startedAt = now;
    this.entry += key;
    if (this.entry.length >= Math.min(setting.maxDigits ?? KEYPAD_MAX_DIGITS, KEYPAD_MAX_DIGITS)) {
      return this.take();
    }
    return 'wait';
  }

  /** The pause is over: what was gathered, if anything. */
  paused(): Entry | undefined {
    return this.entry === '' ? undefined : this.take();
  }

  private take(): Entry {
    const tell = this.entry;
    this.entry = '';
    return { tell, gathered: true, at: this.startedAt };
  }
}
