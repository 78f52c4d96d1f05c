import { ENDPOINTS } from '@switchboard/contracts';
import { captureLog, fullAgent, mutated, nastyJson, newCallSid } from '@switchboard/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RegistryStack, startRegistryStack } from './testing.js';

// Issue 10, "Bad input": whatever a client sends the registry's subjects, the answer is never a 500 and the
// registry logs no error. PostgreSQL refuses NUL in text and NUL or a lone surrogate in jsonb, so those (and
// every other control character in a name or number) must be refused by the contracts first.

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
  [ENDPOINTS.callReport.subject]: mutated({ callSid: newCallSid() }),
  [ENDPOINTS.agentUpsert.subject]: mutated({ id: 'fuzzed', ...agentFields() }),
  [ENDPOINTS.agentPut.subject]: fc.oneof(
    mutated({ id: 'fuzzed', ...agentFields() }).map((agent) => ({ agent })),
    mutated({ agent: { id: 'fuzzed', ...agentFields() } }),
  ),
  [ENDPOINTS.agentGet.subject]: mutated({ id: 'fuzzed' }),
  [ENDPOINTS.agentList.subject]: mutated({ limit: 3, cursor: 'a' }),
  [ENDPOINTS.agentDelete.subject]: mutated({ id: 'fuzzed-other' }),
  [ENDPOINTS.registryHealth.subject]: mutated({}),
  [ENDPOINTS.webhookCreate.subject]: mutated({
    url: 'https://hooks.example.com/in',
    events: ['call.ended'],
    agentId: 'default',
  }),
  [ENDPOINTS.webhookList.subject]: mutated({}),
  [ENDPOINTS.webhookGet.subject]: mutated({ id: 'wh_000000000000000000000000' }),
  [ENDPOINTS.webhookDelete.subject]: mutated({ id: 'wh_000000000000000000000001' }),
  [ENDPOINTS.webhookActive.subject]: mutated({}),
  [ENDPOINTS.webhookFailedAdd.subject]: mutated({
    key: 'fuzz',
    delivery: {
      webhookId: 'wh_000000000000000000000000',
      deliveryId: 'msg_fuzz',
      callSid: newCallSid(),
      type: 'call.ended',
      body: '{}',
      sourceSeq: 1,
    },
    attempts: 1,
    lastError: 'HTTP 500',
    queuedAt: new Date().toISOString(),
  }),
  [ENDPOINTS.webhookFailedList.subject]: mutated({
    webhookId: 'wh_000000000000000000000000',
    limit: 5,
    cursor: '1',
  }),
  [ENDPOINTS.webhookFailedRemove.subject]: mutated({ webhookId: 'wh_000000000000000000000000', ids: ['1'] }),
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
            captured.lines.length = 0;
            const reply = await stack.nc.request(subject, data, { timeout: 10_000 });
            const code = Number(reply.headers?.get('Nats-Service-Error-Code') ?? 200);
            const what = `${subject} ${new TextDecoder().decode(data)}`;
            expect(code, what).toBeLessThan(500);
            expect(captured.errors(), what).toEqual([]);
          },
        ),
        { numRuns: 150 },
      );
    }
    const health = await stack.client.registryHealth({});
    expect(health.db.waiting).toBe(0);
  });
});
