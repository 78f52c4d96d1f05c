export { type BusOptions, connectBus, DEFAULT_NATS_URL } from './connect.js';
export {
  DUPLICATE_WINDOW_MS,
  EventPublisher,
  ensureCallEventsStream,
  type PublishOptions,
} from './jetstream.js';
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  type RegistryClient,
  type RequestOptions,
  registryClient,
  request,
} from './request.js';
export {
  EncodedReply,
  type EndpointHandler,
  type EndpointOptions,
  type Service,
  ServiceHost,
  type ServiceOptions,
  type ServingService,
} from './serve.js';
export { decodeJson, ERROR_CODE_HEADER, ERROR_HEADER } from './wire.js';
