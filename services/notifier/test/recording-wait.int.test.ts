import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callSidOf, eventually, type NotifierStack, placeCall, startNotifierStack } from './support.js';

/** Short enough for a test, long enough for the recording that comes a moment after the end. */
const WAIT_MS = 4_000;
const recordingSid = (callSid: string) => `RE${callSid.slice(2)}`;

describe('a recorded call’s end-of-call report waits for its recording', () => {
  let s: NotifierStack;
  beforeAll(async () => {
    s = await startNotifierStack({ WEBHOOK_RECORDING_WAIT_MS: String(WAIT_MS) });
    await s.client.agentUpsert({
      id: 'recorder',
      instructions: 'Help.',
      voice: 'alloy',
      model: 'gpt-realtime',
      record: true,
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  const delivered = (callSid: string, type: string) =>
    s.receiver.accepted.filter((r) => callSidOf(r) === callSid && r.json.type === type);

  it('carries the recording Twilio finished after the call ended, and the later status still comes after it', async () => {
    await s.subscribe(['call.ended', 'call.status']);
    const callSid = await placeCall(s, { agentId: 'recorder' });
    // Twilio's recording status callback, a moment after the end (as the gateway publishes it).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(delivered(callSid, 'call.ended')).toHaveLength(0);
    const sid = recordingSid(callSid);
    await s.events.publish(
      {
        kind: 'recording',
        callSid,
        at: new Date().toISOString(),
        recordingSid: sid,
        status: 'completed',
        durationSeconds: 7,
        channels: 2,
      },
      { msgId: `recording.${sid}.completed` },
    );
    const [ended] = await eventually(
      async () => delivered(callSid, 'call.ended'),
      (list) => list.length > 0,
    );
    const recording = { sid, durationSeconds: 7, channels: 2 };
    const data = ended?.json.data as { recording?: unknown; call: { recording: unknown } };
    expect(data.recording).toEqual(recording);
    expect(data.call.recording).toEqual(recording);
    expect(ended?.verified).toBe(true);
    // Twilio's `completed`, published after the end, is delivered after the report it waited behind.
    const all = await eventually(
      async () => s.receiver.accepted.filter((r) => callSidOf(r) === callSid),
      (list) => list.length >= 2,
    );
    expect(all.map((r) => r.json.type)).toEqual(['call.ended', 'call.status']);
  });

  it('sends the report without a recording once the bound has passed and none came', async () => {
    await s.subscribe(['call.ended']);
    const callSid = await placeCall(s, { agentId: 'recorder' });
    const call = await s.client.callBySid({ callSid });
    const [ended] = await eventually(
      async () => delivered(callSid, 'call.ended'),
      (list) => list.length > 0,
      WAIT_MS * 3,
    );
    expect(Date.now() - Date.parse(call.endedAt ?? '')).toBeGreaterThanOrEqual(WAIT_MS);
    const data = ended?.json.data as { recording?: unknown; call: { recording: unknown } };
    expect(data).not.toHaveProperty('recording');
    expect(data.call.recording).toBeNull();
  });

  it('sends the report at once when Twilio says the recording is absent (too short)', async () => {
    await s.subscribe(['call.ended']);
    const callSid = await placeCall(s, { agentId: 'recorder' });
    const call = await s.client.callBySid({ callSid });
    const sid = recordingSid(callSid);
    await s.events.publish(
      {
        kind: 'recording',
        callSid,
        at: new Date().toISOString(),
        recordingSid: sid,
        status: 'absent',
        errorCode: '16101',
      },
      { msgId: `recording.${sid}.absent` },
    );
    const [ended] = await eventually(
      async () => delivered(callSid, 'call.ended'),
      (list) => list.length > 0,
    );
    expect(Date.now() - Date.parse(call.endedAt ?? '')).toBeLessThan(WAIT_MS);
    expect(ended?.json.data).not.toHaveProperty('recording');
  });

  it('does not hold the report of a call whose agent does not record', async () => {
    await s.subscribe(['call.ended']);
    const callSid = await placeCall(s);
    const call = await s.client.callBySid({ callSid });
    await eventually(
      async () => delivered(callSid, 'call.ended'),
      (list) => list.length > 0,
    );
    expect(Date.now() - Date.parse(call.endedAt ?? '')).toBeLessThan(WAIT_MS);
  });
});
