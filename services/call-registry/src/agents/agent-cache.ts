import type pg from 'pg';
import { type AgentRow, toAgent } from '../calls/call-row.js';
import { withDbRetry } from '../db/retry.js';

/**
 * A cached agent older than this is read again on its next use. Replicas learn of changes from each other
 * at once (`AgentChanges`); this bounds how stale an agent can be if such a notice was ever lost.
 */
export const AGENT_CACHE_MAX_AGE_MS = 60_000;

const AGENTS_BY_IDS = {
  name: 'agents_by_ids',
  text: `SELECT id, phone_number AS "phoneNumber", instructions, voice, model, greeting, settings
         FROM agents WHERE id = ANY($1::text[])`,
};

interface Entry {
  json: string;
  loadedAt: number;
}

/**
 * The agents of the calls being looked up, each held as the JSON its calls carry, so a lookup reads the
 * call alone and the agent's part of the reply is encoded once per agent version. The registry is the only
 * writer of agents: a write through any replica invalidates the entry on every replica (`AgentChanges`).
 */
export class AgentCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every invalidation: a read that began before one leaves the cache as it is. */
  private epoch = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly maxAgeMs = AGENT_CACHE_MAX_AGE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The agent's JSON, if it is held and fresh. */
  cached(id: string): string | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (this.now() - entry.loadedAt <= this.maxAgeMs) return entry.json;
    this.entries.delete(id);
    return undefined;
  }

  /** Reads agents in one query and returns their JSON; holds them unless an invalidation came meanwhile. */
  async load(ids: readonly string[]): Promise<Map<string, string>> {
    const epoch = this.epoch;
    const { rows } = await withDbRetry(() => this.pool.query<AgentRow>({ ...AGENTS_BY_IDS, values: [ids] }));
    const loadedAt = this.now();
    const found = new Map<string, string>();
    for (const row of rows) {
      const json = JSON.stringify(toAgent(row));
      found.set(row.id, json);
      if (epoch === this.epoch) this.entries.set(row.id, { json, loadedAt });
    }
    return found;
  }

  /** Forgets one agent: it changed. */
  invalidate(id: string): void {
    this.epoch++;
    this.entries.delete(id);
  }

  /** Forgets every agent: changes may have gone unheard (the NATS connection was down). */
  clear(): void {
    this.epoch++;
    this.entries.clear();
  }
}
