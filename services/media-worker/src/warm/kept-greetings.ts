import type { GreetingStore } from '../bridge/greeting.js';
import type { KeptGreeting } from '../bridge/types.js';
import type { WorkerMetrics } from '../metrics.js';

/** Greetings kept at most (the least recently played go first). */
export const KEPT_GREETINGS_MAX = 256;
/** And their audio at most, as base64: 16 MiB is about 30 minutes of mu-law (256 greetings of 7 s). */
export const KEPT_GREETINGS_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Agents' greetings as a model said them in full, kept by the worker (KEEP_GREETING_AUDIO), each under
 * `greetingKey` (agent, voice, greeting, model): the bridge records one on the first call that asks for it
 * and plays it on the next ones. Bounded (KEPT_GREETINGS_MAX, KEPT_GREETINGS_MAX_BYTES; least recently played out first), and an
 * agent's are forgotten when the registry announces that the agent changed (its instructions may say how
 * to speak), or all when such a notice may have been missed.
 */
export class KeptGreetings implements GreetingStore {
  private readonly byKey = new Map<string, { agentId: string; greeting: KeptGreeting; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly metrics: Pick<WorkerMetrics, 'keptGreetings'>,
    private readonly max = KEPT_GREETINGS_MAX,
    private readonly maxBytes = KEPT_GREETINGS_MAX_BYTES,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  find(key: string): KeptGreeting | undefined {
    const entry = this.byKey.get(key);
    if (entry === undefined) return undefined;
    // Most recently played last: the first in the map is the one to evict.
    this.byKey.delete(key);
    this.byKey.set(key, entry);
    this.metrics.keptGreetings.inc({ outcome: 'played' });
    return entry.greeting;
  }

  /** The first recording of a key is kept; calls that recorded it at the same time change nothing. */
  keep(key: string, agentId: string, greeting: KeptGreeting): void {
    if (this.byKey.has(key)) return;
    let bytes = 0;
    for (const chunk of greeting.chunks) bytes += chunk.length;
    if (bytes > this.maxBytes) return;
    this.byKey.set(key, { agentId, greeting, bytes });
    this.bytes += bytes;
    this.metrics.keptGreetings.inc({ outcome: 'kept' });
    for (const oldest of this.byKey.keys()) {
      if (this.byKey.size <= this.max && this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  forget(agentId: string): void {
    for (const [key, entry] of this.byKey) if (entry.agentId === agentId) this.delete(key);
  }

  forgetAll(): void {
    this.byKey.clear();
    this.bytes = 0;
  }

  private delete(key: string): void {
    const entry = this.byKey.get(key);
    if (entry === undefined) return;
    this.byKey.delete(key);
    this.bytes -= entry.bytes;
  }
}
