import { describe, expect, it } from 'vitest';
import {
  AGENT,
  agentSaid,
  audio,
  BridgeHarness,
  bytes,
  callerAudio,
  callerSaid,
  created,
  delta,
  done,
  echo,
  found,
  open,
  ready,
  STARTED_AT,
  STREAM_SID,
  speech,
} from './bridge-harness.js';

describe('opening the session', () => {
  it('claims the call and dials while the lookup runs', () => {
    expect(new BridgeHarness().start()).toEqual(['claim', 'dial rt1 gpt-realtime for first']);
  });

  it.each([
    { name: 'lookup first, then the socket opens', steps: [found(), open(1), ready(1)] },
    { name: 'socket first, then the lookup answers', steps: [open(1), found(), ready(1)] },
  ])('$name: session.update when both are there, the greeting once ready', ({ steps }) => {
    const h = new BridgeHarness();
    h.start();
    expect(h.feed(...steps)).toEqual(['event stream started', 'rt1 session.update', 'rt1 response.create']);
  });

  it('holds caller audio until the session is ready, then sends it in order before the greeting', () => {
    const h = new BridgeHarness();
    h.start();
    expect(
      h.feed(
        callerAudio(1, 0),
        open(1),
        callerAudio(2, 20),
        found(),
        callerAudio(3, 40),
        ready(1),
        callerAudio(4, 60),
      ),
    ).toEqual([
      'event stream started',
      'rt1 session.update',
      'rt1 append 1',
      'rt1 append 2',
      'rt1 append 3',
      'rt1 response.create',
      'rt1 append 4',
    ]);
  });

  it('a session.updated before our session.update is ignored', () => {
    const h = new BridgeHarness();
    h.start();
    expect(h.feed(open(1), ready(1), callerAudio(1), found(), ready(1))).toEqual([
      'event stream started',
      'rt1 session.update',
      'rt1 append 1',
      'rt1 response.create',
    ]);
  });

  it('an agent without a greeting waits for the caller', () => {
    const h = new BridgeHarness();
    h.start();
    expect(h.feed(found({ ...AGENT, greeting: null }), open(1), ready(1))).toEqual([
      'event stream started',
      'rt1 session.update',
    ]);
  });

  it('dials again for an agent whose model is not the default, closing the first socket', () => {
    const h = new BridgeHarness();
    h.start();
    expect(h.feed(open(1), found({ ...AGENT, model: 'gpt-realtime-mini' }), open(2), ready(2))).toEqual([
      'event stream started',
      'close rt1',
      'dial rt2 gpt-realtime-mini for model',
      'rt2 session.update',
      'rt2 response.create',
    ]);
    // The first socket is gone for the bridge: nothing it says counts.
    expect(h.feed(ready(1), delta('resp_1', 'item_1', audio(20), 1))).toEqual([]);
  });

  it('the session asks for mu-law both ways, server VAD, caller transcription and the built-in tools', () => {
    const h = new BridgeHarness();
    h.start();
    h.feed(found(), open(1));
    const update = h.outputs.find((o) => o.to === 'realtime');
    expect(update).toEqual({
      to: 'realtime',
      connection: 1,
      message: {
        type: 'session.update',
        session: {
          type: 'realtime',
          instructions: AGENT.instructions,
          output_modalities: ['audio'],
          audio: {
            input: {
              format: { type: 'audio/pcmu' },
              turn_detection: { type: 'server_vad', create_response: true, interrupt_response: true },
              transcription: { model: 'gpt-4o-mini-transcribe' },
            },
            output: { format: { type: 'audio/pcmu' }, voice: 'alloy' },
          },
          tools: [
            expect.objectContaining({ type: 'function', name: 'end_call' }),
            expect.objectContaining({ type: 'function', name: 'send_dtmf' }),
          ],
          tool_choice: 'auto',
        },
      },
    });
  });
});

describe('agent audio', () => {
  it('each chunk goes to Twilio unchanged, followed by a mark', () => {
    const h = new BridgeHarness().live();
    const payload = audio(20, 0x42);
    h.feed(delta('resp_1', 'item_1', payload));
    expect(h.outputs.at(-1)).toEqual({ to: 'twilio-audio', payload, mark: '1' });
    expect(h.feed(delta('resp_1', 'item_1', audio(40)))).toEqual(['twilio media 40ms mark 2']);
  });
});

describe('barge-in', () => {
  it.each([
    {
      name: 'partly played: clear, cancel, truncate at the echoed milliseconds',
      steps: [created('r1'), delta('r1', 'i1'), delta('r1', 'i1'), delta('r1', 'i1'), echo('1'), echo('2')],
      expected: ['twilio clear', 'rt1 response.cancel r1', 'rt1 truncate i1 at 40ms'],
    },
    {
      name: 'nothing played yet: the item is deleted rather than truncated',
      steps: [created('r1'), delta('r1', 'i1'), delta('r1', 'i1')],
      expected: ['twilio clear', 'rt1 response.cancel r1', 'rt1 delete i1'],
    },
    {
      name: 'everything played and the response over: the caller simply speaks, nothing is cut',
      steps: [created('r1'), delta('r1', 'i1'), done('r1'), echo('1')],
      expected: [],
    },
    {
      name: 'response over but audio still playing: clear and truncate, no cancel',
      steps: [created('r1'), delta('r1', 'i1'), delta('r1', 'i1'), done('r1'), echo('1')],
      expected: ['twilio clear', 'rt1 truncate i1 at 20ms'],
    },
    {
      name: 'response still streaming and all of it played: cancel and truncate at the whole of it',
      steps: [created('r1'), delta('r1', 'i1'), echo('1')],
      expected: ['twilio clear', 'rt1 response.cancel r1', 'rt1 truncate i1 at 20ms'],
    },
    {
      name: 'played milliseconds follow the bytes of each chunk, not a count of chunks',
      steps: [
        created('r1'),
        delta('r1', 'i1', bytes(160)),
        delta('r1', 'i1', bytes(100)),
        delta('r1', 'i1', bytes(241)),
        echo('2'),
      ],
      expected: ['twilio clear', 'rt1 response.cancel r1', 'rt1 truncate i1 at 32ms'],
    },
    {
      name: 'a missed echo is covered by a later one (marks are echoed in order)',
      steps: [created('r1'), delta('r1', 'i1'), delta('r1', 'i1'), delta('r1', 'i1'), echo('2')],
      expected: ['twilio clear', 'rt1 response.cancel r1', 'rt1 truncate i1 at 40ms'],
    },
  ])('$name', ({ steps, expected }) => {
    const h = new BridgeHarness().live();
    h.feed(...steps);
    expect(h.feed(speech('u1'))).toEqual(expected);
  });

  it('marks echoed after the clear do not count as played', () => {
    const h = new BridgeHarness().live();
    h.feed(created('r1'), delta('r1', 'i1'), delta('r1', 'i1'), echo('1'));
    expect(h.feed(speech('u1'))).toContain('rt1 truncate i1 at 20ms');
    // Twilio echoes the cleared mark 2; then the next answer plays 1 of its 2 chunks before another barge-in.
    expect(
      h.feed(
        echo('2'),
        created('r2'),
        delta('r2', 'i2'),
        delta('r2', 'i2'),
        echo('2'),
        echo('3'),
        speech('u2'),
      ),
    ).toEqual([
      'twilio media 20ms mark 3',
      'twilio media 20ms mark 4',
      'twilio clear',
      'rt1 response.cancel r2',
      'rt1 truncate i2 at 20ms',
    ]);
  });

  it('deltas that arrive for the cancelled response are dropped; the next response plays', () => {
    const h = new BridgeHarness().live();
    h.feed(created('r1'), delta('r1', 'i1'), speech('u1'));
    expect(h.feed(delta('r1', 'i1'), delta('r1', 'i1'), done('r1'))).toEqual([]);
    expect(h.feed(created('r2'), delta('r2', 'i2'))).toEqual(['twilio media 20ms mark 2']);
  });

  it('a barge-in right after the session was lost only clears Twilio', () => {
    const h = new BridgeHarness().live();
    h.feed(created('r1'), delta('r1', 'i1'), {
      kind: 'realtime-closed',
      connection: 1,
      detail: 'closed 1006',
    });
    h.feed(open(2), ready(2));
    expect(h.feed(speech('u1', 0, 2))).toEqual(['twilio clear']);
  });
});

describe('transcripts', () => {
  it('the caller segment begins at the stream start plus the audio offset of the speech', () => {
    const h = new BridgeHarness();
    h.start();
    h.feed(callerAudio(1, 120), found(), open(1), ready(1), callerAudio(2, 140));
    expect(h.feed(speech('u1', 1_500), callerSaid('u1', ' I need a table for two. '))).toEqual([
      'event caller "I need a table for two." at 2026-11-27T10:00:01.620Z',
    ]);
    const published = h.outputs.at(-1);
    expect(published).toMatchObject({ to: 'publish', msgId: expect.stringMatching(/^transcript:CA\w+:u1$/) });
  });

  it('the agent segment begins when its first audio went to Twilio; the greeting is one', () => {
    const h = new BridgeHarness().live();
    h.now = STARTED_AT + 300;
    h.feed(created('r1'));
    h.now = STARTED_AT + 350;
    h.feed(delta('r1', 'i1'));
    h.now = STARTED_AT + 900;
    expect(h.feed(agentSaid('i1', 'Hello, how can I help?'))).toEqual([
      'event agent "Hello, how can I help?" at 2026-11-27T10:00:00.350Z',
    ]);
  });

  it('an answer cut before any of it was heard leaves no segment; a truncated one does', () => {
    const h = new BridgeHarness().live();
    h.feed(created('r1'), delta('r1', 'i1'), speech('u1'));
    expect(h.feed(agentSaid('i1', 'Sure'))).toEqual([]);
    h.feed(created('r2'), delta('r2', 'i2'), echo('2'), speech('u2'));
    expect(h.feed(agentSaid('i2', 'Of course'))).toHaveLength(1);
  });

  it('empty transcripts are not published', () => {
    const h = new BridgeHarness().live();
    expect(h.feed(callerSaid('u1', '  '))).toEqual([]);
  });

  it('keypad digits are events of the call', () => {
    const h = new BridgeHarness().live();
    expect(h.feed({ kind: 'caller-dtmf', digit: '5', sequenceNumber: '7' })[0]).toEqual('event dtmf 5');
    const dtmf = h.outputs.find((o) => o.to === 'publish' && o.event.kind === 'dtmf');
    expect(dtmf).toMatchObject({ msgId: expect.stringMatching(new RegExp(`:${STREAM_SID}:7$`)) });
  });
});
