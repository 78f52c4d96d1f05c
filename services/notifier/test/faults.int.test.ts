import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allAccepted,
  callSidOf,
  eventually,
  expectedTypes,
  type NotifierStack,
  placeCall,
  startNotifierStack,
} from './support.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a receiver that is down for a while, with two notifier replicas sharing the work', () => {
  let s: NotifierStack;
  beforeAll(async () => {
    s = await startNotifierStack();
    await s.startNotifier();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refusing, then 500s, then timeouts: once back it gets every event once per webhook-id, in order per call', async () => {
    await s.subscribe(['call.started', 'call.status', 'call.transcript', 'call.ended']);
    await s.receiver.setMode('refuse');
    const calls = await Promise.all([placeCall(s), placeCall(s), placeCall(s, { turns: 4 })]);
    await sleep(1_500);
    await s.receiver.setMode('error');
    await eventually(
      async () => s.receiver.received.filter((r) => r.answered === 'error').length,
      (n) => n >= 1,
    );
    await sleep(1_000);
    await s.receiver.setMode('hang');
    await eventually(
      async () => s.receiver.received.filter((r) => r.answered === 'hang').length,
      (n) => n >= 1,
      20_000,
    );
    expect(s.receiver.accepted).toHaveLength(0);
    await s.receiver.setMode('ok');

    const expected = [expectedTypes(2), expectedTypes(2), expectedTypes(4)];
    await eventually(
      async () => calls.every((sid, i) => allAccepted(s.receiver, [sid], expected[i] ?? [])),
      (done) => done,
      60_000,
    );
    // Retried while down: the same webhook-id came back for the failed attempts.
    const failedIds = new Set(s.receiver.received.filter((r) => r.answered !== 'ok').map((r) => r.id));
    const acceptedIds = s.receiver.accepted.map((r) => r.id);
    expect([...failedIds].every((id) => acceptedIds.includes(id))).toBe(true);
    // Exactly once per webhook-id among those answered 2xx, and each call's events in order.
    expect(new Set(acceptedIds).size).toBe(acceptedIds.length);
    calls.forEach((sid, i) => {
      const got = s.receiver.accepted.filter((r) => callSidOf(r) === sid);
      expect(got.map((r) => r.json.type)).toEqual(expected[i]);
      expect(got.every((r) => r.verified)).toBe(true);
      const transcript = got.filter((r) => r.json.type === 'call.transcript').map((r) => r.json.data.segment);
      expect(transcript.map((seg) => (seg as { text: string }).text)).toEqual(
        Array.from({ length: (expected[i]?.length ?? 3) - 3 }, (_, n) => `line ${n}`),
      );
    });
  }, 120_000);
});
