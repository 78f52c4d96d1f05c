import type { Agent } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_IDLE_REPROMPTS,
  GOODBYE_MAX_WAIT_MS,
  TRANSFER_STOP_WAIT_MS,
} from '../src/bridge/call-bridge.js';
import {
  AGENT,
  BridgeHarness,
  CALL_SID,
  callerSaid,
  control,
  created,
  delta,
  done,
  echo,
  fnCall,
  found,
  open,
  ready,
  STARTED_AT,
  STREAM_SID,
  speech,
  speechStopped,
  stored,
} from './bridge-harness.js';

const DESK: Agent = {
  ...AGENT,
  transferTargets: [
    { name: 'billing', description: 'Questions about invoices', to: '+15550001111' },
    { name: 'support', description: 'Technical problems', to: 'sip:support@pbx.example.com' },
  ],
};
const accepted = { kind: 'transfer-result' as const, accepted: true as const };
const refused = (reason: string) => ({ kind: 'transfer-result' as const, accepted: false as const, reason });

describe('transfer_call', () => {
  it('the goodbye plays, then the gateway is asked; once Twilio took it, its stop ends the stream as transferred', () => {
    const h = new BridgeHarness().quiet(DESK);
    h.feed(
      created('r1'),
      delta('r1', 'i1'),
      fnCall('transfer_call', { target: 'billing', reason: 'invoice' }, 'call_t'),
    );
    expect(h.feed(done('r1'))).toEqual([]);
    expect(h.feed(echo('1'))).toEqual([
      'transfer billing +15550001111',
      'event event "transfer to billing requested by the agent: invoice" at 2026-11-27T10:00:00.000Z',
    ]);
    expect(h.outputs.find((o) => o.to === 'transfer')).toEqual({
      to: 'transfer',
      request: { callSid: CALL_SID, to: '+15550001111', target: 'billing' },
    });
    expect(h.feed(accepted)).toEqual(['event tool transfer_call ok: transferred to billing']);
    expect(h.feed({ kind: 'twilio-stopped' })).toEqual([
      'event stream stopped',
      'event ended transferred (confirm)',
      'close rt1',
    ]);
    expect(h.feed(stored())).toEqual(['end transferred']);
  });

  it('a stream Twilio does not stop is ended as transferred after TRANSFER_STOP_WAIT_MS', () => {
    const h = new BridgeHarness().quiet(DESK);
    h.feed(
      created('r1'),
      fnCall('transfer_call', { target: 'support', reason: 'x' }, 'call_t'),
      done('r1'),
      accepted,
    );
    expect(h.advance(TRANSFER_STOP_WAIT_MS)).toEqual([
      'event stream stopped',
      'event ended transferred (confirm)',
      'close rt1',
    ]);
  });

  it('is asked for after GOODBYE_MAX_WAIT_MS even when the goodbye never finishes playing', () => {
    const h = new BridgeHarness().quiet(DESK);
    h.feed(
      created('r1'),
      delta('r1', 'i1'),
      fnCall('transfer_call', { target: 'billing', reason: '' }, 'call_t'),
      done('r1'),
    );
    expect(h.advance(GOODBYE_MAX_WAIT_MS)[0]).toBe('transfer billing +15550001111');
  });

  it('refused: the agent is told (its call answered with the error) and the call goes on', () => {
    const h = new BridgeHarness().quiet(DESK);
    h.feed(created('r1'), fnCall('transfer_call', { target: 'billing', reason: '' }, 'call_t'), done('r1'));
    expect(h.feed(refused('CALL_ENDED: the call is no longer in progress'))).toEqual([
      'event event "the transfer to billing could not be made: CALL_ENDED: the call is no longer in progress" at 2026-11-27T10:00:00.000Z',
      'rt1 output call_t: {"error":"the transfer to billing could not be made: CALL_ENDED: the call is no longer in progress. Tell the caller and go on."}',
      'event tool transfer_call error: the transfer to billing could not be made: CALL_ENDED: the call is no longer in progress. Tell the caller and go on.',
      'rt1 response.create',
    ]);
    expect(h.feed({ kind: 'twilio-stopped' })).toContain('end twilio-stopped');
  });

  it('a target the agent does not have is an error for the model, nothing is transferred', () => {
    const h = new BridgeHarness().quiet(DESK);
    expect(h.feed(created('r1'), fnCall('transfer_call', { target: 'ceo' }, 'call_t'), done('r1'))).toEqual([
      'rt1 output call_t: {"error":"no transfer target of that name (targets: billing, support)"}',
      'event tool transfer_call error: no transfer target of that name (targets: billing, support)',
      'rt1 response.create',
    ]);
  });

  it('a tool result that arrives meanwhile is given, but does not hold the transfer up', () => {
    const agent: Agent = {
      ...DESK,
      tools: [
        { name: 'notes', description: 'Notes', parameters: { type: 'object' }, url: 'https://t.example.com' },
      ],
    };
    const h = new BridgeHarness().quiet(agent);
    h.feed(created('r1'), fnCall('notes', {}, 'call_n'), done('r1'));
    h.feed(control(1, { action: 'transfer', target: 'billing' }));
    expect(h.outputs.filter((o) => o.to === 'transfer')).toHaveLength(1);
    expect(h.feed({ kind: 'tool-result', callId: 'call_n', result: { status: 'ok', body: '{}' } })).toEqual([
      'rt1 output call_n: {}',
      'event tool notes ok: {}',
    ]);
  });

  it('a stop while the transfer is requested is the transfer’s', () => {
    const h = new BridgeHarness().quiet(DESK);
    h.feed(created('r1'), fnCall('transfer_call', { target: 'billing' }, 'call_t'), done('r1'));
    expect(h.feed({ kind: 'twilio-stopped' })).toContain('event ended transferred (confirm)');
  });
});

describe('back from a transfer that did not connect', () => {
  const start = (h: BridgeHarness) =>
    h.feed(
      { kind: 'stream-opened' },
      {
        kind: 'twilio-start',
        callSid: CALL_SID,
        streamSid: STREAM_SID,
        callSidParameter: CALL_SID,
        transferFailed: { status: 'busy', target: 'billing' },
      },
    );

  it('the session is seeded from call.transcript and the agent says what became of it, instead of the greeting', () => {
    const h = new BridgeHarness();
    start(h);
    expect(h.outputs.find((o) => o.to === 'claim')).toMatchObject({ history: true });
    expect(h.feed(found(DESK), open(1))).toEqual(['event stream started']);
    expect(
      h.feed({
        kind: 'history-loaded',
        segments: [
          { role: 'agent', text: 'Hello, how can I help?', at: STARTED_AT - 60_000 },
          { role: 'caller', text: 'Billing, please.', at: STARTED_AT - 55_000 },
          { role: 'event', text: 'transfer to billing requested by the agent', at: STARTED_AT - 50_000 },
        ],
      }),
    ).toEqual([
      'rt1 session.update',
      expect.stringMatching(/^rt1 item system: This phone call is already in progress/),
      'rt1 item assistant: Hello, how can I help?',
      'rt1 item user: Billing, please.',
    ]);
    expect(h.feed(ready(1))).toEqual(['rt1 response.create (transfer failed: billing, the line was busy)']);
  });

  it('a transcript that cannot be had leaves the session unseeded, not waiting', () => {
    const h = new BridgeHarness();
    start(h);
    h.feed(open(1), found(DESK));
    expect(h.feed({ kind: 'history-loaded', segments: [] })).toEqual(['rt1 session.update']);
  });
});

describe('live control', () => {
  it('hangup: accepted, and the stream ends as operator-ended', () => {
    const h = new BridgeHarness().quiet();
    expect(h.feed(control(1, { action: 'hangup' }))).toEqual([
      'control accepted',
      'event stream stopped',
      'event ended operator-ended (confirm)',
      'close rt1',
    ]);
    expect(h.feed(control(2, { action: 'say', text: 'hello' }))).toEqual(['control refused CALL_ENDED']);
  });

  it('say: the agent says it next, word for word', () => {
    const h = new BridgeHarness().quiet();
    expect(h.feed(control(1, { action: 'say', text: 'Your table is ready.' }))).toEqual([
      'control accepted',
      'rt1 response.create (say: Your table is ready.)',
    ]);
  });

  it('say while the agent answers waits for its answer to finish', () => {
    const h = new BridgeHarness().quiet();
    h.feed(created('r1'));
    expect(h.feed(control(1, { action: 'say', text: 'One more thing.' }))).toEqual(['control accepted']);
    expect(h.feed(done('r1'))).toEqual(['rt1 response.create (say: One more thing.)']);
  });

  it.each([
    ['billing', 'transfer billing +15550001111'],
    ['+15557654321', 'transfer +15557654321 +15557654321'],
  ])('transfer to %s', (target, line) => {
    const h = new BridgeHarness().quiet(DESK);
    expect(h.feed(control(1, { action: 'transfer', target }))).toEqual([
      'control accepted',
      line,
      expect.stringMatching(/requested by an operator/),
    ]);
  });

  it('transfer to something that is neither a target nor a number is a 400', () => {
    const h = new BridgeHarness().quiet(DESK);
    expect(h.feed(control(1, { action: 'transfer', target: 'nobody' }))).toEqual([
      'control refused INVALID_REQUEST',
    ]);
  });

  it('while the call is ending, 409 CALL_ENDED', () => {
    const h = new BridgeHarness().quiet();
    h.feed(created('r1'), delta('r1', 'i1'), fnCall('end_call', {}, 'call_e'));
    expect(h.feed(control(1, { action: 'hangup' }))).toEqual(['control refused CALL_ENDED']);
  });

  it('a request while the call is looked up waits for it', () => {
    const h = new BridgeHarness();
    h.start();
    expect(h.feed(control(7, { action: 'say', text: 'Hi' }))).toEqual([]);
    expect(h.feed(found())).toEqual(['event stream started', 'control accepted']);
  });

  it('…and is told the call ended when the lookup finds none', () => {
    const h = new BridgeHarness();
    h.start();
    h.feed(control(7, { action: 'hangup' }));
    expect(h.feed({ kind: 'lookup-failed', notFound: true })).toEqual([
      'control refused CALL_ENDED',
      'end unknown-call',
    ]);
  });
});

describe('idle caller', () => {
  const IDLE: Agent = { ...AGENT, idleTimeoutMs: 8_000 };

  it(`the agent speaks again after idleTimeoutMs of quiet; after ${DEFAULT_IDLE_REPROMPTS} reprompts it says goodbye and ends the call`, () => {
    const h = new BridgeHarness().quiet(IDLE);
    expect(h.advance(7_999)).toEqual([]);
    expect(h.advance(1)).toEqual(['rt1 response.create (reprompt)']);
    // The reprompt plays (2 s); the quiet counts again from its end.
    h.feed(created('p1'), delta('p1', 'ip1'), done('p1'));
    h.advance(2_000);
    h.feed(echo('1'));
    expect(h.advance(8_000)).toEqual(['rt1 response.create (reprompt)']);
    h.feed(created('p2'), done('p2'));
    expect(h.advance(8_000)).toEqual(['rt1 response.create (goodbye: idle)']);
    h.feed(created('bye'), delta('bye', 'ib'));
    expect(h.feed(done('bye'))).toEqual([]);
    expect(h.feed(echo('2'))).toEqual([
      'event stream stopped',
      'event ended agent-ended (confirm)',
      'close rt1',
    ]);
    const ended = h.outputs.find((o) => o.to === 'publish' && o.event.kind === 'ended');
    expect(ended).toMatchObject({
      event: { detail: `the caller did not answer ${DEFAULT_IDLE_REPROMPTS} reprompts` },
    });
  });

  it('the caller speaking starts the silence and the reprompts afresh', () => {
    const h = new BridgeHarness().quiet({ ...IDLE, idleReprompts: 1 });
    h.advance(8_000);
    h.feed(created('p1'), done('p1'));
    h.advance(5_000);
    h.feed(speech('u1'), speechStopped('u1', 600), callerSaid('u1', 'Sorry, yes'), created('a1'), done('a1'));
    expect(h.advance(7_999)).toEqual([]);
    expect(h.advance(1)).toEqual(['rt1 response.create (reprompt)']);
  });

  it('no idle timeout, no reprompts', () => {
    const h = new BridgeHarness().quiet();
    expect(h.advance(600_000)).toEqual([]);
  });
});

describe('maxCallSeconds', () => {
  it('at the limit (counted from the answer) the agent says goodbye, then the call ends', () => {
    const h = new BridgeHarness();
    h.start();
    h.feed(
      { kind: 'call-found', agent: { ...AGENT, maxCallSeconds: 60 }, answeredAt: STARTED_AT - 10_000 },
      open(1),
      ready(1),
    );
    h.feed(created('greet'), done('greet'));
    expect(h.advance(49_999)).toEqual([]);
    expect(h.advance(1)).toEqual(['rt1 response.create (goodbye: max-call)']);
    h.feed(created('bye'));
    expect(h.feed(done('bye'))).toEqual([
      'event stream stopped',
      'event ended agent-ended (confirm)',
      'close rt1',
    ]);
    const ended = h.outputs.find((o) => o.to === 'publish' && o.event.kind === 'ended');
    expect(ended).toMatchObject({ event: { detail: 'the call reached its maximum length of 60 s' } });
  });
});
