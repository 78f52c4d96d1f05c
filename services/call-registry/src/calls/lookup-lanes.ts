import type pg from 'pg';

/** A query as the lookup path sends it. */
export type LaneQuery = pg.QueryConfig & { types?: pg.CustomTypesConfig };

export interface LookupLanesOptions {
  /** Most connections held at once: the rest of the registry keeps the others of the pool. */
  maxHeld: number;
  /** A held connection unused this long goes back to the pool. */
  idleReleaseMs: number;
}

/**
 * Connections the batched lookups keep checked out of the pool while lookups keep coming, one per batch in
 * flight. A batch's query then goes straight to its connection's socket, without the pool's work per query
 * (a `process.nextTick` and a timer set and cleared to take a connection, an idle timer to give it back):
 * with one lookup at a time, 1.24x the lookups per second and 0.80x the registry's CPU per lookup (medians
 * of five paired runs, test/bench/README.md).
 *
 * Connections still come from the one pool, so `DB_POOL_MAX` bounds them; a quiet registry gives them back.
 * A held connection that fails a query, or that the server ends while it is held, is never used again.
 */
export class LookupLanes {
  /** Held connections running nothing, each with when its last query ended; the newest last. */
  private readonly idle: { client: pg.PoolClient; usedAt: number }[] = [];
  /** Connections watched for their end already: one may be held, given back and held again. */
  private readonly watched = new WeakSet<pg.PoolClient>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: LookupLanesOptions,
  ) {
    this.sweeper = setInterval(() => this.releaseIdle(), options.idleReleaseMs).unref();
  }

  /** Held connections running no query right now. */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Runs `query` on a held connection, or on one taken from the pool when none is free. */
  query<R extends pg.QueryResultRow>(query: LaneQuery): Promise<pg.QueryResult<R>> {
    const held = this.idle.pop();
    return held === undefined ? this.queryOnNew(query) : this.run(held.client, query);
  }

  /** Gives every held connection back to the pool; queries still running give theirs back when done. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const { client } of this.idle.splice(0)) client.release();
  }

  private async queryOnNew<R extends pg.QueryResultRow>(query: LaneQuery): Promise<pg.QueryResult<R>> {
    const client = await this.pool.connect();
    if (!this.watched.has(client)) {
      this.watched.add(client);
      client.once('end', () => this.drop(client));
    }
    return this.run(client, query);
  }

  private async run<R extends pg.QueryResultRow>(
    client: pg.PoolClient,
    query: LaneQuery,
  ): Promise<pg.QueryResult<R>> {
    let result: pg.QueryResult<R>;
    try {
      result = await client.query<R>(query);
    } catch (err) {
      // The connection may be the cause (killed, timed out): the pool closes it and opens another.
      client.release(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    if (this.closed || this.idle.length >= this.options.maxHeld) client.release();
    else this.idle.push({ client, usedAt: performance.now() });
    return result;
  }

  /** A held connection the server ended: dropped at once rather than found dead by the next batch. */
  private drop(client: pg.PoolClient): void {
    const at = this.idle.findIndex((held) => held.client === client);
    if (at === -1) return;
    this.idle.splice(at, 1);
    client.release(new Error('connection ended while held for lookups'));
  }

  private releaseIdle(): void {
    const usedBefore = performance.now() - this.options.idleReleaseMs;
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const held = this.idle[i] as { client: pg.PoolClient; usedAt: number };
      if (held.usedAt > usedBefore) continue;
      this.idle.splice(i, 1);
      held.client.release();
    }
  }
}
