import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where `pnpm build` (vite, `build:app`) writes the console's static files: `index.html` and `assets/`.
 * The same folder whether this module runs from `src/` (tests) or `dist/` (a build or a deployed image).
 */
export const CONSOLE_ASSETS_DIR: string = fileURLToPath(new URL('../dist/app/', import.meta.url));

/** The console's page, into which the gateway serves nothing of its own: every route answers it. */
export const CONSOLE_INDEX_FILE: string = `${CONSOLE_ASSETS_DIR}index.html`;

/** Whether the console has been built (the gateway serves a 503 that says so when it has not). */
export function consoleBuilt(): boolean {
  return existsSync(CONSOLE_INDEX_FILE);
}
