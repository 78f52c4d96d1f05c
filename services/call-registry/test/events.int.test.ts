import { EventPublisher } from '@switchboard/bus';
import { type CallEvent, type CallStatus, eventSubject } from '@switchboard/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerPending, eventually, log, newCallSid, type RegistryStack, startStack } from './support.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, seconds)).toISOString();

describe('call events from JetStream', () => {
  let stack: RegistryStack;
  let publisher: EventPublisher;
  beforeAll(async () => {
    stack = await startStack();
    publisher = new EventPublisher(stack.nc, log);
  });
  afterAll(() => stack?.close());

  const publish = (event: CallEvent, msgId: string) => publisher.publish(event, { msgId });
  const status = (callSid: string, s: CallStatus, second: number, extra = {}) =>
    ({ kind: 'status', callSid, status: s, at: at(second), ...extra }) as CallEvent;

  it('moves status only forward, whatever the order and however often callbacks arrive', async () => {
    const { callSid } = await stack.client.callCreate({
      callSid: newCallSid(),
      direction: 'outbound',
      from: '+15550001111',
      to: '+15557770000',
      status: 'queued',
    });
    // Out of order and duplicated, as Twilio's retries and parallel deliveries produce them.
    await publish(status(callSid, 'in-progress', 5), `${callSid}:in-progress`);
    await publish(status(callSid, 'completed', 65, { durationSeconds: 60 }), `${callSid}:completed`);
    await publish(status(callSid, 'ringing', 2), `${callSid}:ringing`);
    await publish(status(callSid, 'initiated', 1), `${callSid}:initiated`);
    await publish(status(callSid, 'completed', 65, { durationSeconds: 60 }), `${callSid}:completed-retry`);
    await publish(status(callSid, 'busy', 70), `${callSid}:busy`);
    const call = await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.status === 'completed' && c.answeredAt !== null,
    );
    expect(call).toMatchObject({
      status: 'completed',
      answeredAt: at(5),
      endedAt: at(65),
      durationSeconds: 60,
    });
    // Once everything is applied, nothing moved it back.
    await eventually(
      () => consumerPending(stack),
      (n) => n === 0,
    );
    expect((await stack.client.callBySid({ callSid })).status).toBe('completed');
  });

  it('keeps status events that arrive before the call is registered and folds them in', async () => {
    const callSid = newCallSid();
    await publish(status(callSid, 'ringing', 1), `${callSid}:ringing`);
    await publish(status(callSid, 'in-progress', 3), `${callSid}:in-progress`);
    await eventually(
      () => consumerPending(stack),
      (n) => n === 0,
    );
    const call = await stack.client.callCreate({
      callSid,
      direction: 'outbound',
      from: '+15550001111',
      to: '+15557770000',
      status: 'initiated',
    });
    expect(call).toMatchObject({ status: 'in-progress', answeredAt: at(3) });
  });

  it('folds in an event recorded while the registration waited for the call lock', async () => {
    const callSid = newCallSid();
    const db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    try {
      // What the event consumer does for a call not registered yet, held open: take the lock, record.
      await db.query('BEGIN');
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [callSid]);
      await db.query(
        `INSERT INTO call_events (msg_id, call_sid, kind, payload, occurred_at) VALUES ($1, $2, 'status', $3, $4)`,
        [`${callSid}:held`, callSid, JSON.stringify(status(callSid, 'in-progress', 3)), at(3)],
      );
      const created = stack.client.callCreate({
        callSid,
        direction: 'outbound',
        from: '+15550001111',
        to: '+15557770000',
      });
      await eventually(
        async () =>
          (await db.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rowCount,
        (waiting) => waiting === 1,
      );
      await db.query('COMMIT');
      expect(await created).toMatchObject({ status: 'in-progress', answeredAt: at(3) });
    } finally {
      await db.end();
    }
  });

  it('marks a call answered when its media stream starts', async () => {
    const { callSid } = await stack.client.callCreate({
      callSid: newCallSid(),
      direction: 'inbound',
      from: '+15551230000',
      to: '+15559870000',
      status: 'ringing',
    });
    await publish(
      { kind: 'stream', action: 'started', streamSid: 'MZ1', callSid, at: at(4) },
      `${callSid}:stream`,
    );
    const call = await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.status === 'in-progress',
    );
    expect(call.answeredAt).toBe(at(4));
  });

  it('stores transcript segments once each, in spoken order', async () => {
    const { callSid } = await stack.client.callCreate({
      callSid: newCallSid(),
      direction: 'inbound',
      from: '+15551230000',
      to: '+15559870000',
    });
    const segment = (role: 'caller' | 'agent', text: string, second: number, itemId: string): CallEvent => ({
      kind: 'transcript',
      callSid,
      role,
      text,
      itemId,
      at: at(second),
    });
    // Published out of order (the caller's transcription finishes after the agent starts answering).
    await publish(segment('agent', 'Hello! How can I help you today?', 1, 'item_a1'), `${callSid}:t:a1`);
    await publish(segment('agent', 'It opens at nine.', 9, 'item_a2'), `${callSid}:t:a2`);
    await publish(segment('caller', 'When do you open?', 4, 'item_c1'), `${callSid}:t:c1`);
    await publish(segment('caller', 'When do you open?', 4, 'item_c1'), `${callSid}:t:c1-dup`);
    const transcript = await eventually(
      () => stack.client.callTranscript({ callSid }),
      (t) => t.segments.length >= 3,
    );
    await eventually(
      () => consumerPending(stack),
      (n) => n === 0,
    );
    expect((await stack.client.callTranscript({ callSid })).segments).toEqual([
      { role: 'agent', text: 'Hello! How can I help you today?', at: at(1) },
      { role: 'caller', text: 'When do you open?', at: at(4) },
      { role: 'agent', text: 'It opens at nine.', at: at(9) },
    ]);
    expect(transcript.callSid).toBe(callSid);
  });

  it('terminates an invalid event instead of redelivering it forever', async () => {
    const callSid = newCallSid();
    await stack.nc.request(eventSubject(callSid, 'status'), '{"kind":"status","status":"exploded"}', {
      timeout: 2_000,
    });
    await stack.nc.request(eventSubject(callSid, 'status'), 'not json at all', { timeout: 2_000 });
    await eventually(
      () => consumerPending(stack),
      (n) => n === 0,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${stack.registry.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/registry_events_total\{kind="unknown",outcome="invalid"\} 2/);
  });
});
