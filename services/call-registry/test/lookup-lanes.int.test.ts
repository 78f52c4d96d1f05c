import { eventually, type TestDatabase } from '@switchboard/testkit';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LookupLanes } from '../src/calls/lookup-lanes.js';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { log, testDatabase } from './support.js';

const BACKEND = { text: 'SELECT pg_backend_pid() AS pid' };

describe('lookup lanes', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let lanes: LookupLanes | undefined;
  const lanesWith = (maxHeld: number, idleReleaseMs = 60_000) => {
    lanes = new LookupLanes(pool, { maxHeld, idleReleaseMs });
    return lanes;
  };
  const backend = async (on: LookupLanes) => (await on.query<{ pid: number }>(BACKEND)).rows[0]?.pid;

  beforeAll(async () => {
    db = await testDatabase();
  });
  afterEach(async () => {
    lanes?.close();
    lanes = undefined;
    await pool?.end();
  });
  afterAll(() => db?.drop());

  const freshPool = (max: number) => {
    pool = createPool(
      loadConfig({ DATABASE_URL: db.url, DB_POOL_MAX: String(max), DB_POOL_MIN: '0' }).db,
      log,
    );
    return pool;
  };

  it('keeps one connection checked out for queries one after the other, and gives it back on close', async () => {
    freshPool(4);
    const on = lanesWith(2);
    const first = await backend(on);
    expect(await backend(on)).toBe(first);
    expect(await backend(on)).toBe(first);
    expect(pool.totalCount - pool.idleCount).toBe(1);
    on.close();
    expect(pool.idleCount).toBe(pool.totalCount);
  });

  it('holds no more than maxHeld connections after queries at once, whatever ran', async () => {
    freshPool(6);
    const on = lanesWith(2);
    const pids = await Promise.all(Array.from({ length: 4 }, () => backend(on)));
    expect(new Set(pids).size).toBe(4);
    expect(pool.totalCount).toBe(4);
    expect(pool.totalCount - pool.idleCount).toBe(2);
  });

  it('gives held connections back to the pool once unused for idleReleaseMs', async () => {
    freshPool(4);
    const on = lanesWith(2, 100);
    await backend(on);
    expect(pool.idleCount).toBe(0);
    await eventually(
      async () => pool.idleCount,
      (idle) => idle === pool.totalCount,
      3_000,
    );
  });

  it('drops a held connection the server ends, and the next query runs on a new one', async () => {
    freshPool(4);
    const on = lanesWith(2);
    const killed = await backend(on);
    await pool.query('SELECT pg_terminate_backend($1)', [killed]);
    // The lane hears of the end (its socket closes) and forgets the connection before it is asked again.
    await eventually(
      async () => pool.totalCount,
      (total) => total === 1,
      3_000,
    );
    const next = await backend(on);
    expect(next).not.toBe(killed);
  });

  it('never reuses a connection whose query failed', async () => {
    freshPool(4);
    const on = lanesWith(2);
    const before = await backend(on);
    await expect(on.query({ text: 'SELECT 1/0' })).rejects.toThrow(/division by zero/);
    expect(await backend(on)).not.toBe(before);
  });
});
