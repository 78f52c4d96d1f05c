import { describe, expect, it } from 'vitest';
import { GOODBYE_MAX_WAIT_MS } from '../src/bridge/call-bridge.js';
import { STREAM_ENDINGS } from '../src/bridge/endings.js';
import { ENDED_ACK_WAIT_MS } from '../src/bridge/stream-ending.js';
import { TIMERS } from '../src/bridge/timers.js';
import {
  BridgeHarness,
  CALL_SID,
  callerAudio,
  closed,
  created,
  delta,
  done,
  echo,
  endCall,
  found,
  OPTIONS,
  open,
  STREAM_SID,
  stored,
} from './bridge-harness.js';

describe('the start of a stream', () => {
  it('a socket that sends no start in time is closed', () => {
    const h = new BridgeHarness();
    expect(h.feed({ kind: 'stream-opened' })).toEqual([]);
    expect(h.timers.get('stream-start')).toBe(h.now + OPTIONS.streamStartTimeoutMs);
    expect(h.advance(OPTIONS.streamStartTimeoutMs - 1)).toEqual([]);
    expect(h.advance(1)).toEqual(['end no-start']);
  });

  it('a start clears the deadline', () => {
    const h = new BridgeHarness();
    h.start();
    expect(h.timers.has('stream-start')).toBe(false);
    expect(h.advance(OPTIONS.streamStartTimeoutMs)).not.toContain('end no-start');
  });

  it.each([
    { parameter: undefined, detail: 'the stream has no callSid parameter' },
    {
      parameter: `CA${'f'.repeat(32)}`,
      detail: 'the callSid parameter does not match the call of the stream',
    },
  ])(
    'a start whose callSid parameter is $parameter ends the stream, and publishes nothing',
    ({ parameter, detail }) => {
      const h = new BridgeHarness();
      h.feed({ kind: 'stream-opened' });
      const lines = h.feed({
        kind: 'twilio-start',
        callSid: CALL_SID,
        streamSid: STREAM_SID,
        callSidParameter: parameter,
      });
      expect(lines).toEqual(['end bad-start']);
      expect(h.outputs.at(-1)).toEqual({ to: 'end', reason: 'bad-start', detail });
    },
  );

  it('media and a second start before or after are ignored, not fatal', () => {
    const h = new BridgeHarness();
    h.feed({ kind: 'stream-opened' });
    expect(h.feed(callerAudio(1))).toEqual(['ignored: media before start']);
    h.start();
    expect(
      h.feed({ kind: 'twilio-start', callSid: CALL_SID, streamSid: STREAM_SID, callSidParameter: CALL_SID }),
    ).toEqual(['ignored: second start']);
  });
});

describe('the lookup', () => {
  it('holds the stream’s events until the registry confirms the call, then publishes them in order', () => {
    const h = new BridgeHarness();
    h.start();
    expect(
      h.feed({ kind: 'caller-dtmf', digit: '1', sequenceNumber: '3' }, { kind: 'twilio-stopped' }),
    ).toEqual(['end twilio-stopped']);
    expect(h.feed(found())).toEqual(['event stream started', 'event dtmf 1', 'event stream stopped']);
  });

  it('drops them for a call the registry does not know', () => {
    const h = new BridgeHarness();
    h.start();
    h.feed({ kind: 'caller-dtmf', digit: '1', sequenceNumber: '3' });
    expect(h.feed({ kind: 'lookup-failed', notFound: true })).toEqual(['end unknown-call']);
    expect(h.outputs.filter((o) => o.to === 'publish')).toEqual([]);
  });

  it('a registry that cannot be asked ends the stream with its own reason', () => {
    const h = new BridgeHarness();
    h.start();
    expect(h.feed({ kind: 'lookup-failed', notFound: false })).toEqual(['end lookup-failed']);
  });
});

describe('session readiness', () => {
  it('a socket that does not open in time is given up and dialled again', () => {
    const h = new BridgeHarness();
    h.start();
    h.feed(found());
    expect(h.advance(OPTIONS.sessionReadyTimeoutMs)).toEqual([
      'close rt1',
      'dial rt2 gpt-realtime for recover',
    ]);
  });

  it('the first socket may wait for a slow lookup: its deadline counts from the session update', () => {
    const h = new BridgeHarness();
    h.start();
    h.feed(open(1));
    expect(h.advance(OPTIONS.sessionReadyTimeoutMs)).toEqual([]);
    expect(h.feed(found())).toEqual(['event stream started', 'rt1 session.update']);
    expect(h.advance(OPTIONS.sessionReadyTimeoutMs)).toEqual([
      'close rt1',
      'dial rt2 gpt-realtime for recover',
    ]);
  });

  it('caller audio waiting longer than MAX_HELD_AUDIO_MS ends the call rather than dropping any', () => {
    const h = new BridgeHarness({ maxHeldAudioMs: 50 });
    h.start();
    expect(h.feed(callerAudio(1), callerAudio(2))).toEqual([]);
    // Its events wait for the lookup, so Twilio's socket waits for them (at most ENDED_ACK_WAIT_MS).
    expect(h.feed(callerAudio(3))).toEqual(['close rt1']);
    expect(h.advance(ENDED_ACK_WAIT_MS)).toEqual(['end realtime-not-ready']);
  });
});

describe('end_call', () => {
  const ENDED = ['event stream stopped', 'event ended agent-ended (confirm)', 'close rt1'];

  it('waits for the response to finish and its audio to play, then ends the stream', () => {
    const h = new BridgeHarness().live();
    expect(
      h.feed(created('r1'), delta('r1', 'i1'), delta('r1', 'i1'), endCall(), done('r1'), echo('1')),
    ).toEqual([
      'twilio media 20ms mark 1',
      'twilio media 20ms mark 2',
      'event tool end_call ok: the agent ended the call',
    ]);
    expect(h.feed(echo('2'))).toEqual(ENDED);
    expect(h.feed(delta('r2', 'i2'), callerAudio(1))).toEqual([]);
    expect(h.feed(stored())).toEqual(['end agent-ended']);
  });

  it('ends at once when nothing is left to play', () => {
    const h = new BridgeHarness().live();
    expect(h.feed(created('r1'), endCall(), done('r1'))).toEqual([
      'event tool end_call ok: the agent ended the call',
      ...ENDED,
    ]);
  });

  it('hangs up after GOODBYE_MAX_WAIT_MS even if Twilio never echoes the last marks', () => {
    const h = new BridgeHarness().live();
    h.feed(created('r1'), delta('r1', 'i1'), endCall(), done('r1'));
    expect(h.advance(GOODBYE_MAX_WAIT_MS - 1)).toEqual([]);
    expect(h.advance(1)).toEqual(ENDED);
  });

  it('a Realtime drop after the goodbye dials nothing: the call ends once the goodbye has played', () => {
    const h = new BridgeHarness().live();
    h.feed(created('r1'), delta('r1', 'i1'), endCall());
    expect(h.feed(closed(1))).toEqual([]);
    expect(h.feed(echo('1'))).toEqual(['event stream stopped', 'event ended agent-ended (confirm)']);
  });
});

describe('closing: Twilio’s socket waits for the ended event', () => {
  it('closes once JetStream has stored it', () => {
    const h = new BridgeHarness().live();
    expect(h.feed({ kind: 'drained' })).toEqual([
      'event stream stopped',
      'event ended drained (confirm)',
      'close rt1',
    ]);
    expect(h.timers.get('ended-ack')).toBe(h.now + ENDED_ACK_WAIT_MS);
    expect(h.feed({ kind: 'event-stored', msgId: 'some other event' })).toEqual([]);
    expect(h.feed(stored())).toEqual(['end drained']);
    expect(h.timers.has('ended-ack')).toBe(false);
  });

  it(`closes after ENDED_ACK_WAIT_MS when it is not stored`, () => {
    const h = new BridgeHarness().live();
    h.feed({ kind: 'drained' });
    expect(h.advance(ENDED_ACK_WAIT_MS - 1)).toEqual([]);
    expect(h.advance(1)).toEqual(['end drained']);
  });

  it('closes at once when Twilio stops or closes meanwhile', () => {
    const h = new BridgeHarness().live();
    h.feed({ kind: 'drained' });
    expect(h.feed({ kind: 'twilio-closed' })).toEqual(['end drained']);
    expect(h.feed(stored(), { kind: 'twilio-stopped' })).toEqual([]);
  });

  it('endings without an ended event close at once', () => {
    const h = new BridgeHarness().live();
    expect(h.feed({ kind: 'twilio-stopped' })).toEqual(['event stream stopped', 'end twilio-stopped']);
  });
});

describe('endings', () => {
  it.each([
    { input: { kind: 'twilio-stopped' } as const, reason: 'twilio-stopped' },
    { input: { kind: 'twilio-closed' } as const, reason: 'twilio-closed' },
    { input: { kind: 'replaced' } as const, reason: 'replaced' },
    { input: { kind: 'drained' } as const, reason: 'drained' },
  ])(
    '$reason: the stream stops, with an ended event only when the worker ended the call',
    ({ input, reason }) => {
      const h = new BridgeHarness().live();
      const lines = h.feed(input);
      const owed = STREAM_ENDINGS[reason as keyof typeof STREAM_ENDINGS].publishEnded;
      expect(lines).toEqual([
        'event stream stopped',
        ...(owed ? [`event ended ${reason} (confirm)`, 'close rt1'] : [`end ${reason}`]),
      ]);
      if (owed) expect(h.feed(stored())).toEqual([`end ${reason}`]);
      expect(h.feed(callerAudio(1), { kind: 'twilio-closed' })).toEqual([]);
    },
  );

  it('the ended event carries the reason and a detail for people', () => {
    const h = new BridgeHarness().live();
    h.feed({ kind: 'drained' });
    const ended = h.outputs.find((o) => o.to === 'publish' && o.event.kind === 'ended');
    expect(ended).toMatchObject({
      event: {
        kind: 'ended',
        callSid: CALL_SID,
        reason: 'drained',
        detail: 'the media worker is shutting down',
      },
      msgId: `ended:${CALL_SID}:${STREAM_SID}`,
    });
  });

  it('an ending clears every timer', () => {
    const h = new BridgeHarness().live();
    expect(h.timers.size).toBeGreaterThan(0);
    h.feed({ kind: 'twilio-stopped' });
    expect(h.timers.size).toBe(0);
  });

  it('every timer the bridge sets is in the table', () => {
    const h = new BridgeHarness().live();
    h.feed(created('r1'), endCall());
    for (const output of h.outputs) {
      if (output.to === 'set-timer') expect(Object.keys(TIMERS)).toContain(output.timer);
    }
  });
});
