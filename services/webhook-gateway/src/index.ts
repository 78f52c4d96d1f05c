export { type AppDeps, BODY_LIMIT_BYTES, createApp } from './app.js';
export { ConfigError, type GatewayConfig, loadConfig, SETTINGS, type TwilioConfig } from './config.js';
export { TwilioError } from './errors.js';
export { type Gateway, type StartGatewayOptions, startGateway } from './gateway.js';
export { isValidTwilioSignature, signedUrl } from './signature.js';
export {
  type OutboundCaller,
  type PlaceCallRequest,
  type PlacedCall,
  twilioOutboundCaller,
} from './twilio-client.js';
export { apologyTwiml, connectStreamTwiml } from './twiml.js';
