// `pnpm exec tsx scripts/extract-openai-realtime-schemas.ts <openai-openapi git dir> [commit]`: vendors the
// JSON schemas of OpenAI's Realtime events from OpenAI's published OpenAPI document (the repository
// github.com/openai/openai-openapi, file openapi.json) into test/contracts/openai-realtime-schemas.json, for
// the test that checks every Realtime event switchboard sends, and every one its fake sends, against them.
//
// What is kept: `RealtimeClientEvent`, `RealtimeServerEvent` and every schema they reach, unchanged in what
// they accept. What changes: `#/components/schemas/X` references become `#/$defs/X` (all of them resolve in
// the file; the script fails otherwise); annotations a validator does not use are dropped (`description`,
// `example(s)`, `x-*` vendor extensions, and OpenAPI's `discriminator`, a hint beside the anyOf/oneOf that
// decides); OpenAPI 3.0's `nullable: true`, left in this 3.1 document, becomes JSON Schema's
// `anyOf: [schema, {type: null}]`.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

const ROOTS = ['RealtimeClientEvent', 'RealtimeServerEvent'];
const REF_PREFIX = '#/components/schemas/';
const DROPPED = new Set(['description', 'example', 'examples', 'discriminator']);
/** Keywords whose value is a schema, an array of schemas, or a map of schemas (JSON Schema 2020-12). */
const SCHEMA_VALUED = new Set([
  'items',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
]);
const SCHEMA_LISTS = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems']);
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'dependentSchemas', '$defs']);

const isObject = (value: Json | undefined): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One schema, cleaned as described above; `refs` collects the component names it references. */
function clean(schema: Json, refs: Set<string>): Json {
  if (!isObject(schema)) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key) || key.startsWith('x-') || key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string') {
      if (!value.startsWith(REF_PREFIX)) throw new Error(`unexpected $ref ${value}`);
      const name = value.slice(REF_PREFIX.length);
      refs.add(name);
      out[key] = `#/$defs/${name}`;
    } else if (SCHEMA_VALUED.has(key)) out[key] = clean(value, refs);
    else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) out[key] = value.map((s) => clean(s, refs));
    else if (SCHEMA_MAPS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, clean(s, refs)]));
    } else out[key] = value;
  }
  return schema.nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

function extractRealtimeSchemas(openapi: Schema): Record<string, Json> {
  const components = (openapi.components as Schema | undefined)?.schemas;
  if (!isObject(components)) throw new Error('no components.schemas in the document');
  const defs: Record<string, Json> = {};
  const todo = [...ROOTS];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (name in defs) continue;
    const schema = components[name];
    if (schema === undefined) throw new Error(`$ref to a missing schema: ${name}`);
    const refs = new Set<string>();
    defs[name] = clean(schema, refs);
    todo.push(...refs);
  }
  return Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b)));
}

function main(): void {
  const [gitDir, rev = 'HEAD'] = process.argv.slice(2);
  if (!gitDir) {
    console.error('usage: extract-openai-realtime-schemas.ts <openai-openapi git dir> [commit]');
    process.exit(2);
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const commit = git('rev-parse', `${rev}^{commit}`).trim();
  const openapi = JSON.parse(git('show', `${commit}:openapi.json`)) as Schema;
  const fixture = {
    source: {
      repository: 'https://github.com/openai/openai-openapi',
      commit,
      committedAt: git('log', '-1', '--format=%cI', commit).trim(),
      path: 'openapi.json',
      openapi: openapi.openapi ?? null,
      version: (openapi.info as Schema | undefined)?.version ?? null,
      extractedBy: 'scripts/extract-openai-realtime-schemas.ts',
    },
    $defs: extractRealtimeSchemas(openapi),
  };
  const root = fileURLToPath(new URL('..', import.meta.url));
  const out = `${root}test/contracts/openai-realtime-schemas.json`;
  writeFileSync(out, `${JSON.stringify(fixture, null, 2)}\n`);
  execFileSync(`${root}node_modules/.bin/biome`, ['format', '--write', out], { stdio: 'inherit' });
  console.log(`${Object.keys(fixture.$defs).length} schemas from openai-openapi@${commit} written to ${out}`);
}

main();
