import { describe, expect, it } from 'vitest';
import { type GreetingStore, greetingKey } from '../src/bridge/greeting.js';
import type { BridgeInput, KeptGreeting } from '../src/bridge/types.js';
import {
  AGENT,
  agentSaid,
  audio,
  BridgeHarness,
  callerAudio,
  closed,
  created,
  delta,
  echo,
  found,
  OPTIONS,
  open,
  prepared,
  ready,
  speech,
} from './bridge-harness.js';

describe('a session prepared while the phone rang', () => {
  it('ready: adopted on start, the greeting asked for at once, no dial and no wait for the lookup', () => {
    const h = new BridgeHarness();
    expect(h.startPrepared('ready')).toEqual([
      'claim',
      'event stream started',
      'adopt rt1 prepared for the call',
      'rt1 response.create',
    ]);
    // Caller audio goes straight to it, and the lookup's answer changes nothing.
    expect(h.feed(callerAudio(1, 0))).toEqual(['rt1 append 1']);
    expect(h.feed(found())).toEqual([]);
    expect(h.timers.has('session-ready')).toBe(false);
    expect(h.timers.get('session-max')).toBe(h.now + OPTIONS.sessionMaxMs);
  });

  it('configuring: waits for its session.updated under the session-ready deadline, then greets', () => {
    const h = new BridgeHarness();
    expect(h.startPrepared('configuring')).toEqual([
      'claim',
      'event stream started',
      'adopt rt1 prepared for the call',
    ]);
    expect(h.timers.get('session-ready')).toBe(h.now + OPTIONS.sessionReadyTimeoutMs);
    expect(h.feed(callerAudio(1, 0))).toEqual([]);
    expect(h.feed(ready(1))).toEqual(['rt1 append 1', 'rt1 response.create']);
  });

  it('dialing: configured by the bridge when it opens, with the agent it came with', () => {
    const h = new BridgeHarness();
    h.startPrepared('dialing');
    expect(h.feed(open(1))).toEqual(['rt1 session.update']);
    expect(h.feed(ready(1))).toEqual(['rt1 response.create']);
  });

  it('one that never gets ready is given up at the deadline, and the call dials a new one', () => {
    const h = new BridgeHarness();
    h.startPrepared('configuring');
    expect(h.advance(OPTIONS.sessionReadyTimeoutMs)).toEqual([
      'close rt1',
      'dial rt2 gpt-realtime for recover',
    ]);
  });

  it('is not adopted by a start that does not match its callSid parameter', () => {
    const h = new BridgeHarness();
    const lines = h.startWith({ callSidParameter: `CA${'f'.repeat(32)}`, prepared: prepared() });
    expect(lines).toEqual(['end bad-start']);
  });

  it('is not adopted for another call, nor by a stream back from a transfer (it needs the transcript)', () => {
    const other = new BridgeHarness();
    const otherCall = { ...prepared(), callSid: `CA${'e'.repeat(32)}` };
    expect(other.startWith({ prepared: otherCall })).toEqual(['claim', 'dial rt1 gpt-realtime for first']);

    const back = new BridgeHarness();
    expect(
      back.startWith({ transferFailed: { status: 'busy', target: 'sales' }, prepared: prepared() }),
    ).toEqual(['claim', 'dial rt1 gpt-realtime for first']);
  });

  it('a registry that cannot answer does not end an adopted call; one that does not know it does', () => {
    const h = new BridgeHarness();
    h.startPrepared('ready');
    expect(h.feed({ kind: 'lookup-failed', notFound: false })).toEqual([]);
    expect(h.feed(callerAudio(2, 20))).toEqual(['rt1 append 2']);

    const unknown = new BridgeHarness();
    unknown.startPrepared('ready');
    expect(unknown.feed({ kind: 'lookup-failed', notFound: true })).toContain('end unknown-call');
  });

  it('the call length counts from the answer time the lookup brings', () => {
    const h = new BridgeHarness();
    h.startPrepared('ready', { ...AGENT, maxCallSeconds: 60 });
    expect(h.timers.get('max-call')).toBe(h.now + 60_000);
    h.feed({ kind: 'call-found', agent: AGENT, answeredAt: h.now - 2_000 });
    expect(h.timers.get('max-call')).toBe(h.now - 2_000 + 60_000);
  });
});

/** Greetings kept in a map, as the worker's KeptGreetings keeps them. */
class Greetings implements GreetingStore {
  readonly kept = new Map<string, KeptGreeting>();
  find(key: string): KeptGreeting | undefined {
    return this.kept.get(key);
  }
  has(key: string): boolean {
    return this.kept.has(key);
  }
}

const GREETING_TEXT = 'Hello, thanks for calling, how can I help?';
/** Two chunks of 20 ms. */
function keptGreeting(): Greetings {
  const store = new Greetings();
  const key = greetingKey(AGENT) as string;
  store.kept.set(key, { chunks: [audio(20, 1), audio(20, 2)], text: GREETING_TEXT, durationMs: 40 });
  return store;
}

const completed = (responseId: string, status = 'completed'): BridgeInput => ({
  kind: 'response-done',
  connection: 1,
  responseId,
  status,
});

describe('the greeting, kept', () => {
  it('the first call records the greeting its model said in full, with its transcript', () => {
    const h = new BridgeHarness({ greetings: new Greetings() }).live();
    h.feed(created('greet'), delta('greet', 'i1', audio(20)), delta('greet', 'i1', audio(40)));
    h.feed(agentSaid('i1', 'Hello, how can I help?'));
    const key = greetingKey(AGENT);
    expect(h.feed(completed('greet'))).toEqual([`keep greeting ${key} (60ms): Hello, how can I help?`]);
    const kept = h.outputs.find((o) => o.to === 'keep-greeting');
    expect(kept?.to === 'keep-greeting' && kept.greeting.chunks.length).toBe(2);
  });

  it('a greeting cut short or lost with its session is not kept', () => {
    const cut = new BridgeHarness({ greetings: new Greetings() }).live();
    cut.feed(created('greet'), delta('greet', 'i1'));
    expect(cut.feed(completed('greet', 'cancelled'))).toEqual([]);
    expect(cut.outputs.some((o) => o.to === 'keep-greeting')).toBe(false);

    const lost = new BridgeHarness({ greetings: new Greetings() }).live();
    lost.feed(created('greet'), delta('greet', 'i1'), closed(1));
    expect(lost.outputs.some((o) => o.to === 'keep-greeting')).toBe(false);
  });

  it('is played at once on a prepared start, and the model is told it greeted instead of asked to', () => {
    const h = new BridgeHarness({ greetings: keptGreeting() });
    expect(h.startPrepared('ready')).toEqual([
      'claim',
      'event stream started',
      'twilio media 20ms mark 1',
      'twilio media 20ms mark 2',
      `event agent "${GREETING_TEXT}" at 2026-11-27T10:00:00.000Z`,
      'adopt rt1 prepared for the call',
      `rt1 item assistant: ${GREETING_TEXT}`,
    ]);
    expect(h.outputs.some((o) => o.to === 'realtime' && o.message.type === 'response.create')).toBe(false);
  });

  it('without a reservation it plays once the lookup names the agent, before the session is ready', () => {
    const h = new BridgeHarness({ greetings: keptGreeting() });
    h.start();
    expect(h.feed(found())).toEqual([
      'event stream started',
      'twilio media 20ms mark 1',
      'twilio media 20ms mark 2',
      `event agent "${GREETING_TEXT}" at 2026-11-27T10:00:00.000Z`,
    ]);
    expect(h.feed(open(1))).toEqual(['rt1 session.update']);
    expect(h.feed(ready(1))).toEqual([`rt1 item assistant: ${GREETING_TEXT}`]);
  });

  it('a barge-in during it clears Twilio and leaves the model the part heard', () => {
    const h = new BridgeHarness({ greetings: keptGreeting() });
    h.startPrepared('ready');
    h.feed(echo('1')); // 20 of its 40 ms played
    expect(h.feed(speech('u1'))).toEqual([
      'twilio clear',
      'rt1 delete sb_greeting_1',
      'rt1 item assistant: Hello, thanks for calling,…',
    ]);
    const replaced = h.outputs.at(-1);
    expect(replaced?.to === 'realtime' && replaced.message).toMatchObject({
      type: 'conversation.item.create',
      previous_item_id: 'root',
      item: { id: 'sb_greeting_2' },
    });
  });

  it('cut before a word of it was heard, it leaves nothing in the conversation', () => {
    const h = new BridgeHarness({ greetings: keptGreeting() });
    h.startPrepared('ready');
    expect(h.feed(speech('u1'))).toEqual(['twilio clear', 'rt1 delete sb_greeting_1']);
  });

  it('heard in full, a later barge-in cuts nothing of it', () => {
    const h = new BridgeHarness({ greetings: keptGreeting() });
    h.startPrepared('ready');
    h.feed(echo('2'));
    expect(h.feed(speech('u1'))).toEqual([]);
  });

  it('a stream back from a transfer says what became of it, not the greeting', () => {
    const h = new BridgeHarness({ greetings: keptGreeting() });
    h.startWith({ transferFailed: { status: 'busy', target: 'sales' } });
    h.feed(found());
    expect(h.outputs.some((o) => o.to === 'twilio-audio')).toBe(false);
  });
});
