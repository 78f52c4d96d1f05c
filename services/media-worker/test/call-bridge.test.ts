import type { Agent } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import {
  CallBridge,
  END_CALL_REASON,
  HELD_AUDIO_OVERFLOW_REASON,
  REPLAY_FRAMES,
} from '../src/bridge/call-bridge.js';
import type { BridgeInput, BridgeOutput } from '../src/bridge/types.js';

const CALL_SID = `CA${'0123456789abcdef'.repeat(2)}`;
const STREAM_SID = `MZ${'a'.repeat(32)}`;
const STARTED_AT = Date.parse('2026-11-27T10:00:00.000Z');

const AGENT: Agent = {
  id: 'default',
  instructions: 'You are a friendly receptionist.',
  voice: 'alloy',
  model: 'gpt-realtime',
  greeting: 'Hello, how can I help?',
};

/** `ms` of mu-law audio (8 bytes a millisecond) as base64, filled with `fill`. */
function audio(ms: number, fill = 0xff): string {
  return Buffer.alloc(ms * 8, fill).toString('base64');
}

function bytes(n: number): string {
  return Buffer.alloc(n, 0x7f).toString('base64');
}

/** One line per output, so a table row reads like a transcript of the wire. */
function describeOutput(output: BridgeOutput): string {
  switch (output.to) {
    case 'twilio': {
      const m = output.message;
      if (m.event === 'media') return `twilio media ${Buffer.from(m.media.payload, 'base64').length / 8}ms`;
      if (m.event === 'mark') return `twilio mark ${m.mark.name}`;
      return 'twilio clear';
    }
    case 'realtime': {
      const m = output.message;
      switch (m.type) {
        case 'input_audio_buffer.append':
          return `realtime append ${Buffer.from(m.audio, 'base64')[0]}`;
        case 'response.cancel':
          return `realtime response.cancel ${m.response_id}`;
        case 'conversation.item.truncate':
          return `realtime truncate ${m.item_id} at ${m.audio_end_ms}ms`;
        case 'conversation.item.delete':
          return `realtime delete ${m.item_id}`;
        default:
          return `realtime ${m.type}`;
      }
    }
    case 'events':
      return `event ${output.event.role} "${output.event.text}" at ${output.event.at} (${output.msgId})`;
    case 'end':
      return `end: ${output.reason}`;
  }
}

type Step = BridgeInput | [BridgeInput, number];

function newBridge(overrides: Partial<ConstructorParameters<typeof CallBridge>[0]> = {}): CallBridge {
  return new CallBridge({
    callSid: CALL_SID,
    streamSid: STREAM_SID,
    streamStartedAt: STARTED_AT,
    transcriptionModel: 'gpt-4o-mini-transcribe',
    maxHeldAudioMs: 10_000,
    ...overrides,
  });
}

/** Feeds the steps (with `now` = STARTED_AT + index unless given) and returns every output, described. */
function run(bridge: CallBridge, steps: Step[]): string[] {
  const out: string[] = [];
  steps.forEach((step, i) => {
    const [input, now] = Array.isArray(step) ? step : [step, STARTED_AT + i];
    for (const output of bridge.handle(input, now)) out.push(describeOutput(output));
  });
  return out;
}

const found: BridgeInput = { kind: 'call-found', agent: AGENT };
const open: BridgeInput = { kind: 'realtime-open' };
const ready: BridgeInput = { kind: 'realtime-ready' };
const callerAudio = (fill: number, timestampMs = 0): BridgeInput => ({
  kind: 'caller-audio',
  payload: audio(20, fill),
  timestampMs,
});
const delta = (responseId: string, itemId: string, payload = audio(20)): BridgeInput => ({
  kind: 'agent-audio',
  responseId,
  itemId,
  contentIndex: 0,
  delta: payload,
});
const created = (responseId: string): BridgeInput => ({ kind: 'response-created', responseId });
const done = (responseId: string, status = 'completed'): BridgeInput => ({
  kind: 'response-done',
  responseId,
  status,
});
const echo = (name: string): BridgeInput => ({ kind: 'mark-echoed', name });
const speech = (itemId: string, audioStartMs = 0): BridgeInput => ({
  kind: 'speech-started',
  itemId,
  audioStartMs,
});

/** A bridge whose session is configured and greeted; its outputs so far are dropped. */
function readyBridge(agent: Agent = AGENT): CallBridge {
  const bridge = newBridge();
  run(bridge, [{ kind: 'call-found', agent }, open, ready]);
  return bridge;
}

describe('opening the session', () => {
  it.each<{ name: string; steps: Step[]; expected: string[] }>([
    {
      name: 'lookup first, then the socket opens: session.update at open, greeting once ready',
      steps: [found, open, ready],
      expected: ['realtime session.update', 'realtime response.create'],
    },
    {
      name: 'socket first, then the lookup answers: session.update when the agent is known',
      steps: [open, found, ready],
      expected: ['realtime session.update', 'realtime response.create'],
    },
    {
      name: 'caller audio before the session is ready is held and sent in order, before the greeting',
      steps: [
        callerAudio(1, 0),
        open,
        callerAudio(2, 20),
        found,
        callerAudio(3, 40),
        ready,
        callerAudio(4, 60),
      ],
      expected: [
        'realtime session.update',
        'realtime append 1',
        'realtime append 2',
        'realtime append 3',
        'realtime response.create',
        'realtime append 4',
      ],
    },
    {
      name: 'session.updated before our session.update is ignored',
      steps: [ready, callerAudio(1), found, open, ready],
      expected: ['realtime session.update', 'realtime append 1', 'realtime response.create'],
    },
  ])('$name', ({ steps, expected }) => {
    expect(run(newBridge(), steps)).toEqual(expected);
  });

  it('an agent without a greeting waits for the caller', () => {
    const bridge = newBridge();
    expect(run(bridge, [{ kind: 'call-found', agent: { ...AGENT, greeting: null } }, open, ready])).toEqual([
      'realtime session.update',
    ]);
  });

  it('the session asks for mu-law both ways, server VAD, caller transcription and the end_call tool', () => {
    const bridge = newBridge();
    expect(bridge.handle(found, 0)).toEqual([]);
    const [output] = bridge.handle(open, 0);
    expect(output).toEqual({
      to: 'realtime',
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
          tools: [expect.objectContaining({ type: 'function', name: 'end_call' })],
          tool_choice: 'auto',
        },
      },
    });
  });

  it('too much held audio ends the call instead of dropping any', () => {
    const bridge = newBridge({ maxHeldAudioMs: 50 });
    expect(run(bridge, [callerAudio(1), callerAudio(2), callerAudio(3), callerAudio(4)])).toEqual([
      `end: ${HELD_AUDIO_OVERFLOW_REASON}`,
    ]);
  });
});

describe('agent audio', () => {
  it('each chunk goes to Twilio unchanged, followed by a mark', () => {
    const bridge = readyBridge();
    const payload = audio(20, 0x42);
    const outputs = bridge.handle(delta('resp_1', 'item_1', payload), STARTED_AT);
    expect(outputs).toEqual([
      { to: 'twilio', message: { event: 'media', streamSid: STREAM_SID, media: { payload } } },
      { to: 'twilio', message: { event: 'mark', streamSid: STREAM_SID, mark: { name: '1' } } },
    ]);
    expect(run(bridge, [delta('resp_1', 'item_1', audio(40))])).toEqual([
      'twilio media 40ms',
      'twilio mark 2',
    ]);
  });
});

describe('barge-in', () => {
  const cases: Array<{ name: string; steps: Step[]; expected: string[] }> = [
    {
      name: 'partly played: clear, cancel, truncate at the echoed milliseconds',
      steps: [
        created('resp_1'),
        delta('resp_1', 'item_1'),
        delta('resp_1', 'item_1'),
        delta('resp_1', 'item_1'),
        echo('1'),
        echo('2'),
        speech('item_u1'),
      ],
      expected: [
        'twilio media 20ms',
        'twilio mark 1',
        'twilio media 20ms',
        'twilio mark 2',
        'twilio media 20ms',
        'twilio mark 3',
        'twilio clear',
        'realtime response.cancel resp_1',
        'realtime truncate item_1 at 40ms',
      ],
    },
    {
      name: 'nothing played yet: the item is deleted rather than truncated',
      steps: [created('resp_1'), delta('resp_1', 'item_1'), delta('resp_1', 'item_1'), speech('item_u1')],
      expected: [
        'twilio media 20ms',
        'twilio mark 1',
        'twilio media 20ms',
        'twilio mark 2',
        'twilio clear',
        'realtime response.cancel resp_1',
        'realtime delete item_1',
      ],
    },
    {
      name: 'everything played and the response over: the caller simply speaks, nothing is cut',
      steps: [created('resp_1'), delta('resp_1', 'item_1'), done('resp_1'), echo('1'), speech('item_u1')],
      expected: ['twilio media 20ms', 'twilio mark 1'],
    },
    {
      name: 'response over but audio still playing: clear and truncate, no cancel',
      steps: [
        created('resp_1'),
        delta('resp_1', 'item_1'),
        delta('resp_1', 'item_1'),
        done('resp_1'),
        echo('1'),
        speech('item_u1'),
      ],
      expected: [
        'twilio media 20ms',
        'twilio mark 1',
        'twilio media 20ms',
        'twilio mark 2',
        'twilio clear',
        'realtime truncate item_1 at 20ms',
      ],
    },
    {
      name: 'response still streaming and all of it played: cancel and truncate at the whole of it',
      steps: [created('resp_1'), delta('resp_1', 'item_1'), echo('1'), speech('item_u1')],
      expected: [
        'twilio media 20ms',
        'twilio mark 1',
        'twilio clear',
        'realtime response.cancel resp_1',
        'realtime truncate item_1 at 20ms',
      ],
    },
    {
      name: 'played milliseconds follow the bytes of each chunk, not a count of chunks',
      steps: [
        created('resp_1'),
        delta('resp_1', 'item_1', bytes(160)),
        delta('resp_1', 'item_1', bytes(100)),
        delta('resp_1', 'item_1', bytes(241)),
        echo('2'),
        speech('item_u1'),
      ],
      expected: [
        'twilio media 20ms',
        'twilio mark 1',
        'twilio media 12.5ms',
        'twilio mark 2',
        'twilio media 30.125ms',
        'twilio mark 3',
        'twilio clear',
        'realtime response.cancel resp_1',
        'realtime truncate item_1 at 32ms',
      ],
    },
    {
      name: 'a missed echo is covered by a later one (marks are echoed in order)',
      steps: [
        created('resp_1'),
        delta('resp_1', 'item_1'),
        delta('resp_1', 'item_1'),
        delta('resp_1', 'item_1'),
        echo('2'),
        speech('item_u1'),
      ],
      expected: [
        'twilio media 20ms',
        'twilio mark 1',
        'twilio media 20ms',
        'twilio mark 2',
        'twilio media 20ms',
        'twilio mark 3',
        'twilio clear',
        'realtime response.cancel resp_1',
        'realtime truncate item_1 at 40ms',
      ],
    },
  ];
  it.each(cases)('$name', ({ steps, expected }) => {
    expect(run(readyBridge(), steps)).toEqual(expected);
  });

  it('marks echoed after the clear do not count as played', () => {
    const bridge = readyBridge();
    run(bridge, [created('resp_1'), delta('resp_1', 'item_1'), delta('resp_1', 'item_1'), echo('1')]);
    expect(run(bridge, [speech('item_u1')])).toContain('realtime truncate item_1 at 20ms');
    // Twilio echoes the cleared mark 2; then the next answer plays 1 of its 2 chunks before another barge-in.
    const after = run(bridge, [
      echo('2'),
      created('resp_2'),
      delta('resp_2', 'item_2'),
      delta('resp_2', 'item_2'),
      echo('2'),
      echo('3'),
      speech('item_u2'),
    ]);
    expect(after).toEqual([
      'twilio media 20ms',
      'twilio mark 3',
      'twilio media 20ms',
      'twilio mark 4',
      'twilio clear',
      'realtime response.cancel resp_2',
      'realtime truncate item_2 at 20ms',
    ]);
  });

  it('deltas that arrive for the cancelled response are dropped; the next response plays', () => {
    const bridge = readyBridge();
    run(bridge, [created('resp_1'), delta('resp_1', 'item_1'), speech('item_u1')]);
    expect(
      run(bridge, [delta('resp_1', 'item_1'), delta('resp_1', 'item_1'), done('resp_1', 'cancelled')]),
    ).toEqual([]);
    expect(run(bridge, [created('resp_2'), delta('resp_2', 'item_2')])).toEqual([
      'twilio media 20ms',
      'twilio mark 2',
    ]);
  });

  it('a barge-in while the Realtime socket is down only clears Twilio', () => {
    const bridge = readyBridge();
    run(bridge, [created('resp_1'), delta('resp_1', 'item_1'), { kind: 'realtime-lost' }]);
    expect(run(bridge, [speech('item_u1')])).toEqual(['twilio clear']);
  });

  it('items of an earlier connection are not cut on the new one', () => {
    const bridge = readyBridge();
    run(bridge, [created('resp_1'), delta('resp_1', 'item_1'), { kind: 'realtime-lost' }, open, ready]);
    expect(run(bridge, [speech('item_u1')])).toEqual(['twilio clear']);
  });
});

describe('transcripts', () => {
  it('the caller segment begins at the stream start plus the audio offset of the speech', () => {
    const bridge = newBridge();
    run(bridge, [callerAudio(1, 120), found, open, ready, callerAudio(2, 140)]);
    const out = run(bridge, [
      speech('item_u1', 1_500),
      { kind: 'caller-transcript', itemId: 'item_u1', text: ' I need a table for two. ' },
    ]);
    expect(out).toEqual([
      `event caller "I need a table for two." at 2026-11-27T10:00:01.620Z (transcript:${CALL_SID}:item_u1)`,
    ]);
  });

  it('the agent segment begins when its first audio went to Twilio; the greeting is one', () => {
    const bridge = readyBridge();
    const out = run(bridge, [
      [created('resp_1'), STARTED_AT + 300],
      [delta('resp_1', 'item_1'), STARTED_AT + 350],
      [delta('resp_1', 'item_1'), STARTED_AT + 400],
      [
        { kind: 'agent-transcript', responseId: 'resp_1', itemId: 'item_1', text: 'Hello, how can I help?' },
        STARTED_AT + 900,
      ],
    ]);
    expect(out.at(-1)).toBe(
      `event agent "Hello, how can I help?" at 2026-11-27T10:00:00.350Z (transcript:${CALL_SID}:item_1)`,
    );
  });

  it('an answer cut before any of it was heard leaves no segment; a truncated one does', () => {
    const bridge = readyBridge();
    run(bridge, [created('resp_1'), delta('resp_1', 'item_1'), speech('item_u1')]);
    expect(
      run(bridge, [{ kind: 'agent-transcript', responseId: 'resp_1', itemId: 'item_1', text: 'Sure' }]),
    ).toEqual([]);
    run(bridge, [created('resp_2'), delta('resp_2', 'item_2'), echo('2'), speech('item_u2')]);
    expect(
      run(bridge, [{ kind: 'agent-transcript', responseId: 'resp_2', itemId: 'item_2', text: 'Of course' }]),
    ).toHaveLength(1);
  });

  it('empty transcripts are not published', () => {
    const bridge = readyBridge();
    expect(run(bridge, [{ kind: 'caller-transcript', itemId: 'item_u1', text: '  ' }])).toEqual([]);
  });
});

describe('end_call', () => {
  it('waits for the response to finish and its audio to play, then ends the stream', () => {
    const bridge = readyBridge();
    expect(
      run(bridge, [
        created('resp_1'),
        delta('resp_1', 'item_1'),
        delta('resp_1', 'item_1'),
        { kind: 'end-call-requested', callId: 'call_1' },
        done('resp_1'),
        echo('1'),
      ]),
    ).toEqual(['twilio media 20ms', 'twilio mark 1', 'twilio media 20ms', 'twilio mark 2']);
    expect(run(bridge, [echo('2')])).toEqual([`end: ${END_CALL_REASON}`]);
    expect(run(bridge, [delta('resp_2', 'item_2'), callerAudio(1)])).toEqual([]);
  });

  it('ends at once when nothing is left to play', () => {
    const bridge = readyBridge();
    expect(
      run(bridge, [created('resp_1'), { kind: 'end-call-requested', callId: 'call_1' }, done('resp_1')]),
    ).toEqual([`end: ${END_CALL_REASON}`]);
  });
});

describe('reconnect', () => {
  it('holds caller audio while the socket is down, configures the new one, and does not greet twice', () => {
    const bridge = readyBridge();
    expect(
      run(bridge, [
        { kind: 'realtime-lost' },
        callerAudio(7, 1_000),
        callerAudio(8, 1_020),
        open,
        callerAudio(9, 1_040),
        ready,
        callerAudio(10, 1_060),
      ]),
    ).toEqual([
      'realtime session.update',
      'realtime append 7',
      'realtime append 8',
      'realtime append 9',
      'realtime append 10',
    ]);
  });

  it('sends the new session the last frames sent before the drop (they may have died with the socket)', () => {
    const bridge = readyBridge();
    run(bridge, [callerAudio(1, 0), callerAudio(2, 20)]);
    expect(run(bridge, [{ kind: 'realtime-lost' }, callerAudio(3, 40), open, ready])).toEqual([
      'realtime session.update',
      'realtime append 1',
      'realtime append 2',
      'realtime append 3',
    ]);
    // ...and speech offsets on the new session count from the first of them.
    expect(
      run(bridge, [speech('item_u1', 30), { kind: 'caller-transcript', itemId: 'item_u1', text: 'Hi' }]),
    ).toEqual([`event caller "Hi" at 2026-11-27T10:00:00.030Z (transcript:${CALL_SID}:item_u1)`]);
  });

  it('replays at most REPLAY_FRAMES frames', () => {
    const bridge = readyBridge();
    run(
      bridge,
      Array.from({ length: REPLAY_FRAMES + 5 }, (_, i) => callerAudio(i % 256, i * 20)),
    );
    const out = run(bridge, [{ kind: 'realtime-lost' }, open, ready]);
    expect(out.filter((line) => line.startsWith('realtime append'))).toHaveLength(REPLAY_FRAMES);
    expect(out[1]).toBe('realtime append 5');
  });

  it('speech offsets count from the first frame sent on the new connection', () => {
    const bridge = readyBridge();
    run(bridge, [{ kind: 'realtime-lost' }, callerAudio(7, 5_000), open, ready]);
    expect(
      run(bridge, [speech('item_u9', 200), { kind: 'caller-transcript', itemId: 'item_u9', text: 'Hello?' }]),
    ).toEqual([`event caller "Hello?" at 2026-11-27T10:00:05.200Z (transcript:${CALL_SID}:item_u9)`]);
  });
});
