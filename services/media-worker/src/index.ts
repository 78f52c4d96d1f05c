export { type BridgeOptions, CallBridge } from './bridge/call-bridge.js';
export { STREAM_ENDINGS } from './bridge/endings.js';
export {
  END_CALL_TOOL,
  END_CALL_TOOL_NAME,
  greetingResponse,
  sessionUpdateFor,
} from './bridge/session-config.js';
export { TIMERS, type TimerName } from './bridge/timers.js';
export type { BridgeInput, BridgeOutput } from './bridge/types.js';
export { ConfigError, loadConfig, SETTINGS, type WorkerConfig } from './config.js';
export { MEDIA_STREAM_PATH } from './server.js';
export { startWorker, type Worker, type WorkerDeps } from './worker.js';
