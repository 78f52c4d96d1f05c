import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests create their databases on; CI and the dev machines run one on 127.0.0.1:5432. */
export const TEST_DATABASE_ADMIN_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabaseOptions {
  /** Names the migrated template; change it when the migrations change (a hash of them is ideal). */
  templateKey: string;
  /** Applies the schema to an empty database at `url`. Runs once per template, not per test. */
  migrate: (url: string) => Promise<void>;
  adminUrl?: string;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, migrated database of its own for a test file: cloned from a template that is migrated once
 * (under an advisory lock, so parallel workers build it once) and renamed into place only when complete.
 */
export async function createTestDatabase(options: TestDatabaseOptions): Promise<TestDatabase> {
  const adminUrl = options.adminUrl ?? TEST_DATABASE_ADMIN_URL;
  const template = `sb_tpl_${options.templateKey}`.slice(0, 63).toLowerCase();
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, async (admin) => {
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (!rowCount) {
        const building = `${template.slice(0, 50)}_${randomBytes(4).toString('hex')}`;
        await admin.query(`CREATE DATABASE "${building}"`);
        await options.migrate(databaseUrl(adminUrl, building));
        await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [template]);
    }
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  });
  const drop = () =>
    withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
      () => undefined,
    );
  return { name, url: databaseUrl(adminUrl, name), drop, [Symbol.asyncDispose]: drop };
}
