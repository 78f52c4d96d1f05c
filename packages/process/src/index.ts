export { type HealthServerDeps, type MetricsSource, startHealthServer } from './health-server.js';
export {
  EXIT_FAILURE,
  EXIT_OK,
  exitCodeFor,
  type ProcessPort,
  type RunningService,
  type RunOptions,
  runService,
  type ServiceMain,
  STOP_SIGNALS,
  type StopSignal,
} from './run-service.js';
