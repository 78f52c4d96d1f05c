// The call-registry process: settings from the environment, then the service, stopped on SIGINT/SIGTERM.
// Signals, exit codes and start failures are handled by runService, as in every service.
import { REGISTRY_SERVICE_NAME } from '@switchboard/contracts';
import { redactUrl } from '@switchboard/logger';
import { runService } from '@switchboard/process';
import { loadConfig } from './config.js';
import { startRegistry } from './registry.js';

await runService({
  name: REGISTRY_SERVICE_NAME,
  loadConfig,
  async start(config, log) {
    log.info({ database: redactUrl(config.db.connectionString), nats: config.nats.url }, 'starting');
    const registry = await startRegistry({ config, log });
    // Stops taking requests, answers those in flight, acknowledges the events in hand, closes the pool.
    return { stop: () => registry.close() };
  },
});
