import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

/**
 * Validators for OpenAI Realtime events against OpenAI's own published JSON schemas (`RealtimeClientEvent`,
 * `RealtimeServerEvent` and the GA schemas they reach), vendored from the openai-openapi repository by
 * scripts/extract-openai-realtime-schemas.ts; `PUBLISHED_SOURCE` names the commit.
 *
 * Each event is checked twice: against the schema as published, and "closed": the same schema with every
 * object that names its properties refusing others (`unevaluatedProperties: false`). OpenAI's schemas leave
 * objects open, so a misspelt or beta-era field (`input_audio_format`) would pass the first check alone; the
 * second says it is a field OpenAI does not define.
 */

interface Fixture {
  source: { repository: string; commit: string; committedAt: string; version: string };
  $defs: Record<string, unknown>;
}

const fixture = JSON.parse(
  readFileSync(new URL('./openai-realtime-schemas.json', import.meta.url), 'utf8'),
) as Fixture;

export const PUBLISHED_SOURCE = fixture.source;

type SchemaNode = { [key: string]: unknown };
const isNode = (value: unknown): value is SchemaNode =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The schema with `unevaluatedProperties: false` on every object schema that lists `properties`. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!isNode(schema)) return schema;
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(schema)) {
    // enum/const/default hold data, not schemas; properties and $defs map names to schemas.
    if (key === 'enum' || key === 'const' || key === 'default') out[key] = value;
    else if ((key === 'properties' || key === '$defs') && isNode(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, closed(s)]));
    } else out[key] = closed(value);
  }
  if (isNode(schema.properties) && out.unevaluatedProperties === undefined) out.unevaluatedProperties = false;
  return out;
}

const OPEN_ID = 'https://switchboard.invalid/openai-realtime.json';
const CLOSED_ID = 'https://switchboard.invalid/openai-realtime-closed.json';

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
// The formats the vendored schemas use; none of them is in a field switchboard sends or reads.
ajv.addFormat('uri', { type: 'string', validate: (value: string) => URL.canParse(value) });
ajv.addFormat('double', { type: 'number', validate: (value: number) => Number.isFinite(value) });
ajv.addFormat('unixtime', { type: 'number', validate: (value: number) => Number.isInteger(value) });
ajv.addSchema({ $id: OPEN_ID, $defs: fixture.$defs });
ajv.addSchema({ $id: CLOSED_ID, $defs: closed(fixture.$defs) });

function validator(id: string, name: string): ValidateFunction {
  const validate = ajv.getSchema(`${id}#/$defs/${name}`);
  if (!validate) throw new Error(`no published schema ${name}`);
  return validate;
}

/** Published schema names of each event type, read from the schemas' own `type` enums. */
function byEventType(union: string): Map<string, string> {
  const members = (fixture.$defs[union] as { anyOf: Array<{ $ref: string }> }).anyOf;
  const map = new Map<string, string>();
  for (const { $ref } of members) {
    const name = $ref.slice('#/$defs/'.length);
    const type = (fixture.$defs[name] as { properties: { type: { enum: string[] } } }).properties.type;
    for (const value of type.enum) map.set(value, name);
  }
  return map;
}

export type EventSide = 'client' | 'server';
const UNIONS: Record<EventSide, string> = { client: 'RealtimeClientEvent', server: 'RealtimeServerEvent' };
const SCHEMA_OF: Record<EventSide, Map<string, string>> = {
  client: byEventType(UNIONS.client),
  server: byEventType(UNIONS.server),
};

/** The published schema name of a client or server event type (`session.update` → …SessionUpdate). */
export function publishedSchemaName(side: EventSide, type: string): string | undefined {
  return SCHEMA_OF[side].get(type);
}

const describeErrors = (errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);

/**
 * What is wrong with `event` as a `side` event by OpenAI's published schemas; empty when nothing is. It is
 * checked against its own event schema (for readable errors) and against the whole union, open and closed.
 */
export function publishedSchemaErrors(side: EventSide, event: unknown): string[] {
  const type = isNode(event) ? event.type : undefined;
  const name = typeof type === 'string' ? publishedSchemaName(side, type) : undefined;
  if (!name) return [`${String(type)} is not a published ${UNIONS[side]} type`];
  const problems: string[] = [];
  for (const [id, how] of [
    [OPEN_ID, 'published'],
    [CLOSED_ID, 'closed'],
  ] as const) {
    const own = validator(id, name);
    if (!own(event)) problems.push(...describeErrors(own.errors).map((e) => `${name} (${how}): ${e}`));
    const union = validator(id, UNIONS[side]);
    if (!union(event)) problems.push(`${UNIONS[side]} (${how}): no member accepts it`);
  }
  return [...new Set(problems)];
}
