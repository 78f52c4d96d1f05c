import { setTimeout as sleep } from 'node:timers/promises';
import { EventPublisher } from '@switchboard/bus';
import type { BatchAttemptRef, BatchSettings, CallEvent, CallStatus } from '@switchboard/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerPending, eventually, log, newCallSid, type RegistryStack, startStack } from './support.js';

// The registry's side of call batches: claims pace and cap the dials, a call's final status settles its
// attempt once (whichever way it arrives), retries wait their delay, cancel and the lease.

const FROM = '+15550001111';
const LEASE_MS = 60_000;
const base: BatchSettings = {
  maxPerSecond: 100,
  maxConcurrent: 100,
  notBefore: null,
  notAfter: null,
  retry: { on: [], attempts: 0, delaySeconds: 0 },
  from: FROM,
};

describe('call batches in the registry', () => {
  let stack: RegistryStack;
  let publisher: EventPublisher;
  let n = 0;
  beforeAll(async () => {
    stack = await startStack();
    publisher = new EventPublisher(stack.nc, log);
  });
  afterAll(() => stack?.close());

  const newBatch = async (
    settings: Partial<BatchSettings>,
    calls: number,
    variables?: Record<string, string>,
  ) => {
    const id = `cb_${String(++n).padStart(24, '0')}`;
    await stack.client.batchCreate({ id, total: calls, settings: { ...base, ...settings } });
    await stack.client.batchAddCalls({
      id,
      offset: 0,
      calls: Array.from({ length: calls }, (_, i) => ({
        to: `+1555${n}${String(i).padStart(6, '0')}`,
        agentId: 'default',
        ...(variables ? { variables } : {}),
      })),
    });
    return id;
  };
  const claim = (batchId: string, index: number, leaseMs = LEASE_MS) =>
    stack.client.batchClaim({ batchId, index, leaseMs });
  const register = (callSid: string, to: string, batch: BatchAttemptRef) =>
    stack.client.callCreate({ callSid, direction: 'outbound', from: FROM, to, status: 'queued', batch });
  const status = (callSid: string, s: CallStatus, seq: number, batch?: BatchAttemptRef) =>
    publisher.publish(
      {
        kind: 'status',
        callSid,
        status: s,
        at: new Date().toISOString(),
        ...(batch ? { batch } : {}),
      } as CallEvent,
      { msgId: `status.${callSid}.${s}.seq-${seq}` },
    );
  const settled = () =>
    eventually(
      () => consumerPending(stack),
      (p) => p === 0,
    );
  const view = (id: string) => stack.client.batchGet({ id });

  it('grants dials until maxConcurrent are dialling or live, and maxPerSecond until Twilio had them a second ago', async () => {
    const id = await newBatch({ maxPerSecond: 2, maxConcurrent: 3 }, 5);
    expect(await claim(id, 0)).toMatchObject({ action: 'dial', attempt: 1, from: FROM, agentId: 'default' });
    expect(await claim(id, 1)).toMatchObject({ action: 'dial', attempt: 1 });
    // Two dialling: the rate is full until Twilio has them (and a second after).
    expect(await claim(id, 2)).toMatchObject({ action: 'wait', reason: 'max-per-second' });
    const [a, b] = [newCallSid(), newCallSid()];
    const first = await view(id);
    await register(a, first.calls[0]?.to as string, { batchId: id, index: 0, attempt: 1 });
    await register(b, first.calls[1]?.to as string, { batchId: id, index: 1, attempt: 1 });
    const paced = await claim(id, 2);
    expect(paced).toMatchObject({ action: 'wait', reason: 'max-per-second' });
    await sleep(paced.action === 'wait' ? paced.delayMs : 0);
    expect(await claim(id, 2)).toMatchObject({ action: 'dial' });
    // Three dialling or live: the batch is full until one ends.
    await sleep(1_010);
    expect(await claim(id, 3)).toMatchObject({ action: 'wait', reason: 'max-concurrent' });
    await status(a, 'completed', 2);
    await settled();
    expect(await claim(id, 3)).toMatchObject({ action: 'dial' });
    expect((await view(id)).batch.counts).toMatchObject({ completed: 1, calling: 3, queued: 1 });
    // A live call's message waits; a final one's is done.
    expect(await claim(id, 1)).toMatchObject({ action: 'wait', reason: 'live' });
    expect(await claim(id, 0)).toEqual({ action: 'done', outcome: 'completed' });
  });

  it('settles each attempt once: retries after the delay, ignores repeats and late reports of an old attempt', async () => {
    const id = await newBatch({ retry: { on: ['busy', 'no-answer'], attempts: 1, delaySeconds: 1 } }, 1);
    const to = (await view(id)).calls[0]?.to as string;
    expect(await claim(id, 0)).toMatchObject({ action: 'dial', attempt: 1 });
    const first = newCallSid();
    await register(first, to, { batchId: id, index: 0, attempt: 1 });
    await status(first, 'busy', 1);
    await status(first, 'busy', 2); // Twilio's repeat, another sequence number
    await settled();
    let batch = await view(id);
    expect(batch.calls[0]).toEqual({ to, callSid: first, callSids: [first], attempts: 1, outcome: 'queued' });
    const wait = await claim(id, 0);
    expect(wait).toMatchObject({ action: 'wait', reason: 'retry-delay' });
    await sleep(wait.action === 'wait' ? wait.delayMs : 0);
    expect(await claim(id, 0)).toMatchObject({ action: 'dial', attempt: 2 });
    // The second attempt's callbacks come before its registration (it names the attempt in its URL).
    const second = newCallSid();
    await status(second, 'initiated', 0, { batchId: id, index: 0, attempt: 2 });
    await status(first, 'no-answer', 3); // a late report of attempt 1 changes nothing
    await status(second, 'no-answer', 1, { batchId: id, index: 0, attempt: 2 });
    await settled();
    batch = await view(id);
    expect(batch.calls[0]).toEqual({
      to,
      callSid: second,
      callSids: [first, second],
      attempts: 2,
      outcome: 'no-answer',
    });
    expect(batch.batch).toMatchObject({ status: 'done', counts: { 'no-answer': 1 } });
    // Its registration after the fact settles nothing again.
    await register(second, to, { batchId: id, index: 0, attempt: 2 });
    expect((await view(id)).calls[0]).toEqual({
      to,
      callSid: second,
      callSids: [first, second],
      attempts: 2,
      outcome: 'no-answer',
    });
    expect(await claim(id, 0)).toEqual({ action: 'done', outcome: 'no-answer' });
  });

  it('settles an attempt whose final status was stored before it was registered', async () => {
    const id = await newBatch({}, 1);
    const to = (await view(id)).calls[0]?.to as string;
    await claim(id, 0);
    const callSid = newCallSid();
    await status(callSid, 'busy', 1); // untagged, before call.create: kept, folded in at registration
    await settled();
    expect((await view(id)).calls[0]?.outcome).toBe('calling');
    await register(callSid, to, { batchId: id, index: 0, attempt: 1 });
    expect((await view(id)).calls[0]).toEqual({
      to,
      callSid,
      callSids: [callSid],
      attempts: 1,
      outcome: 'busy',
    });
  });

  it("settles a call the agent ended, when the stream's end comes before (or instead of) Twilio's callback", async () => {
    const id = await newBatch({}, 1);
    const to = (await view(id)).calls[0]?.to as string;
    await claim(id, 0);
    const callSid = newCallSid();
    await register(callSid, to, { batchId: id, index: 0, attempt: 1 });
    await publisher.publish(
      { kind: 'ended', callSid, reason: 'agent-ended', at: new Date().toISOString() },
      { msgId: `ended:${callSid}:MZ1` },
    );
    await settled();
    expect((await view(id)).calls[0]).toEqual({
      to,
      callSid,
      callSids: [callSid],
      attempts: 1,
      outcome: 'completed',
    });
    await status(callSid, 'completed', 3);
    await settled();
    expect((await view(id)).batch.counts).toMatchObject({ completed: 1, calling: 0 });
  });

  it('dials a grant again, as the same attempt, once its lease ran out with no word from Twilio', async () => {
    const id = await newBatch({}, 1);
    expect(await claim(id, 0, 1_000)).toMatchObject({ action: 'dial', attempt: 1 });
    expect(await claim(id, 0, 1_000)).toMatchObject({ action: 'wait', reason: 'dialing' });
    await sleep(1_050);
    expect(await claim(id, 0, 1_000)).toMatchObject({ action: 'dial', attempt: 1 });
    expect((await view(id)).calls[0]?.attempts).toBe(1);
  });

  it('grants a dial again at once to the holder whose grant was lost on the way back, and to nobody else', async () => {
    const id = await newBatch({}, 1);
    const ask = (holder: string) =>
      stack.client.batchClaim({ batchId: id, index: 0, leaseMs: LEASE_MS, holder });
    expect(await ask('handling-1')).toMatchObject({ action: 'dial', attempt: 1 });
    expect(await ask('handling-2')).toMatchObject({ action: 'wait', reason: 'dialing' });
    expect(await ask('handling-1')).toMatchObject({ action: 'dial', attempt: 1 });
    expect((await view(id)).calls[0]?.attempts).toBe(1);
  });

  it('cancels what was not dialled; what was goes on', async () => {
    const id = await newBatch({}, 3);
    expect(await claim(id, 0)).toMatchObject({ action: 'dial' });
    expect((await stack.client.batchCancel({ id })).status).toBe('canceled');
    expect(await claim(id, 1)).toEqual({ action: 'done', outcome: 'canceled' });
    const { calls, batch } = await view(id);
    expect(calls.map((c) => c.outcome)).toEqual(['calling', 'canceled', 'canceled']);
    expect(batch.counts).toMatchObject({ calling: 1, canceled: 2 });
  });

  it("gives a batch call's Call its agent with the call's variables", async () => {
    await stack.client.agentPut({
      agent: {
        id: 'reminder',
        instructions: 'Remind {{name}} at {{time}}.',
        greeting: 'Hi {{name}}',
        voice: 'alloy',
        model: 'gpt-realtime',
      },
    });
    const id = `cb_${String(++n).padStart(24, '0')}`;
    await stack.client.batchCreate({ id, total: 1, settings: base });
    await stack.client.batchAddCalls({
      id,
      offset: 0,
      calls: [{ to: '+15559990000', agentId: 'reminder', variables: { name: 'Ana', time: '9:00' } }],
    });
    await claim(id, 0);
    const callSid = newCallSid();
    const created = await register(callSid, '+15559990000', { batchId: id, index: 0, attempt: 1 });
    expect(created.agent).toMatchObject({
      id: 'reminder',
      instructions: 'Remind Ana at 9:00.',
      greeting: 'Hi Ana',
    });
    expect((await stack.client.callBySid({ callSid })).agent).toMatchObject({
      instructions: 'Remind Ana at 9:00.',
    });
    // Another number than the batch call's is refused.
    await expect(
      stack.client.callCreate({
        callSid: newCallSid(),
        direction: 'outbound',
        from: FROM,
        to: '+15559990001',
        batch: { batchId: id, index: 0, attempt: 1 },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
