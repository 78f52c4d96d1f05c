export {
  ASSETS,
  FRAME_BYTES,
  FRAME_MS,
  MULAW_SILENCE,
  mulawFrames,
  mulawRms,
  mulawToLinear,
  mulawWav,
  readMulawAu,
} from './audio.js';
export type { ManagedProcess } from './child-process.js';
export {
  COMPOSE_SPEC_SCHEMA_PATH,
  type ComposeCheck,
  type ComposeDocument,
  type ComposeService,
  checkComposeFile,
  readEnvFile,
  serviceEnvironment,
  validateAgainstSchema,
} from './compose-check.js';
export { interpolate, interpolateDocument } from './compose-interpolate.js';
export { type DemoCallOptions, type DemoCallResult, type DemoEvent, placeDemoCall } from './demo-call.js';
export { CallsApi, TwilioWebhooks } from './demo-webhooks.js';
export { type DockerfilePlan, readDockerfile, withBuildArgs } from './dockerfile-plan.js';
export { prepareEnv, readDotEnv, setInEnvFile } from './env-file.js';
export { ensureDatabase, natsReachable, tcpReachable } from './local-servers.js';
export { createLogPrinter, type LogPrinter } from './log-printer.js';
export {
  copyNative,
  installedNativeDir,
  type PostgresPlaces,
  postgresPlaces,
  SHARED_POSTGRES_ROOT,
} from './postgres-places.js';
export { folderOthersCannotEnter } from './reach.js';
export {
  type RealtimeSandbox,
  SANDBOX_GREETING_TRANSCRIPT,
  SANDBOX_REPLY_TRANSCRIPT,
  startRealtimeSandbox,
} from './realtime-sandbox.js';
export { type ServiceName, startService, waitUntilReady } from './services.js';
export { loadStackSettings, type StackSettings } from './stack-settings.js';
export { parseStreamTwiml, type StreamInstruction, sayText } from './twiml.js';
