import { discoverServices, EventPublisher } from '@switchboard/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCallSid, type RegistryStack, startStack } from './support.js';

// What the console asks beyond SPEC's call.list: history filters, the activity chart, each replica's pool.

describe('call.list filters and call.activity', () => {
  let stack: RegistryStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  const create = (from: string, to: string, direction: 'inbound' | 'outbound' = 'inbound') =>
    stack.client.callCreate({ callSid: newCallSid(), direction, from, to });

  async function complete(callSid: string): Promise<void> {
    await new EventPublisher(stack.nc).publish(
      { kind: 'status', callSid, status: 'completed', at: new Date().toISOString(), durationSeconds: 3 },
      { msgId: `status.${callSid}.completed`, deadlineMs: 10_000 },
    );
    await expect
      .poll(async () => (await stack.client.callBySid({ callSid })).status, { timeout: 10_000 })
      .toBe('completed');
  }

  it('filters by number (either party), direction, liveness and creation time, and pages through them', async () => {
    const number = '+15550001111';
    const a = await create(number, '+15559870000');
    const b = await create('+15551230000', number, 'outbound');
    const other = await create('+15551230000', '+15559870000');
    await complete(a.callSid);

    const byNumber = await stack.client.callList({ number, limit: 200 });
    expect(byNumber.calls.map((c) => c.callSid)).toEqual([b.callSid, a.callSid]);
    const outbound = await stack.client.callList({ number, direction: 'outbound' });
    expect(outbound.calls.map((c) => c.callSid)).toEqual([b.callSid]);
    const live = await stack.client.callList({ number, live: true });
    expect(live.calls.map((c) => c.callSid)).toEqual([b.callSid]);
    const ended = await stack.client.callList({ number, live: false });
    expect(ended.calls.map((c) => c.callSid)).toEqual([a.callSid]);

    const first = await stack.client.callList({ number, limit: 1 });
    expect(first.calls.map((c) => c.callSid)).toEqual([b.callSid]);
    const second = await stack.client.callList({ number, limit: 1, cursor: first.nextCursor ?? '' });
    expect(second.calls.map((c) => c.callSid)).toEqual([a.callSid]);
    expect(second.nextCursor).toBeNull();

    const since = await stack.client.callList({ createdFrom: other.createdAt, limit: 200 });
    expect(since.calls.map((c) => c.callSid)).toContain(other.callSid);
    expect(since.calls.every((c) => c.createdAt >= other.createdAt)).toBe(true);
    const before = await stack.client.callList({ createdTo: a.createdAt, number });
    expect(before.calls).toEqual([]);
    const byAgent = await stack.client.callList({ agentId: 'default', number });
    expect(byAgent.calls).toHaveLength(2);
    expect((await stack.client.callList({ agentId: 'nobody', number })).calls).toEqual([]);
  });

  it('counts calls started per minute and calls live at each minute', async () => {
    const before = await stack.client.callActivity({ minutes: 5 });
    expect(before.buckets).toHaveLength(5);
    const times = before.buckets.map((b) => Date.parse(b.at));
    for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBe(60_000);
    const started = (await create('+15552220000', '+15559870000')).callSid;
    await create('+15552220001', '+15559870000');
    await complete(started);
    const after = await stack.client.callActivity({ minutes: 5 });
    const now = after.buckets.at(-1);
    const then = before.buckets.at(-1);
    // Unless the minute turned in between, the last bucket gained both calls, and one more live call.
    if (now?.at === then?.at) {
      expect(now?.started).toBe((then?.started ?? 0) + 2);
      expect(now?.live).toBe((then?.live ?? 0) + 2);
    } else {
      expect(now?.started).toBeGreaterThanOrEqual(2);
    }
    expect((await stack.client.callActivity({})).buckets).toHaveLength(60);
  });

  it("reports each replica's pool in $SRV.STATS", async () => {
    const replies = await discoverServices(stack.nc, { name: 'call-registry' });
    expect(replies).toHaveLength(1);
    const health = replies[0]?.endpoints?.find((e) => e.subject === 'registry.health');
    expect(health?.data).toMatchObject({ pool: { max: expect.any(Number), total: expect.any(Number) } });
  });
});
