// `pnpm db:migrate`: applies the migrations to DATABASE_URL. A composition root of its own, like main.ts.
import { createLogger, redactUrl } from '@switchboard/logger';
import { migrate } from './db/migrate.js';

const log = createLogger({ name: 'migrate' });
const url = process.env.DATABASE_URL;
if (!url) {
  log.fatal('DATABASE_URL is required');
  process.exit(1);
}
try {
  const applied = await migrate(url, log);
  log.info({ database: redactUrl(url), applied: applied.length }, 'database is up to date');
} catch (err) {
  log.fatal({ err }, 'migration failed');
  process.exit(1);
}
