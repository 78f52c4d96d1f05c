import type { Call, StreamEndReason } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  callSeconds,
  formatDuration,
  isLive,
  maskNumber,
  mergeSegments,
  viewOfCall,
} from './model.js';

const callSid = `CA${'1'.repeat(32)}`;
const call: Call = {
  callSid,
  direction: 'inbound',
  from: '+15551230000',
  to: '+15559870000',
  status: 'ringing',
  agent: { id: 'default', instructions: 'x', voice: 'alloy', model: 'gpt-realtime' },
  createdAt: '2026-11-27T10:00:00.000Z',
  updatedAt: '2026-11-27T10:00:00.000Z',
  answeredAt: null,
  endedAt: null,
  durationSeconds: null,
  endedReason: null,
  recording: null,
  answeredBy: null,
};

describe('the console model', () => {
  it('moves status forward only, adds transcript lines once, in spoken order, whatever the source', () => {
    let view = viewOfCall(call);
    view = applyEvent(
      view,
      { kind: 'status', callSid, status: 'in-progress', at: '2026-11-27T10:00:02.000Z' },
      5,
    );
    view = applyEvent(
      view,
      { kind: 'status', callSid, status: 'ringing', at: '2026-11-27T10:00:03.000Z' },
      6,
    );
    expect(view.status).toBe('in-progress');
    expect(view.answeredAt).toBe('2026-11-27T10:00:02.000Z');
    const line = { kind: 'transcript' as const, callSid, role: 'agent' as const, itemId: 'i1' };
    view = applyEvent(view, { ...line, text: 'second', at: '2026-11-27T10:00:05.000Z' }, 8);
    view = applyEvent(view, { ...line, text: 'first', at: '2026-11-27T10:00:04.000Z', itemId: 'i0' }, 7);
    // A replayed event (same sequence) and the same segment from the API change nothing.
    view = applyEvent(view, { ...line, text: 'second', at: '2026-11-27T10:00:05.000Z' }, 8);
    view = {
      ...view,
      segments: mergeSegments(view.segments, [
        { role: 'agent', text: 'first', at: '2026-11-27T10:00:04.000Z' },
      ]),
    };
    expect(view.segments.map((s) => s.text)).toEqual(['first', 'second']);
    expect(isLive(view)).toBe(true);
    view = applyEvent(
      view,
      { kind: 'ended', callSid, reason: 'agent-ended', at: '2026-11-27T10:00:09.000Z' },
      9,
    );
    view = applyEvent(
      view,
      { kind: 'status', callSid, status: 'completed', at: '2026-11-27T10:00:10.000Z' },
      10,
    );
    expect(isLive(view)).toBe(false);
    expect(view.endedReason).toBe('agent-ended');
    expect(view.timeline.map((t) => t.label)).toEqual([
      'in-progress',
      'ringing',
      'ended (agent-ended)',
      'completed',
    ]);
    // Ended when the worker said so (the `ended` event), before Twilio's completed callback.
    expect(view.endedAt).toBe('2026-11-27T10:00:09.000Z');
    expect(callSeconds(view, Date.parse('2026-11-27T11:00:00.000Z'))).toBe(7);
  });

  it("ends the call as the registry does: not for a newer stream, not for a transfer, the worker's reason first", () => {
    const at = (s: number) => `2026-11-27T10:00:${String(s).padStart(2, '0')}.000Z`;
    const stream = (action: 'started' | 'stopped', s: number, reason?: StreamEndReason) => ({
      kind: 'stream' as const,
      callSid,
      action,
      streamSid: 'MZ1',
      at: at(s),
      ...(reason ? { reason } : {}),
    });
    let view = applyEvent(viewOfCall(call), stream('started', 1), 1);
    view = applyEvent(view, stream('stopped', 2, 'replaced'), 2);
    expect([isLive(view), view.endedReason]).toEqual([true, null]);
    // A person has the call: it goes on, and says why the agent's stream ended.
    view = applyEvent(view, { kind: 'ended', callSid, reason: 'transferred', at: at(3) }, 3);
    view = applyEvent(view, stream('stopped', 3, 'transferred'), 4);
    expect([isLive(view), view.status, view.endedReason]).toEqual([true, 'in-progress', 'transferred']);
    // Back with the agent (the dial did not connect): the transfer is history.
    view = applyEvent(view, stream('started', 20), 5);
    expect(view.endedReason).toBeNull();
    // The worker's `ended` names the reason; the stopped stream after it does not overwrite it.
    view = applyEvent(view, { kind: 'ended', callSid, reason: 'operator-ended', at: at(30) }, 6);
    view = applyEvent(view, stream('stopped', 30, 'twilio-closed'), 7);
    expect([isLive(view), view.status, view.endedAt, view.endedReason]).toEqual([
      false,
      'completed',
      at(30),
      'operator-ended',
    ]);
    // A lost worker's call, ended by the registry: its `ended` (worker-lost) ends the live call; applied to a
    // call already ended, it fills the reason only if there was none, as the registry does.
    const lost = applyEvent(
      applyEvent(viewOfCall(call), stream('started', 1), 1),
      { kind: 'ended', callSid, reason: 'worker-lost', at: at(9) },
      2,
    );
    expect([isLive(lost), lost.status, lost.endedAt, lost.endedReason]).toEqual([
      false,
      'completed',
      at(9),
      'worker-lost',
    ]);
    const late = applyEvent(view, { kind: 'ended', callSid, reason: 'worker-lost', at: at(40) }, 8);
    expect([late.endedAt, late.endedReason]).toEqual([at(30), 'operator-ended']);
    // From the API: the Call's own reason.
    expect(viewOfCall({ ...call, status: 'completed', endedReason: 'agent-ended' }).endedReason).toBe(
      'agent-ended',
    );
  });

  it('masks numbers and formats durations', () => {
    expect(maskNumber('+15551230000')).toBe('+1555•••0000');
    expect(maskNumber('client:alice')).toBe('cl•••ce');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3_725)).toBe('1:02:05');
  });

  it('shows recordings and who answered in the timeline, a failed start with its reason', () => {
    let view = viewOfCall(call);
    view = applyEvent(
      view,
      { kind: 'answered-by', callSid, answeredBy: 'machine_end_beep', at: '2026-11-27T10:00:06.000Z' },
      2,
    );
    view = applyEvent(
      view,
      {
        kind: 'recording',
        callSid,
        status: 'start-failed',
        detail: 'Twilio did not start the recording',
        at: '2026-11-27T10:00:01.000Z',
      },
      3,
    );
    // In time order, whatever order the stream had them in.
    expect(view.timeline.map((t) => t.label)).toEqual([
      'recording start-failed: Twilio did not start the recording',
      'answered by machine_end_beep',
    ]);
  });
});
