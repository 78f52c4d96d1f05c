import { describe, expect, it } from 'vitest';
import { REPLAY_FRAMES } from '../src/bridge/caller-input.js';
import { CONTINUATION_NOTE, SEED_MAX_CHARS } from '../src/bridge/conversation-history.js';
import {
  OLD_SESSION_LINGER_MS,
  REALTIME_FAILURE_BUDGET,
  REDIAL_DELAYS_MS,
  ROLLOVER_FORCE_MS,
  STABLE_SESSION_MS,
} from '../src/bridge/realtime-sessions.js';
import {
  agentSaid,
  BridgeHarness,
  callerAudio,
  callerSaid,
  closed,
  created,
  delta,
  done,
  echo,
  OPTIONS,
  open,
  ready,
  STREAM_SID,
  speech,
  speechStopped,
} from './bridge-harness.js';

const MAX = OPTIONS.sessionMaxMs;

/** A live call in which the caller and the agent said one thing each. */
function conversation(): BridgeHarness {
  const h = new BridgeHarness().live();
  h.feed(speech('u1', 0), speechStopped('u1', 800), callerSaid('u1', 'I would like to book a table.'));
  h.feed(created('r1'), delta('r1', 'i1'), done('r1'), echo('1'), agentSaid('i1', 'For how many people?'));
  return h;
}

describe('a planned move before the session limit', () => {
  it('dials a replacement at REALTIME_SESSION_MAX_MS and seeds it with the conversation so far', () => {
    const h = conversation();
    expect(h.advance(MAX)).toEqual(['dial rt2 gpt-realtime for rollover']);
    expect(h.feed(open(2))).toEqual([
      'rt2 session.update',
      `rt2 item system: ${CONTINUATION_NOTE}`,
      'rt2 item user: I would like to book a table.',
      'rt2 item assistant: For how many people?',
    ]);
  });

  it('moves when nobody speaks: caller audio goes to the new session, the old one lingers, an event marks it', () => {
    const h = conversation();
    h.advance(MAX);
    h.feed(open(2));
    expect(h.feed(callerAudio(1, 100))).toEqual(['rt1 append 1']);
    expect(h.feed(ready(2))).toEqual([
      'event event "the call moved to a new Realtime session before the previous one’s time limit, after 3300 s" at 2026-11-27T10:55:00.000Z',
    ]);
    expect(h.feed(callerAudio(2, 120))).toEqual(['rt2 append 2']);
    // The old session still owes transcripts for a moment; nothing else it says counts.
    expect(h.feed(callerSaid('u2', 'Four.', 1))).toEqual([expect.stringContaining('event caller "Four."')]);
    expect(h.feed(delta('r9', 'i9', undefined, 1))).toEqual([]);
    expect(h.advance(OLD_SESSION_LINGER_MS)).toEqual(['close rt1']);
    // The new session's own limit runs from its start.
    expect(h.timers.get('session-max')).toBe(h.now - OLD_SESSION_LINGER_MS + MAX);
  });

  it('waits while the agent speaks or the caller is in a turn, and moves at the next quiet moment', () => {
    const h = conversation();
    h.advance(MAX);
    h.feed(created('r2'), delta('r2', 'i2'));
    h.feed(open(2));
    expect(h.feed(ready(2))).toEqual([]);
    expect(h.feed(done('r2'))).toEqual([]); // its audio is still playing at Twilio
    h.feed(speech('u3', 2_000));
    expect(h.feed(echo('2'))).toEqual([]); // the caller is talking
    expect(h.feed(speechStopped('u3', 2_600))).toEqual([
      expect.stringMatching(/^event event "the call moved/),
    ]);
  });

  it('moves anyway when no quiet moment comes within ROLLOVER_FORCE_MS', () => {
    const h = conversation();
    h.advance(MAX);
    h.feed(open(2), speech('u3', 2_000), ready(2));
    expect(h.advance(ROLLOVER_FORCE_MS)).toEqual([expect.stringMatching(/^event event "the call moved/)]);
    expect(h.feed(callerAudio(9, 5_000))).toEqual(['rt2 append 9']);
  });

  it('each move’s segment has an id of its own, unique in the call across streams', () => {
    const h = conversation();
    h.advance(MAX);
    h.feed(open(2), ready(2));
    const moved = h.outputs.find(
      (o) => o.to === 'publish' && o.event.kind === 'transcript' && o.event.role === 'event',
    );
    expect(moved).toMatchObject({ event: { itemId: `${STREAM_SID}:session-2` } });
  });

  it('a call moves any number of times, each new session seeded with all of it', () => {
    const h = conversation();
    for (let n = 2; n <= 4; n++) {
      expect(h.advance(MAX)).toEqual([`dial rt${n} gpt-realtime for rollover`]);
      const seeded = h.feed(open(n));
      expect(seeded.filter((line) => line.includes('item user'))).toHaveLength(n - 1);
      h.feed(ready(n));
      h.feed(speech(`u${n}`, 0, n), speechStopped(`u${n}`, 500, n), callerSaid(`u${n}`, `answer ${n}`, n));
      h.advance(OLD_SESSION_LINGER_MS);
    }
    const events = h.outputs.filter((o) => o.to === 'publish' && o.event.kind === 'transcript');
    expect(
      events.filter((o) => o.to === 'publish' && o.event.kind === 'transcript' && o.event.role === 'event'),
    ).toHaveLength(3);
  });

  it('seeds at most SEED_MAX_CHARS of the most recent talk, and says the start is left out', () => {
    const h = new BridgeHarness().live();
    const line = 'x'.repeat(SEED_MAX_CHARS / 4);
    for (let i = 0; i < 6; i++) h.feed(callerSaid(`u${i}`, `${i}${line}`));
    h.advance(MAX);
    const seeded = h.feed(open(2)).filter((l) => l.includes(' item '));
    expect(seeded[0]).toContain('The earliest part of the call is left out.');
    expect(
      seeded.slice(1).map((l) => l.slice('rt2 item user: '.length, 'rt2 item user: '.length + 1)),
    ).toEqual(['3', '4', '5']);
  });

  it('a replacement that fails is dialled again; the current session goes on meanwhile', () => {
    const h = conversation();
    h.advance(MAX);
    expect(h.feed(closed(2, 'did not open'))).toEqual(['dial rt3 gpt-realtime for rollover']);
    expect(h.feed(callerAudio(1))).toEqual(['rt1 append 1']);
  });
});

describe('a session lost while the call goes on', () => {
  it('holds caller audio, dials a new session seeded with the conversation, and does not greet twice', () => {
    const h = conversation();
    expect(h.feed(closed(1, 'closed 1001 Your session hit the maximum duration of 60 minutes.'))).toEqual([
      'dial rt2 gpt-realtime for recover',
    ]);
    h.feed(callerAudio(7, 1_000));
    expect(h.feed(open(2))).toContain('rt2 item assistant: For how many people?');
    expect(h.feed(ready(2))).toEqual([
      'rt2 append 7',
      expect.stringMatching(
        /^event event "the call moved to a new Realtime session: the previous one closed \(closed 1001 Your session/,
      ),
    ]);
  });

  it('sends the new session what the lost one may not have heard: the frames since its last turn', () => {
    const h = new BridgeHarness().live();
    h.feed(callerAudio(1, 0), callerAudio(2, 20), callerAudio(3, 40), callerAudio(4, 60));
    h.feed(speech('u1', 0), speechStopped('u1', 40));
    h.feed(closed(1), callerAudio(5, 80), open(2));
    expect(h.feed(ready(2))).toEqual([
      'rt2 append 3',
      'rt2 append 4',
      'rt2 append 5',
      expect.stringMatching(/^event event "the call moved/),
    ]);
  });

  it('replays at most REPLAY_FRAMES frames', () => {
    const h = new BridgeHarness().live();
    for (let i = 0; i < REPLAY_FRAMES + 5; i++) h.feed(callerAudio(i % 256, i * 20));
    h.feed(closed(1), open(2));
    const out = h.feed(ready(2));
    expect(out.filter((line) => line.startsWith('rt2 append'))).toHaveLength(REPLAY_FRAMES);
    expect(out[0]).toBe('rt2 append 5');
  });

  it('speech offsets on the new session count from the first frame it was sent', () => {
    const h = new BridgeHarness().live();
    h.feed(closed(1), callerAudio(7, 5_000), open(2), ready(2));
    expect(h.feed(speech('u9', 200, 2), callerSaid('u9', 'Hello?', 2))).toEqual([
      'event caller "Hello?" at 2026-11-27T10:00:05.200Z',
    ]);
  });

  it('a replacement being prepared takes over at once', () => {
    const h = conversation();
    h.advance(MAX);
    h.feed(open(2), created('r5'), delta('r5', 'i5'), ready(2));
    expect(h.feed(closed(1))).toEqual([expect.stringMatching(/^event event "the call moved/)]);
    expect(h.feed(callerAudio(3))).toEqual(['rt2 append 3']);
  });

  it(`gives up after ${REALTIME_FAILURE_BUDGET} failed sockets in a row, pausing more before each`, () => {
    const h = new BridgeHarness().live();
    expect(h.feed(closed(1))).toEqual(['dial rt2 gpt-realtime for recover']);
    expect(h.feed(closed(2, 'did not open'))).toEqual([]);
    expect(h.advance(REDIAL_DELAYS_MS[1] - 1)).toEqual([]);
    expect(h.advance(1)).toEqual(['dial rt3 gpt-realtime for recover']);
    h.feed(closed(3, 'did not open'));
    expect(h.advance(REDIAL_DELAYS_MS[2])).toEqual(['dial rt4 gpt-realtime for recover']);
    expect(h.feed(closed(4, 'did not open'))).toEqual([
      'event stream stopped',
      'event ended realtime-failed (confirm)',
    ]);
  });

  it(`a session that stayed up ${STABLE_SESSION_MS / 1000} s was no failure: the budget starts afresh`, () => {
    const h = new BridgeHarness().live();
    for (let n = 1; n <= REALTIME_FAILURE_BUDGET + 2; n++) {
      h.advance(STABLE_SESSION_MS);
      expect(h.feed(closed(n))).toEqual([`dial rt${n + 1} gpt-realtime for recover`]);
      h.feed(open(n + 1), ready(n + 1));
    }
  });
});
