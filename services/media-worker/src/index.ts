export { AgentActions } from './bridge/agent-actions.js';
export {
  END_CALL_TOOL,
  END_CALL_TOOL_NAME,
  SEND_DTMF_TOOL,
  SEND_DTMF_TOOL_NAME,
  TRANSFER_CALL_TOOL_NAME,
  toolsFor,
  transferCallTool,
} from './bridge/built-in-tools.js';
export { type BridgeOptions, CallBridge } from './bridge/call-bridge.js';
export { DTMF_GAP_MS, DTMF_TONE_MS, dtmfChunks } from './bridge/dtmf-tones.js';
export { STREAM_ENDINGS } from './bridge/endings.js';
export {
  fillerResponse,
  goodbyeResponse,
  greetingResponse,
  keypadItem,
  repromptResponse,
  sayResponse,
  transferFailedResponse,
} from './bridge/prompts.js';
export { sessionUpdateFor } from './bridge/session-config.js';
export { TIMERS, type TimerName } from './bridge/timers.js';
export type { BridgeInput, BridgeOutput } from './bridge/types.js';
export { ConfigError, loadConfig, SETTINGS, type WorkerConfig } from './config.js';
export { ANNOUNCE_INTERVAL_MS, WORKER_LEASE_MS } from './placement/announcer.js';
export { NO_RESERVATION_HOOKS, type ReservationHooks } from './placement/reservation-hooks.js';
export { type ReserveOutcome, SlotBook, type StartOutcome } from './placement/slot-book.js';
export { type SlotRelease, WorkerSlots } from './placement/worker-slots.js';
export { MEDIA_STREAM_PATH } from './server.js';
export { startWorker, type Worker, type WorkerDeps } from './worker.js';
