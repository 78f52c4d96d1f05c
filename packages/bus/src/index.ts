export { type AgentChangeListener, watchAgentChanges } from './agent-changes.js';
export { type BusOptions, connectBus } from './connect.js';
export { type ConnectionState, connectionState } from './connection-state.js';
export { DeliveryPublisher, ensureDeliveriesStream } from './deliveries.js';
export { DEFAULT_DISCOVERY_WAIT_MS, discoverServices, type ServiceStats } from './discover.js';
export {
  type DurablePublishOptions,
  EventPublisher,
  type EventSink,
  type PublishOptions,
  publishDurably,
} from './jetstream.js';
export { respondWithError } from './reply.js';
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  type RegistryClient,
  type RequestOptions,
  registryClient,
  request,
} from './request.js';
export {
  backoffPauses,
  MIN_ATTEMPT_MS,
  type RetryOptions,
  type RetryPauses,
  requestPauses,
  UNAVAILABLE_PAUSE_MS,
  withRetry,
} from './retry.js';
export {
  EncodedReply,
  type EndpointHandler,
  type EndpointOptions,
  type Service,
  ServiceHost,
  type ServiceOptions,
  type ServingService,
} from './serve.js';
export type { AsyncEndpointFigures } from './stats.js';
export {
  CALL_EVENTS_DEFINITION,
  changedSettings,
  DUPLICATE_WINDOW_MS,
  type EnsureStreamOptions,
  ensureCallEventsStream,
  ensureStream,
  JETSTREAM_SETUP_BUDGET_MS,
  type StreamDefinition,
  whileJetStreamSettles,
} from './streams.js';
export { decodeJson, type Parsed, parseMessage } from './wire.js';
