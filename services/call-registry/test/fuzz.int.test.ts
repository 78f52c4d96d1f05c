import { ENDPOINTS } from '@switchboard/contracts';
import { captureLog, fullAgent, newCallSid } from '@switchboard/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RegistryStack, startRegistryStack } from './testing.js';

// Issue 10, "Bad input": whatever a client sends the registry's subjects, the answer is never a 500 and the
// registry logs no error. PostgreSQL refuses NUL in text and NUL or a lone surrogate in jsonb, so those (and
// every other control character in a name or number) must be refused by the contracts first.

/** Strings as an attacker picks them: any code point, and the ones that break databases and terminals. */
export const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '',
    '\u0000',
    '+1555\u00001230000',
    '\ud800',
    'x\udc00y',
    '\u001b[31mred',
    '\u202eevil',
    '%00',
    "'; DROP TABLE agents; --",
    '+15551230000',
    'CA0123456789abcdef0123456789abcdef',
    'default',
    'sip:desk@pbx.example.com',
    'https://tools.example.com/x',
  ),
);

/** Any JSON value, with nasty strings in it. */
const nastyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nastyString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nastyString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A valid request with one field replaced by something nasty (or removed, or an unknown field added). */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  const added = fc
    .record({ key: nastyString, value: nastyJson })
    .map(({ key, value }) => ({ ...valid, [key]: value }));
  if (keys.length === 0) return fc.oneof(fc.constant(valid), added);
  return fc.oneof(
    fc
      .record({ key: fc.constantFrom(...keys), value: nastyJson })
      .map(({ key, value }) => ({ ...valid, [key]: value })),
    fc
      .record({ key: fc.constantFrom(...keys), value: nastyString })
      .map(({ key, value }) => ({ ...valid, [key]: value })),
    fc.constantFrom(...keys).map((key) => {
      const { [key]: _gone, ...rest } = valid;
      return rest;
    }),
    added,
  );
}

const agentFields = (): Record<string, unknown> => {
  const { id: _id, ...fields } = fullAgent('fuzzed');
  return fields;
};

/** For each subject: payloads near a valid request, and anything at all. */
const PAYLOADS: Record<string, fc.Arbitrary<unknown>> = {
  [ENDPOINTS.callBySid.subject]: mutated({ callSid: newCallSid() }),
  [ENDPOINTS.callCreate.subject]: mutated({
    callSid: newCallSid(),
    direction: 'inbound',
    from: '+15551230000',
    to: '+15559870000',
    status: 'ringing',
    agentId: 'default',
  }),
  [ENDPOINTS.callList.subject]: mutated({ limit: 5, cursor: 'YzE6MTA', status: 'ringing' }),
  [ENDPOINTS.callTranscript.subject]: mutated({ callSid: newCallSid() }),
  [ENDPOINTS.agentUpsert.subject]: mutated({ id: 'fuzzed', ...agentFields() }),
  [ENDPOINTS.agentPut.subject]: fc.oneof(
    mutated({ id: 'fuzzed', ...agentFields() }).map((agent) => ({ agent })),
    mutated({ agent: { id: 'fuzzed', ...agentFields() } }),
  ),
  [ENDPOINTS.agentGet.subject]: mutated({ id: 'fuzzed' }),
  [ENDPOINTS.agentList.subject]: mutated({ limit: 3, cursor: 'a' }),
  [ENDPOINTS.agentDelete.subject]: mutated({ id: 'fuzzed-other' }),
  [ENDPOINTS.registryHealth.subject]: mutated({}),
};

describe('the registry under fuzzed requests', () => {
  const captured = captureLog('registry-fuzz', 'info');
  let stack: RegistryStack;
  beforeAll(async () => {
    stack = await startRegistryStack({ log: captured.log });
  });
  afterAll(() => stack?.close());

  it('answers every request on every subject with a reply or a 4xx, never a 500, and logs no error', async () => {
    const encoder = new TextEncoder();
    const raw = fc.oneof(
      nastyJson.map((v) => encoder.encode(JSON.stringify(v))),
      fc.uint8Array({ maxLength: 64 }),
      fc.constant(new Uint8Array()),
    );
    for (const [subject, payload] of Object.entries(PAYLOADS)) {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ arbitrary: payload.map((p) => encoder.encode(JSON.stringify(p))), weight: 4 }, raw),
          async (data) => {
            const reply = await stack.nc.request(subject, data, { timeout: 10_000 });
            const code = Number(reply.headers?.get('Nats-Service-Error-Code') ?? 200);
            expect(code, `${subject} ${new TextDecoder().decode(data)}`).toBeLessThan(500);
          },
        ),
        { numRuns: 150 },
      );
    }
    expect(captured.errors()).toEqual([]);
    const health = await stack.client.registryHealth({});
    expect(health.db.waiting).toBe(0);
  });
});
