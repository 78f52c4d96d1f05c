import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callSidOf,
  eventually,
  expectedTypes,
  type NotifierStack,
  placeCall,
  startNotifierStack,
} from './support.js';

describe('webhook deliveries to a healthy receiver', () => {
  let s: NotifierStack;
  beforeAll(async () => {
    s = await startNotifierStack();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('delivers a call’s events in order, signed per Standard Webhooks, with the full end-of-call report', async () => {
    const webhook = await s.subscribe(['call.started', 'call.status', 'call.transcript', 'call.ended']);
    expect(webhook.secret).toMatch(/^whsec_/);
    const callSid = await placeCall(s, { turns: 3 });
    const got = await eventually(
      async () => s.receiver.accepted.filter((r) => callSidOf(r) === callSid),
      (list) => list.length >= expectedTypes(3).length,
    );
    expect(got.map((r) => r.json.type)).toEqual(expectedTypes(3));
    for (const r of got) {
      expect(r.verified).toBe(true);
      // The library a receiver would use, given the headers as they came.
      expect(() =>
        new Webhook(webhook.secret).verify(r.body, {
          'webhook-id': r.id,
          'webhook-timestamp': r.timestamp,
          'webhook-signature': r.signature,
        }),
      ).not.toThrow();
      expect(r.id).toMatch(/^msg_/);
    }
    expect(new Set(got.map((r) => r.id)).size).toBe(got.length);

    const [started, , , , ended, status] = got;
    // The Call as the registry has it when the delivery is queued: answered, maybe already further along.
    expect(started?.json.data.call).toMatchObject({ callSid, answeredAt: expect.any(String) });
    expect(got[1]?.json.data).toMatchObject({ callSid, segment: { role: 'agent', text: 'line 0' } });
    const report = ended?.json.data as {
      call: { callSid: string; status: string; endedAt: string | null; endedReason: string };
      transcript: { segments: Array<{ role: string; text: string }> };
      endedReason: string;
    };
    expect(report.call).toMatchObject({ callSid, status: 'completed', endedReason: 'agent-ended' });
    expect(report.call.endedAt).not.toBeNull();
    expect(report.endedReason).toBe('agent-ended');
    expect(report.transcript.segments.map((x) => [x.role, x.text])).toEqual([
      ['agent', 'line 0'],
      ['caller', 'line 1'],
      ['agent', 'line 2'],
    ]);
    expect(status?.json.data.call).toMatchObject({ callSid, status: 'completed' });
  });

  it('sends a subscription only the events it names, and only for its agent', async () => {
    const other = await s.client.agentPut({
      agent: { id: 'sales', instructions: 'Sell.', voice: 'alloy', model: 'gpt-realtime' },
    });
    expect(other.agent.id).toBe('sales');
    const endedOnly = await s.subscribe(['call.ended'], { agentId: 'sales' });
    const callSid = await placeCall(s);
    // The default agent's call: the earlier subscription gets it, this one must not.
    const first = await eventually(
      async () => s.receiver.accepted.filter((r) => callSidOf(r) === callSid && r.json.type === 'call.ended'),
      (list) => list.length >= 1,
    );
    expect(first).toHaveLength(1);
    // Its secret is the receiver's now: nothing signed with it came for this call.
    expect(s.receiver.received.some((r) => callSidOf(r) === callSid && r.verified)).toBe(false);
    expect(endedOnly.agentId).toBe('sales');
  });

  it('shares the work between replicas and keeps each call’s order', async () => {
    const second = await s.startNotifier();
    await s.subscribe(['call.started', 'call.status', 'call.transcript', 'call.ended']);
    const calls = await Promise.all(Array.from({ length: 8 }, () => placeCall(s, { turns: 4 })));
    // The earlier subscriptions get these calls too; this one's are those its secret verifies.
    const mine = (sid: string) => s.receiver.accepted.filter((r) => callSidOf(r) === sid && r.verified);
    await eventually(
      async () => calls.every((sid) => mine(sid).length >= expectedTypes(4).length),
      (done) => done,
      30_000,
    );
    for (const sid of calls) {
      const got = s.receiver.accepted.filter((r) => callSidOf(r) === sid && r.verified);
      expect(got.map((r) => r.json.type)).toEqual(expectedTypes(4));
      expect(new Set(got.map((r) => r.id)).size).toBe(got.length);
    }
    await second.close();
  });
});
