import type { Agent } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KEYPAD_PAUSE_MS } from '../src/bridge/keypad.js';
import { AGENT, BridgeHarness, created, delta, done, echo, fnCall, found, speech } from './bridge-harness.js';

const key = (digit: string, n = 1) => ({ kind: 'caller-dtmf' as const, digit, sequenceNumber: String(n) });
const GATHERS: Agent = { ...AGENT, keypad: { maxDigits: 6 } };

describe('keys the caller presses', () => {
  it('without a keypad setting, each key goes to the model at once, and is an event of the call', () => {
    const h = new BridgeHarness().quiet();
    expect(h.feed(key('4'))).toEqual([
      'event dtmf 4',
      'rt1 item user: The caller pressed 4 on the phone keypad.',
      'rt1 response.create',
      'event event "the caller pressed 4" at 2026-11-27T10:00:00.000Z',
    ]);
  });

  it('with one, keys are gathered until the terminator (#, not passed on)', () => {
    const h = new BridgeHarness().quiet(GATHERS);
    expect(h.feed(key('1', 1), key('2', 2), key('3', 3))).toEqual([
      'event dtmf 1',
      'event dtmf 2',
      'event dtmf 3',
    ]);
    expect(h.feed(key('#', 4))).toEqual([
      'event dtmf #',
      'rt1 item user: The caller entered 123 on the phone keypad.',
      'rt1 response.create',
      'event event "the caller entered 123 on the keypad" at 2026-11-27T10:00:00.000Z',
    ]);
  });

  it('…or a pause (the keypad-pause timer, counted from the last key)', () => {
    const h = new BridgeHarness().quiet(GATHERS);
    h.feed(key('7', 1));
    h.advance(DEFAULT_KEYPAD_PAUSE_MS - 500);
    h.feed(key('8', 2));
    expect(h.advance(DEFAULT_KEYPAD_PAUSE_MS - 1)).toEqual([]);
    expect(h.advance(1)).toEqual([
      'rt1 item user: The caller entered 78 on the phone keypad.',
      'rt1 response.create',
      'event event "the caller entered 78 on the keypad" at 2026-11-27T10:00:00.000Z',
    ]);
  });

  it('…or maxDigits', () => {
    const h = new BridgeHarness().quiet({
      ...AGENT,
      keypad: { maxDigits: 2, terminator: null, pauseMs: 4_000 },
    });
    expect(h.feed(key('5', 1), key('#', 2))).toContain(
      'rt1 item user: The caller entered 5# on the phone keypad.',
    );
    expect(h.timers.has('keypad-pause')).toBe(false);
  });

  it('keys pressed while the call is looked up wait for the agent, then count', () => {
    const h = new BridgeHarness();
    h.start();
    expect(h.feed(key('9'))).toEqual([]);
    expect(h.feed(found(), { kind: 'realtime-open', connection: 1 })).toEqual([
      'event stream started',
      'event dtmf 9',
      'event event "the caller pressed 9" at 2026-11-27T10:00:00.000Z',
      'rt1 session.update',
    ]);
    // The greeting first; the model answers the key once it is over.
    expect(h.feed({ kind: 'session-ready', connection: 1 })).toEqual([
      'rt1 item user: The caller pressed 9 on the phone keypad.',
      'rt1 response.create',
    ]);
    expect(h.feed(created('greet'), done('greet'))).toEqual(['rt1 response.create']);
  });
});

describe('keys the agent presses (send_dtmf)', () => {
  /** The mark names of the tone chunks sent in `lines`. */
  const toneMarks = (lines: string[]) =>
    lines.filter((l) => l.startsWith('twilio media')).map((l) => l.split(' ').at(-1) as string);

  it('tones play once the agent’s audio has; the call is answered once their last mark is echoed', () => {
    const h = new BridgeHarness().quiet();
    h.feed(created('r1'), delta('r1', 'i1'), fnCall('send_dtmf', { digits: '12' }, 'call_d'));
    expect(h.feed(done('r1'))).toEqual([]); // "Pressing one, two" still plays
    const tones = h.feed(echo('1'));
    expect(tones).toHaveLength(18); // two keys of 180 ms, 20 ms a chunk
    expect(tones.every((l) => /^twilio media 20ms mark \d+$/.test(l))).toBe(true);
    const marks = toneMarks(tones);
    expect(h.feed(echo(marks.at(-2) as string))).toEqual([]);
    expect(h.feed(echo(marks.at(-1) as string))).toEqual([
      'rt1 output call_d: {"pressed":"12"}',
      'event tool send_dtmf ok: pressed 12',
      'rt1 response.create',
    ]);
  });

  it('the other side speaking over the tones alone does not cut them', () => {
    const h = new BridgeHarness().quiet();
    h.feed(created('r1'), fnCall('send_dtmf', { digits: '3' }, 'call_d'), done('r1'));
    expect(h.feed(speech('u1'))).toEqual([]);
  });

  it('a barge-in over the agent’s speech queued after them cuts both, and says how far the keys got', () => {
    const h = new BridgeHarness().quiet();
    h.feed(created('r1'), fnCall('send_dtmf', { digits: '34' }, 'call_d'));
    const marks = toneMarks(h.feed(done('r1')));
    h.feed(echo(marks[8] as string)); // the first key and its pause have played
    h.feed(created('r2'), delta('r2', 'i2'));
    expect(h.feed(speech('u1'))).toEqual([
      'twilio clear',
      'rt1 response.cancel r2',
      'rt1 delete i2',
      'rt1 output call_d: {"error":"the caller spoke over the tones: only \\"3\\" of \\"34\\" was pressed"}',
      'event tool send_dtmf error: the caller spoke over the tones: only "3" of "34" was pressed',
    ]);
  });

  it.each([['{"digits":"12a"}'], ['{"digits":""}'], ['{}']])('refuses %s', (args) => {
    const h = new BridgeHarness().quiet();
    expect(h.feed(created('r1'), fnCall('send_dtmf', args, 'call_d'), done('r1'))).toEqual([
      'rt1 output call_d: {"error":"digits must be 1 to 32 of 0-9, * and #"}',
      'event tool send_dtmf error: digits must be 1 to 32 of 0-9, * and #',
      'rt1 response.create',
    ]);
  });
});
