import type pg from 'pg';

/**
 * Runs `fn` in a transaction on one pooled client; rolls back on any error and always returns the client.
 * `begin` may ask for more (`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`: one snapshot for every read).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError; // the connection is gone: don't hand it back to the pool
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
