export { type AppDeps, BATCH_BODY_LIMIT_BYTES, BODY_LIMIT_BYTES, createApp } from './app.js';
export { ensureBatchWork } from './batches/dispatcher.js';
export { ConfigError, type GatewayConfig, loadConfig, SETTINGS, type TwilioConfig } from './config.js';
export { TwilioError } from './errors.js';
export { type Gateway, type StartGatewayOptions, startGateway } from './gateway.js';
export { type PlaceCall, Placement, type Placer, workerReserveSpec } from './placement/placement.js';
export { WorkerDirectory } from './placement/worker-directory.js';
export { isValidTwilioSignature, signedUrl } from './signature.js';
export {
  type PlaceCallRequest,
  type PlacedCall,
  type TwilioCalls,
  twilioCalls,
} from './twilio-client.js';
export {
  apologyTwiml,
  connectStreamTwiml,
  DIAL_RESULT_PATH,
  dialTwiml,
  hangupTwiml,
  STREAM_ENDED_PATH,
  STREAM_FAILED_MESSAGE,
} from './twiml.js';
