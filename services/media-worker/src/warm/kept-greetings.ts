import type { GreetingStore } from '../bridge/greeting.js';
import type { KeptGreeting } from '../bridge/types.js';
import type { WorkerMetrics } from '../metrics.js';

/** Greetings kept at most (the least recently played go first): 256 of 3 s each are about 8 MB of base64. */
export const KEPT_GREETINGS_MAX = 256;

/**
 * Agents' greetings as a model said them in full, kept by the worker (KEEP_GREETING_AUDIO), each under
 * `greetingKey` (agent, voice, greeting, model): the bridge records one on the first call that asks for it
 * and plays it on the next ones. Bounded (KEPT_GREETINGS_MAX, least recently played out first), and an
 * agent's are forgotten when the registry announces that the agent changed (its instructions may say how
 * to speak), or all when such a notice may have been missed.
 */
export class KeptGreetings implements GreetingStore {
  private readonly byKey = new Map<string, { agentId: string; greeting: KeptGreeting }>();

  constructor(
    private readonly metrics: Pick<WorkerMetrics, 'keptGreetings'>,
    private readonly max = KEPT_GREETINGS_MAX,
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
    this.byKey.set(key, { agentId, greeting });
    this.metrics.keptGreetings.inc({ outcome: 'kept' });
    for (const oldest of this.byKey.keys()) {
      if (this.byKey.size <= this.max) break;
      this.byKey.delete(oldest);
    }
  }

  forget(agentId: string): void {
    for (const [key, entry] of this.byKey) if (entry.agentId === agentId) this.byKey.delete(key);
  }

  forgetAll(): void {
    this.byKey.clear();
  }
}
