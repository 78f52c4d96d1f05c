// The webhook-gateway process: settings from the environment, then the service, stopped on SIGINT/SIGTERM.
// Signals, exit codes and start failures are handled by runService, as in every service.
import { GATEWAY_SERVICE_NAME } from '@switchboard/contracts';
import { runService } from '@switchboard/process';
import { loadConfig } from './config.js';
import { startGateway } from './gateway.js';

await runService({
  name: GATEWAY_SERVICE_NAME,
  loadConfig,
  async start(config, log) {
    const gateway = await startGateway({ config, log });
    // Stops accepting, finishes the requests in flight (up to SHUTDOWN_TIMEOUT_MS), drains NATS.
    return { stop: () => gateway.close() };
  },
});
