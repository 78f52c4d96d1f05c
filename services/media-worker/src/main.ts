// The media-worker process: settings from the environment, then the service, stopped on SIGINT/SIGTERM.
// Signals, exit codes and start failures are handled by runService, as in every service.
import { WORKER_SERVICE_NAME } from '@switchboard/contracts';
import { runService } from '@switchboard/process';
import { loadConfig } from './config.js';
import { startWorker } from './worker.js';

await runService({
  name: WORKER_SERVICE_NAME,
  loadConfig,
  async start(config, log) {
    if (config.twilio.skipSignature) {
      log.warn('TWILIO_SKIP_SIGNATURE=true: media streams are accepted without checking X-Twilio-Signature');
    }
    const worker = await startWorker({ config, log });
    return {
      // The first signal drains: no new streams, live calls go on up to DRAIN_TIMEOUT_MS.
      stop: async () => {
        await worker.drain();
        await worker.close();
      },
      // A second one closes the live streams now.
      stopNow: () => worker.close(),
    };
  },
});
