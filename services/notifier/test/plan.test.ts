import type { Call, CallEvent, WebhookWithSecret } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import {
  awaitsRecording,
  candidateTypes,
  deliveryIdFor,
  planDeliveries,
  recordingDecision,
  typesFor,
  withRecording,
} from '../src/plan.js';

const callSid = `CA${'a'.repeat(32)}`;
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s)).toISOString();

function call(overrides: Partial<Call> = {}): Call {
  return {
    callSid,
    direction: 'inbound',
    from: '+15551230000',
    to: '+15559870000',
    status: 'in-progress',
    agent: { id: 'default', instructions: 'Help.', voice: 'alloy', model: 'gpt-realtime' },
    createdAt: at(0),
    updatedAt: at(1),
    answeredAt: at(1),
    endedAt: null,
    durationSeconds: null,
    endedReason: null,
    recording: null,
    answeredBy: null,
    ...overrides,
  };
}

function sub(overrides: Partial<WebhookWithSecret> = {}): WebhookWithSecret {
  return {
    id: 'wh_000000000000000000000001',
    url: 'https://hooks.example.com/',
    events: ['call.started', 'call.status', 'call.transcript', 'call.ended'],
    agentId: null,
    createdAt: at(0),
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    ...overrides,
  };
}

describe('which webhooks an event brings', () => {
  it('starts a call once: the event that set answeredAt, not a later stream', () => {
    const started: CallEvent = { kind: 'stream', callSid, at: at(1), action: 'started', streamSid: 'MZ1' };
    const again: CallEvent = { kind: 'stream', callSid, at: at(30), action: 'started', streamSid: 'MZ2' };
    expect(typesFor(started, call(), candidateTypes(started))).toEqual(['call.started']);
    expect(typesFor(again, call(), candidateTypes(again))).toEqual([]);
  });

  it('ends a call once: whichever of ended, stopped or completed set endedAt', () => {
    const ended = call({ status: 'completed', endedAt: at(60), endedReason: 'agent-ended' });
    const endedEvent: CallEvent = { kind: 'ended', callSid, at: at(60), reason: 'agent-ended' };
    const stopped: CallEvent = { kind: 'stream', callSid, at: at(61), action: 'stopped', streamSid: 'MZ1' };
    const completed: CallEvent = { kind: 'status', callSid, at: at(62), status: 'completed' };
    expect(typesFor(endedEvent, ended, candidateTypes(endedEvent))).toEqual(['call.ended']);
    expect(typesFor(stopped, ended, candidateTypes(stopped))).toEqual([]);
    expect(typesFor(completed, ended, candidateTypes(completed))).toEqual(['call.status']);
    // A transfer's stop leaves the call live: no end.
    const transferred: CallEvent = { ...stopped, reason: 'transferred' };
    expect(typesFor(transferred, call(), candidateTypes(transferred))).toEqual([]);
  });

  it("ends a call the registry ended for a lost worker: its ended (worker-lost) event at the call's endedAt", () => {
    const lost = call({ status: 'completed', endedAt: at(45), endedReason: 'worker-lost' });
    const lostEvent: CallEvent = { kind: 'ended', callSid, at: at(45), reason: 'worker-lost' };
    expect(typesFor(lostEvent, lost, candidateTypes(lostEvent))).toEqual(['call.ended']);
    // Not for a call that another event had ended earlier (its call.ended came from that one).
    const earlier = call({ status: 'completed', endedAt: at(40), endedReason: 'worker-lost' });
    expect(typesFor(lostEvent, earlier, candidateTypes(lostEvent))).toEqual([]);
  });

  it('gives each subscription what it asked for, for its agent, for events stored after its creation', () => {
    const event: CallEvent = {
      kind: 'transcript',
      callSid,
      at: at(5),
      role: 'caller',
      text: 'Hi',
      itemId: 'i1',
    };
    const subs = [
      sub(),
      sub({ id: 'wh_000000000000000000000002', events: ['call.ended'] }),
      sub({ id: 'wh_000000000000000000000003', agentId: 'sales' }),
      sub({ id: 'wh_000000000000000000000004', createdAt: at(6) }),
    ];
    const planned = planDeliveries({
      event,
      eventId: 'transcript:x:i1',
      seq: 42,
      storedAt: Date.parse(at(5)),
      call: call(),
      transcript: undefined,
      types: ['call.transcript'],
      subscriptions: subs,
    });
    expect(planned.map((d) => d.webhookId)).toEqual(['wh_000000000000000000000001']);
    expect(planned[0]).toMatchObject({ callSid, type: 'call.transcript', sourceSeq: 42 });
    expect(JSON.parse(planned[0]?.body ?? '')).toEqual({
      type: 'call.transcript',
      timestamp: at(5),
      data: { callSid, segment: { role: 'caller', text: 'Hi', at: at(5) } },
    });
  });

  it('names a delivery the same every time, once per call for a start or an end', () => {
    const a = deliveryIdFor('wh_000000000000000000000001', 'call.ended', callSid, 'ended:1');
    expect(deliveryIdFor('wh_000000000000000000000001', 'call.ended', callSid, 'stream:stopped')).toBe(a);
    expect(deliveryIdFor('wh_000000000000000000000002', 'call.ended', callSid, 'ended:1')).not.toBe(a);
    expect(deliveryIdFor('wh_000000000000000000000001', 'call.status', callSid, 'status:1')).not.toBe(
      deliveryIdFor('wh_000000000000000000000001', 'call.status', callSid, 'status:2'),
    );
    expect(a).toMatch(/^msg_[A-Za-z0-9_-]{32}$/);
  });
});

describe('a recorded call’s report and its recording', () => {
  const recording = { sid: `RE${'b'.repeat(32)}`, durationSeconds: 12, channels: 2 };
  const recordingAgent = {
    id: 'rec',
    instructions: 'Help.',
    voice: 'alloy',
    model: 'gpt-realtime',
    record: true,
  };
  const ended = call({ status: 'completed', endedAt: at(10), agent: recordingAgent });
  const endMs = Date.parse(at(10));
  const waitMs = 120_000;

  it('sends at once when the agent does not record, or the report already has the recording', () => {
    const plain = call({ status: 'completed', endedAt: at(10) });
    expect(awaitsRecording(plain)).toBe(false);
    expect(recordingDecision(plain, undefined, endMs, waitMs)).toEqual({ kind: 'send', recording: null });
    const withIt = { ...ended, recording };
    expect(awaitsRecording(withIt)).toBe(false);
    expect(recordingDecision(withIt, withIt, endMs, waitMs)).toEqual({ kind: 'send', recording: null });
    expect(awaitsRecording({ ...ended, agent: { ...recordingAgent, record: false } })).toBe(false);
  });

  it('holds the report until the registry has the recording, then sends it with it', () => {
    expect(awaitsRecording(ended)).toBe(true);
    expect(recordingDecision(ended, ended, endMs + 3_000, waitMs)).toEqual({ kind: 'hold' });
    // The registry could not be asked: still within the bound, so asked again later.
    expect(recordingDecision(ended, undefined, endMs + 3_000, waitMs)).toEqual({ kind: 'hold' });
    expect(recordingDecision(ended, { ...ended, recording }, endMs + 3_000, waitMs)).toEqual({
      kind: 'send',
      recording,
    });
    // Came after the bound (a retried attempt): still added, so every attempt of the delivery says the same.
    expect(recordingDecision(ended, { ...ended, recording }, endMs + waitMs + 1, waitMs)).toEqual({
      kind: 'send',
      recording,
    });
  });

  it('sends without the recording once the bound has passed since the call ended', () => {
    expect(recordingDecision(ended, ended, endMs + waitMs - 1, waitMs)).toEqual({ kind: 'hold' });
    expect(recordingDecision(ended, ended, endMs + waitMs, waitMs)).toEqual({
      kind: 'send',
      recording: null,
    });
    expect(recordingDecision(ended, undefined, endMs + waitMs, waitMs)).toEqual({
      kind: 'send',
      recording: null,
    });
    // This replica saw the recording end without one (absent, failed): no reason to wait.
    expect(recordingDecision(ended, ended, endMs + 1_000, waitMs, true)).toEqual({
      kind: 'send',
      recording: null,
    });
    expect(recordingDecision({ ...ended, endedAt: null }, ended, endMs, waitMs)).toEqual({
      kind: 'send',
      recording: null,
    });
  });

  it('adds the recording to the report’s data and its Call, keeping the rest as it was', () => {
    const body = JSON.stringify({
      type: 'call.ended',
      timestamp: at(10),
      data: { call: ended, transcript: { segments: [] }, endedReason: 'agent-ended' },
    });
    const patched = JSON.parse(withRecording(body, recording));
    expect(patched).toEqual({
      type: 'call.ended',
      timestamp: at(10),
      data: {
        call: { ...ended, recording },
        transcript: { segments: [] },
        endedReason: 'agent-ended',
        recording,
      },
    });
  });
});
