import { describe, expect, it } from 'vitest';
import { VOICEMAIL_MAX_WAIT_MS } from '../src/bridge/call-bridge.js';
import {
  BridgeHarness,
  callerAudio,
  control,
  created,
  delta,
  done,
  echo,
  found,
  open,
  ready,
  speech,
  stored,
} from './bridge-harness.js';

// Issue 11: a machine answered an outbound call and its greeting is over (the gateway's AMD callback, told
// to the worker as `voicemail`): the agent stops, leaves the message, and the call ends once it has played.

const MESSAGE = 'Hi, this is Ada from the clinic: your appointment is tomorrow at 10.';

describe('leaving a voicemail message', () => {
  it('while the agent talks to the machine: its audio is cleared, its response cancelled, then the message', () => {
    const h = new BridgeHarness().quiet();
    // The agent answers the machine's greeting; 40 ms of it has played.
    h.feed(created('r1'), delta('r1', 'i1'), delta('r1', 'i1'), echo('1'));
    expect(h.feed(control(1, { action: 'voicemail', text: MESSAGE }))).toEqual([
      'control accepted',
      'twilio clear',
      'rt1 response.cancel r1',
      'rt1 truncate i1 at 20ms',
    ]);
    // The cancelled response ends; only then is the message asked for.
    expect(h.feed(done('r1'))).toEqual([`rt1 response.create (voicemail: ${MESSAGE})`]);
    const asked = h.outputs.findLast((o) => o.to === 'realtime' && o.message.type === 'response.create');
    expect(asked).toMatchObject({ message: { response: { tool_choice: 'none' } } });
    h.feed(created('v1'), delta('v1', 'iv'), done('v1'));
    // Nothing ends while the message is still playing at Twilio.
    expect(h.feed(echo('2'))).toEqual([]);
    expect(h.feed(echo('3'))).toEqual([
      'event stream stopped',
      'event ended agent-ended (confirm)',
      'close rt1',
    ]);
    expect(h.outputs.findLast((o) => o.to === 'publish')).toMatchObject({
      event: {
        kind: 'ended',
        reason: 'agent-ended',
        detail: 'an answering machine answered: the message was left',
      },
    });
    expect(h.feed(stored())).toEqual(['end agent-ended']);
  });

  it('when the agent is quiet the message goes at once', () => {
    const h = new BridgeHarness().quiet();
    expect(h.feed(control(1, { action: 'voicemail', text: MESSAGE }))).toEqual([
      'control accepted',
      `rt1 response.create (voicemail: ${MESSAGE})`,
    ]);
  });

  it('the machine is not heard while the message plays: no audio to the model, no barge-in', () => {
    const h = new BridgeHarness().quiet();
    expect(h.feed(callerAudio(1))).toEqual(['rt1 append 1']);
    h.feed(control(1, { action: 'voicemail', text: MESSAGE }), created('v1'), delta('v1', 'iv'));
    expect(h.feed(callerAudio(2), callerAudio(3))).toEqual([]);
    // Speech the model had heard before: it interrupts nothing.
    expect(h.feed(speech('c1'))).toEqual([]);
    expect(h.feed(done('v1'), echo('1'))).toEqual([
      'event stream stopped',
      'event ended agent-ended (confirm)',
      'close rt1',
    ]);
  });

  it('before the first session is ready: no greeting, the message is all the machine hears', () => {
    const h = new BridgeHarness();
    h.start();
    h.feed(found());
    expect(h.feed(control(1, { action: 'voicemail', text: MESSAGE }))).toEqual(['control accepted']);
    // The machine's audio meanwhile is not held for the session: it would only be heard after the message.
    expect(h.feed(callerAudio(4), callerAudio(5))).toEqual([]);
    expect(h.feed(open(1), ready(1))).toEqual([
      'rt1 session.update',
      `rt1 response.create (voicemail: ${MESSAGE})`,
    ]);
  });

  it('a message that never finishes playing still ends the call', () => {
    const h = new BridgeHarness().quiet();
    h.feed(control(1, { action: 'voicemail', text: MESSAGE }), created('v1'), delta('v1', 'iv'));
    expect(h.advance(VOICEMAIL_MAX_WAIT_MS - 1)).toEqual([]);
    expect(h.advance(1)).toEqual(['event stream stopped', 'event ended agent-ended (confirm)', 'close rt1']);
  });

  it('a second voicemail, or a say, while the message plays is refused: the call is ending', () => {
    const h = new BridgeHarness().quiet();
    h.feed(control(1, { action: 'voicemail', text: MESSAGE }));
    expect(h.feed(control(2, { action: 'voicemail', text: MESSAGE }))).toEqual([
      'control refused CALL_ENDED',
    ]);
    expect(h.feed(control(3, { action: 'say', text: 'hello' }))).toEqual(['control refused CALL_ENDED']);
  });
});
