export { fullAgent } from './agents.js';
export { type CapturedLog, captureLog, type LogLine } from './captured-log.js';
export {
  createTestDatabase,
  databaseUrl,
  TEST_DATABASE_ADMIN_URL,
  type TestDatabase,
  type TestDatabaseOptions,
} from './database.js';
export { decodeMulaw, detectDtmf, dtmfKeys, goertzelPower, type HeardTone, keyOf } from './dtmf-detector.js';
export { eventually, until } from './eventually.js';
export {
  DEFAULT_FAKE_RESPONSE,
  FAKE_OPENAI_API_KEY,
  type FakeRealtimeDelays,
  type FakeRealtimeOptions,
  FakeRealtimeServer,
  REALISTIC_REALTIME_DELAYS,
  SILENCE_20MS,
} from './fake-realtime-server.js';
export {
  type FakeFunctionCall,
  FakeRealtimeSession,
  type FakeResponseScript,
} from './fake-realtime-session.js';
export { type FakeTwilioRecording, newRecordingSid } from './fake-twilio-recordings.js';
export {
  type FakeTwilioCall,
  FakeTwilioRest,
  type FakeTwilioRestOptions,
  type RecordedTwilioRequest,
  type TwilioErrorReply,
} from './fake-twilio-rest.js';
export { type DeliveredWebhook, TwilioWebhooks } from './fake-twilio-webhooks.js';
export { mutated, nastyJson, nastyString } from './fuzz.js';
export { type ClusterNode, type NatsClusterOptions, TestNatsCluster } from './nats-cluster.js';
export { NATS_SERVER_BINARY, type NatsServerOptions, TestNatsServer } from './nats-server.js';
export { freePort, waitForPort } from './ports.js';
export { metricValue } from './prometheus.js';
export { type SseFrame, SseReader } from './sse-reader.js';
export { TcpProxy } from './tcp-proxy.js';
export {
  ToolServer,
  type ToolServerHandler,
  type ToolServerReply,
  type ToolServerRequest,
} from './tool-server.js';
export { newCallSid } from './twilio-ids.js';
export {
  TwilioMediaClient,
  type TwilioMediaClientOptions,
  UpgradeRefusedError,
} from './twilio-media-client.js';
export {
  type SignedTwilioRequest,
  signedTwilioRequest,
  type TwilioParams,
  twilioFormBody,
  twilioSignature,
} from './twilio-signature.js';
