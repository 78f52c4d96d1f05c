import { readFileSync } from 'node:fs';
import { eventually, type TestDatabase } from '@switchboard/testkit';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPool, KEEP_ALIVE_INITIAL_DELAY_MS, warmPool } from '../src/db/pool.js';
import { log, testDatabase } from './support.js';

/** /proc/net/tcp counts timers in USER_HZ ticks, 100 a second on Linux. */
const TICKS_PER_SECOND = 100;
const KEEP_ALIVE_TIMER = '02';

/**
 * The kernel's timer on this machine's TCP connection from local port `port`: its kind (`02` keep-alive,
 * `00` none) and when it fires, in ms. From /proc/net/tcp{,6}: `local rem st queues tr:when …`.
 */
function tcpTimer(port: number): { kind: string; inMs: number } | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , , , timer] = line.trim().split(/\s+/);
      if (!local?.endsWith(`:${hexPort}`) || !timer) continue;
      const [kind = '', when = '0'] = timer.split(':');
      return { kind, inMs: (Number.parseInt(when, 16) / TICKS_PER_SECOND) * 1_000 };
    }
  }
  return undefined;
}

describe('the registry pool', () => {
  let db: TestDatabase;
  let pool: pg.Pool | undefined;
  const poolWith = (env: Record<string, string>) => {
    pool = createPool(loadConfig({ DATABASE_URL: db.url, ...env }).db, log);
    return pool;
  };

  beforeAll(async () => {
    db = await testDatabase();
  });
  afterEach(async () => {
    await pool?.end();
    pool = undefined;
  });
  afterAll(() => db?.drop());

  it('keeps TCP keep-alive on its connections, the first probe KEEP_ALIVE_INITIAL_DELAY_MS after going idle', async () => {
    const client = await poolWith({}).connect();
    try {
      const { rows } = await client.query<{ port: number }>('SELECT inet_client_port() AS port');
      const port = rows[0]?.port ?? 0;
      // Right after a query the socket may still wait for an ACK (a retransmit timer); then it idles.
      const timer = await eventually(
        async () => tcpTimer(port),
        (t) => t?.kind === KEEP_ALIVE_TIMER,
        5_000,
      );
      expect(timer?.inMs).toBeGreaterThan(0);
      // The kernel's own default is two hours; ours is well inside the idle cut-offs of NATs and poolers.
      expect(timer?.inMs).toBeLessThanOrEqual(KEEP_ALIVE_INITIAL_DELAY_MS);
    } finally {
      client.release();
    }
  });

  it('closes connections idle for DB_IDLE_TIMEOUT_MS, down to DB_POOL_MIN', async () => {
    const idleMs = 300;
    const p = poolWith({ DB_IDLE_TIMEOUT_MS: String(idleMs), DB_POOL_MIN: '1', DB_POOL_MAX: '4' });
    await warmPool(p, 4);
    expect(p.totalCount).toBe(4);
    // node-postgres' own default idle timeout is 10 s: without the setting, nothing closes here.
    await eventually(
      async () => p.totalCount,
      (n) => n === 1,
      3_000,
    );
    expect(p.idleCount).toBe(1);
  });

  it('sets the server-side statement_timeout to DB_STATEMENT_TIMEOUT_MS', async () => {
    const p = poolWith({ DB_STATEMENT_TIMEOUT_MS: '200' });
    const { rows } = await p.query<{ statement_timeout: string }>('SHOW statement_timeout');
    expect(rows[0]?.statement_timeout).toBe('200ms');
    // PostgreSQL cancels the statement itself (57014), well before the client's own query timeout.
    await expect(p.query('SELECT pg_sleep(1)')).rejects.toMatchObject({ code: '57014' });
  });
});
