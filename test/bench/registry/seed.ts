import { migrate } from '@switchboard/call-registry';
import { databaseUrl } from '@switchboard/testkit';
import pg from 'pg';
import { seededSid } from './sids.js';

// One statement: a mix of directions and statuses, every call on the default agent, ended calls with
// their answered/ended times and duration, created one second apart from a fixed day.
const SEED_CALLS = `
INSERT INTO calls (call_sid, direction, from_number, to_number, status, agent_id,
                   created_at, updated_at, answered_at, ended_at, duration_seconds)
SELECT 'CA' || md5(i::text),
       (CASE WHEN i % 3 = 0 THEN 'outbound' ELSE 'inbound' END)::call_direction,
       '+1555' || lpad((i % 10000000)::text, 7, '0'),
       '+1800555' || lpad((i % 10000)::text, 4, '0'),
       s.status,
       'default',
       t.created, t.created + interval '1 minute',
       CASE WHEN s.status = 'completed' THEN t.created + interval '5 seconds' END,
       CASE WHEN s.status = 'completed' THEN t.created + interval '1 minute' END,
       CASE WHEN s.status = 'completed' THEN 55 END
FROM generate_series(1, $1::int) AS i,
     LATERAL (SELECT timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second' AS created) AS t,
     LATERAL (SELECT (CASE WHEN i % 10 < 8 THEN 'completed' WHEN i % 10 = 8 THEN 'no-answer'
                           ELSE 'in-progress' END)::call_status AS status) AS s`;

export interface SeedOutcome {
  url: string;
  /** Whether this run seeded it (false: the table already held exactly `calls` seeded calls). */
  seeded: boolean;
  seedMs: number;
}

/**
 * A migrated database `name` holding exactly `calls` seeded calls. Kept between runs: when the table
 * already holds them (and `reseed` is false) nothing is written.
 */
export async function ensureSeededDatabase(
  adminUrl: string,
  name: string,
  calls: number,
  reseed: boolean,
): Promise<SeedOutcome> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(adminUrl, name);
  await migrate(url);

  const db = new pg.Client({ connectionString: url, application_name: 'switchboard-bench-seed' });
  await db.connect();
  try {
    if (!reseed && (await holdsSeed(db, calls))) return { url, seeded: false, seedMs: 0 };
    const started = performance.now();
    await db.query('TRUNCATE calls, call_events, transcript_segments RESTART IDENTITY');
    await db.query(SEED_CALLS, [calls]);
    await db.query('VACUUM ANALYZE calls');
    return { url, seeded: true, seedMs: performance.now() - started };
  } finally {
    await db.end();
  }
}

async function holdsSeed(db: pg.Client, calls: number): Promise<boolean> {
  const { rows } = await db.query<{ n: number; first: boolean; last: boolean }>(
    `SELECT count(*)::int AS n,
            bool_or(call_sid = $1) AS first,
            bool_or(call_sid = $2) AS last
       FROM calls`,
    [seededSid(1), seededSid(calls)],
  );
  const row = rows[0];
  return row !== undefined && row.n === calls && row.first && row.last;
}
