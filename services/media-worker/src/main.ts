import { createLogger } from '@switchboard/logger';
import { ConfigError, loadConfig } from './config.js';
import { SERVICE_NAME, startWorker } from './worker.js';

/** The only module that touches the process: environment, signals, exit code. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
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
  console.error(err);
  process.exit(1);
});
