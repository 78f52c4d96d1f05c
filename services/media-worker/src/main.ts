import { createLogger } from '@switchboard/logger';
import { ConfigError, loadConfig } from './config.js';
import { SERVICE_NAME, startWorker } from './worker.js';

const bootLog = createLogger({ name: SERVICE_NAME });

/** The only module that touches the process: environment, signals, exit code. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger({ name: SERVICE_NAME, level: config.logLevel });
  if (config.twilio.skipSignature) {
    log.warn('TWILIO_SKIP_SIGNATURE=true: media streams are accepted without checking X-Twilio-Signature');
  }
  const worker = await startWorker({ config, log });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: closing live streams now');
      void worker.close().then(() => process.exit(0));
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    void worker
      .drain()
      .then(() => worker.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) bootLog.fatal({ problems: err.message }, 'invalid configuration');
  else bootLog.fatal({ err }, 'media worker failed to start');
  process.exit(1);
});
