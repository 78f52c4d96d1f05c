import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The first folder above `path` that other users cannot enter (no execute bit for others), if any. As root,
 * the embedded PostgreSQL runs as the `postgres` system user, which needs to reach both its binaries (in
 * node_modules) and its data folder: a checkout under /root, say, is out of its reach.
 */
export function folderOthersCannotEnter(path: string): string | undefined {
  for (let at = dirname(path); ; at = dirname(at)) {
    if (existsSync(at) && (statSync(at).mode & 0o001) === 0) return at;
    if (dirname(at) === at) return undefined;
  }
}
