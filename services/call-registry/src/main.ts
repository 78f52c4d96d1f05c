// The call-registry process: reads the environment, starts the service, stops it on SIGINT/SIGTERM.
import { createLogger, redactUrl } from '@switchboard/logger';
import { ConfigError, loadConfig } from './config.js';
import { startRegistry } from './registry.js';

const config = (() => {
  try {
    return loadConfig(process.env);
  } catch (err) {
    const bootLog = createLogger({ name: 'call-registry' });
    if (err instanceof ConfigError) bootLog.fatal({ problems: err.message }, 'invalid configuration');
    else bootLog.fatal({ err }, 'call-registry failed to start');
    process.exit(1);
  }
})();
const log = createLogger({ name: 'call-registry', level: config.logLevel });
log.info(
  { database: redactUrl(config.db.connectionString), nats: config.nats.url },
  'call-registry starting',
);

const registry = await startRegistry({ config, log }).catch((err: unknown) => {
  log.fatal({ err }, 'call-registry failed to start');
  process.exit(1);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down');
    registry.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  });
}
