// `pnpm exec tsx scripts/check-compose.ts [env-file]`: validates docker-compose.yml against the compose
// specification's JSON schema after interpolating it with the env file (default .env, else .env.example),
// and checks its references. Exits 1 with the problems listed. No Docker engine needed.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkComposeFile, readEnvFile } from './src/compose-check.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const envFile = process.argv[2] ?? (existsSync(`${root}.env`) ? `${root}.env` : `${root}.env.example`);
const { errors } = checkComposeFile(`${root}docker-compose.yml`, { ...readEnvFile(envFile) }, root);
if (errors.length > 0) {
  console.error(`docker-compose.yml (with ${envFile}):\n  ${errors.join('\n  ')}`);
  process.exit(1);
}
console.log(`docker-compose.yml is valid against the compose specification (with ${envFile})`);
