import { createLogger } from '@switchboard/logger';
import { ConfigError, loadConfig } from './config.js';
import { startGateway } from './gateway.js';

const bootLog = createLogger({ name: 'webhook-gateway' });

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger({ name: 'webhook-gateway', level: config.logLevel });
  const gateway = await startGateway({ config, log });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'signal received, shutting down');
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) bootLog.fatal({ problems: err.message }, 'invalid configuration');
  else bootLog.fatal({ err }, 'webhook gateway failed to start');
  process.exit(1);
});
