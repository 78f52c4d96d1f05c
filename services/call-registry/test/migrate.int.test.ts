import { randomBytes } from 'node:crypto';
import { databaseUrl, TEST_DATABASE_ADMIN_URL } from '@switchboard/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../src/index.js';

describe('migrations', () => {
  const name = `sb_migrate_${randomBytes(4).toString('hex')}`;
  const url = databaseUrl(TEST_DATABASE_ADMIN_URL, name);
  let db: pg.Client;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
  });
  afterAll(async () => {
    await db?.end();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('apply once when replicas start together, and are recorded as Prisma records them', async () => {
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    expect(results.flat()).toEqual(readMigrations().map((m) => m.name));
    expect(await migrate(url)).toEqual([]);
    db = new pg.Client({ connectionString: url });
    await db.connect();
    const { rows } = await db.query(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations',
    );
    expect(rows).toEqual(
      readMigrations().map((m) => ({
        migration_name: m.name,
        checksum: m.checksum,
        finished_at: expect.any(Date),
        applied_steps_count: 1,
      })),
    );
    const agent = await db.query(`SELECT id, voice, model FROM agents WHERE id = 'default'`);
    expect(agent.rows).toEqual([{ id: 'default', voice: 'alloy', model: 'gpt-realtime' }]);
  });

  it('give every query the registry runs an index: none scans a table', async () => {
    await db.query('SET enable_seqscan = off');
    const plans = [
      `SELECT * FROM calls c WHERE c.call_sid = ANY('{CA1,CA2}'::text[])`,
      `SELECT * FROM agents WHERE id = ANY('{default,sales}'::text[])`,
      `SELECT * FROM calls ORDER BY id DESC LIMIT 51`,
      `SELECT * FROM calls WHERE id < 100 ORDER BY id DESC LIMIT 51`,
      `SELECT * FROM calls WHERE status = 'ringing' AND id < 100 ORDER BY id DESC LIMIT 51`,
      `SELECT * FROM transcript_segments WHERE call_sid = 'CA1' ORDER BY started_at, id`,
      `SELECT payload FROM call_events WHERE call_sid = 'CA1' AND kind IN ('status', 'stream') ORDER BY id`,
      `SELECT id FROM agents WHERE phone_number = '+15550001111' AND deleted_at IS NULL`,
      `SELECT * FROM agents WHERE id = 'a' AND deleted_at IS NULL`,
      `SELECT * FROM agents WHERE id > '' AND deleted_at IS NULL ORDER BY id LIMIT 51`,
      `SELECT c.*, EXISTS (SELECT 1 FROM call_events e WHERE e.call_sid = c.call_sid AND e.kind IN ('status', 'stream'))
         FROM calls c JOIN agents a ON a.id = c.agent_id WHERE c.call_sid = 'CA1'`,
      // Issue 11: recordings and machine detection.
      `SELECT * FROM call_recordings WHERE recording_sid = 'RE1'`,
      `SELECT * FROM call_recordings WHERE call_sid = 'CA1'`,
      `SELECT c.id FROM calls c, call_recordings r WHERE r.recording_sid = 'RE1' AND c.call_sid = r.call_sid`,
      `SELECT machine_detection, voicemail_message FROM calls WHERE call_sid = 'CA1'`,
    ];
    for (const query of plans) {
      const { rows } = await db.query(`EXPLAIN ${query}`);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan, query).not.toMatch(
        /Seq Scan on (calls|transcript_segments|call_events|agents|call_recordings)/,
      );
    }
  });
});
