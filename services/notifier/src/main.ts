// The notifier process: settings from the environment, then the service, stopped on SIGINT/SIGTERM.
// Signals, exit codes and start failures are handled by runService, as in every service.
import { NOTIFIER_SERVICE_NAME } from '@switchboard/contracts';
import { runService } from '@switchboard/process';
import { loadConfig } from './config.js';
import { startNotifier } from './notifier.js';

await runService({
  name: NOTIFIER_SERVICE_NAME,
  loadConfig,
  async start(config, log) {
    log.info({ nats: config.nats.url }, 'starting');
    const notifier = await startNotifier({ config, log });
    // Stops pulling, finishes the attempts and events in hand (they are acknowledged or go back), drains NATS.
    return { stop: () => notifier.close() };
  },
});
