import pg from 'pg';
import type { BatchFigures } from './report.js';

/** The registry's pool connections, as PostgreSQL itself counts them. */
export class ConnectionSampler {
  /** Most connections seen at once since start. */
  max = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly database: string,
    private readonly applicationName: string,
  ) {}

  static async start(
    url: string,
    database: string,
    applicationName: string,
    everyMs: number,
  ): Promise<ConnectionSampler> {
    const client = new pg.Client({ connectionString: url, application_name: 'switchboard-bench-probe' });
    await client.connect();
    const sampler = new ConnectionSampler(client, database, applicationName);
    await sampler.sample();
    sampler.timer = setInterval(() => void sampler.sample(), everyMs);
    return sampler;
  }

  /** Backends connected to one of `databases` under one of `applicationNames`, to measure their CPU. */
  async backendPids(databases: readonly string[], applicationNames: readonly string[]): Promise<number[]> {
    const { rows } = await this.client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[]) AND application_name = ANY($2::text[])',
      [databases, applicationNames],
    );
    return rows.map((r) => r.pid);
  }

  private async sample(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      const { rows } = await this.client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
        [this.database, this.applicationName],
      );
      this.max = Math.max(this.max, rows[0]?.n ?? 0);
      this.samples++;
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.busy) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.client.end();
  }
}

/**
 * From the registry's `/metrics`: its batched lookup queries (`registry_lookup_batch_size`) and how long it
 * took to answer `call.bySid` from its own point of view (`registry_request_duration_seconds`, from taking
 * the message to sending the reply: batch wait, query and encoding, but not NATS or the caller).
 */
export async function readRegistryFigures(httpPort: number): Promise<BatchFigures> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const answeredWithin: [number, number][] = [];
  for (const [, labels = '', count] of text.matchAll(
    /^registry_request_duration_seconds_bucket\{([^}]*)\} (\S+)$/gm,
  )) {
    if (!labels.includes('endpoint="bySid"') || !labels.includes('outcome="ok"')) continue;
    const le = /le="([^"]+)"/.exec(labels)?.[1] ?? '';
    answeredWithin.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le) * 1_000, Number(count)]);
  }
  return {
    queries: value('registry_lookup_batch_size_count'),
    sids: value('registry_lookup_batch_size_sum'),
    answeredWithin,
  };
}

/** The figures gathered between two readings. */
export function figuresSince(before: BatchFigures, after: BatchFigures): BatchFigures {
  return {
    queries: after.queries - before.queries,
    sids: after.sids - before.sids,
    answeredWithin: after.answeredWithin.map(([le, n]) => [
      le,
      n - (before.answeredWithin.find(([l]) => l === le)?.[1] ?? 0),
    ]),
  };
}
