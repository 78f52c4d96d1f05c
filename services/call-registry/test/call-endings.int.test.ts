import { EventPublisher } from '@switchboard/bus';
import type { CallEvent, StreamEndReason } from '@switchboard/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerPending, eventually, log, newCallSid, type RegistryStack, startStack } from './support.js';

// DESIGN-10 §4: a call ends cleanly when its stream does, even if no status callback ever comes; a later
// callback only refines it. A transfer leaves the call live.

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, seconds)).toISOString();

describe('calls that end with their stream', () => {
  let stack: RegistryStack;
  let publisher: EventPublisher;
  beforeAll(async () => {
    stack = await startStack();
    publisher = new EventPublisher(stack.nc, log);
  });
  afterAll(() => stack?.close());

  const publish = (event: CallEvent, msgId: string) => publisher.publish(event, { msgId });
  const newCall = async () =>
    (
      await stack.client.callCreate({
        callSid: newCallSid(),
        direction: 'inbound',
        from: '+15551230000',
        to: '+15559870000',
        status: 'ringing',
      })
    ).callSid;
  const started = (callSid: string, streamSid: string, second: number) =>
    publish(
      { kind: 'stream', action: 'started', callSid, streamSid, at: at(second) },
      `stream:${callSid}:${streamSid}:started`,
    );
  const stopped = (callSid: string, streamSid: string, second: number, reason?: StreamEndReason) =>
    publish(
      {
        kind: 'stream',
        action: 'stopped',
        callSid,
        streamSid,
        at: at(second),
        ...(reason ? { reason } : {}),
      },
      `stream:${callSid}:${streamSid}:stopped`,
    );
  const ended = (callSid: string, streamSid: string, second: number, reason: StreamEndReason) =>
    publish({ kind: 'ended', callSid, reason, at: at(second) }, `ended:${callSid}:${streamSid}`);
  const allApplied = () =>
    eventually(
      () => consumerPending(stack),
      (n) => n === 0,
    );
  const call = (callSid: string) => stack.client.callBySid({ callSid });
  const settled = (callSid: string, done: (c: Awaited<ReturnType<typeof call>>) => boolean) =>
    eventually(() => call(callSid), done);

  it('completes a call whose caller hung up, and lets Twilio refine the duration later', async () => {
    const callSid = await newCall();
    await started(callSid, 'MZ1', 4);
    await settled(callSid, (c) => c.status === 'in-progress');
    await stopped(callSid, 'MZ1', 64, 'twilio-stopped');
    expect(await settled(callSid, (c) => c.status === 'completed')).toMatchObject({
      answeredAt: at(4),
      endedAt: at(64),
      durationSeconds: 60,
      endedReason: 'twilio-stopped',
    });
    // Twilio's final callback, later: its CallDuration replaces the estimate; nothing moves back.
    await publish(
      { kind: 'status', callSid, status: 'completed', at: at(66), durationSeconds: 61 },
      `status.${callSid}.completed.seq-3`,
    );
    await publish({ kind: 'status', callSid, status: 'in-progress', at: at(5) }, `status.${callSid}.late`);
    expect(await settled(callSid, (c) => c.durationSeconds === 61)).toMatchObject({
      status: 'completed',
      endedAt: at(64),
      endedReason: 'twilio-stopped',
    });
  });

  it("takes the worker's ended event as the reason, in whichever order the two events land", async () => {
    for (const order of ['ended first', 'stopped first'] as const) {
      const callSid = await newCall();
      await started(callSid, 'MZ1', 2);
      await settled(callSid, (c) => c.status === 'in-progress');
      if (order === 'ended first') await ended(callSid, 'MZ1', 30, 'agent-ended');
      await stopped(callSid, 'MZ1', 30, 'agent-ended');
      if (order === 'stopped first') await ended(callSid, 'MZ1', 30, 'agent-ended');
      expect(await settled(callSid, (c) => c.endedReason === 'agent-ended')).toMatchObject({
        status: 'completed',
        endedAt: at(30),
        durationSeconds: 28,
      });
    }
  });

  it('estimates the duration from the creation when the call was never marked answered', async () => {
    const callSid = await newCall();
    const { createdAt } = await call(callSid);
    const end = new Date(Date.parse(createdAt) + 12_400).toISOString();
    await publish({ kind: 'ended', callSid, reason: 'realtime-failed', at: end }, `ended:${callSid}:MZ1`);
    expect(await settled(callSid, (c) => c.status === 'completed')).toMatchObject({
      endedAt: end,
      durationSeconds: 12,
      endedReason: 'realtime-failed',
    });
  });

  it('leaves a transferred call live, and ends it with the stream that brought the caller back', async () => {
    const callSid = await newCall();
    // Events of one call are applied in any order when they arrive together; these are seconds apart.
    await started(callSid, 'MZ1', 3);
    await settled(callSid, (c) => c.status === 'in-progress');
    await stopped(callSid, 'MZ1', 20, 'transferred');
    await ended(callSid, 'MZ1', 20, 'transferred');
    expect(await settled(callSid, (c) => c.endedReason === 'transferred')).toMatchObject({
      status: 'in-progress',
      endedAt: null,
      durationSeconds: null,
    });
    // The transfer failed: a new stream for the same call. Its start clears the old reason...
    await started(callSid, 'MZ2', 50);
    expect(await settled(callSid, (c) => c.endedReason === null)).toMatchObject({ status: 'in-progress' });
    // ... and its end ends the call.
    await stopped(callSid, 'MZ2', 90, 'twilio-stopped');
    expect(await settled(callSid, (c) => c.status === 'completed')).toMatchObject({
      endedAt: at(90),
      durationSeconds: 87,
      endedReason: 'twilio-stopped',
    });
    // A late echo of the first stream's end changes nothing.
    await publish(
      { kind: 'stream', action: 'stopped', callSid, streamSid: 'MZ1', at: at(20), reason: 'transferred' },
      `stream:${callSid}:MZ1:stopped:again`,
    );
    await stopped(callSid, 'MZ3', 95, 'replaced');
    await allApplied();
    expect(await call(callSid)).toMatchObject({
      status: 'completed',
      endedReason: 'twilio-stopped',
      endedAt: at(90),
    });
  });

  it('keeps the facts of a call Twilio had already ended, and adds the reason', async () => {
    const callSid = await newCall();
    await started(callSid, 'MZ1', 1);
    await settled(callSid, (c) => c.status === 'in-progress');
    await publish(
      { kind: 'status', callSid, status: 'completed', at: at(40), durationSeconds: 39 },
      `status.${callSid}.completed`,
    );
    await settled(callSid, (c) => c.status === 'completed');
    await stopped(callSid, 'MZ1', 41, 'twilio-closed');
    expect(await settled(callSid, (c) => c.endedReason !== null)).toMatchObject({
      status: 'completed',
      endedAt: at(40),
      durationSeconds: 39,
      endedReason: 'twilio-closed',
    });
  });

  it('does not end a call for a stream a newer one replaced', async () => {
    const callSid = await newCall();
    await started(callSid, 'MZ1', 1);
    await settled(callSid, (c) => c.status === 'in-progress');
    await stopped(callSid, 'MZ1', 5, 'replaced');
    await started(callSid, 'MZ2', 5);
    await publish({ kind: 'dtmf', callSid, digit: '1', streamSid: 'MZ2', at: at(6) }, `dtmf:${callSid}:1`);
    await allApplied();
    expect(await call(callSid)).toMatchObject({ status: 'in-progress', endedReason: null, endedAt: null });
  });

  it('keeps tool calls and events in the transcript, with the tool record', async () => {
    const callSid = await newCall();
    const tool = {
      name: 'book_table',
      callId: 'call_1',
      arguments: { people: 2, time: '19:00' },
      status: 'ok' as const,
      ms: 412,
    };
    await publish(
      { kind: 'transcript', callSid, role: 'tool', text: '{"booked":true}', itemId: 'fc_1', at: at(8), tool },
      `transcript:${callSid}:fc_1`,
    );
    await publish(
      { kind: 'transcript', callSid, role: 'event', text: 'the caller pressed 4', itemId: 'ev_1', at: at(3) },
      `transcript:${callSid}:ev_1`,
    );
    const transcript = await eventually(
      () => stack.client.callTranscript({ callSid }),
      (t) => t.segments.length === 2,
    );
    expect(transcript.segments).toEqual([
      { role: 'event', text: 'the caller pressed 4', at: at(3) },
      { role: 'tool', text: '{"booked":true}', at: at(8), tool },
    ]);
  });
});
