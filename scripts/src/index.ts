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
export { type DockerfilePlan, readDockerfile, withBuildArgs } from './dockerfile-plan.js';
