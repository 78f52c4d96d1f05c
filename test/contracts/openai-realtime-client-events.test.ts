import { type Agent, RealtimeClientEvent } from '@switchboard/contracts';
import {
  fillerResponse,
  goodbyeResponse,
  greetingResponse,
  keypadItem,
  repromptResponse,
  sayResponse,
  sessionUpdateFor,
  transferFailedResponse,
} from '@switchboard/media-worker';
import { SILENCE_20MS } from '@switchboard/testkit';
import { describe, expect, it } from 'vitest';
import { type EventSide, PUBLISHED_SOURCE, publishedSchemaErrors } from './published-realtime-schema.js';

// Every client event the media worker sends, checked against OpenAI's published GA schemas (see
// published-realtime-schema.ts for the source commit), not against switchboard's own fake.

const AGENT: Agent = {
  id: 'default',
  instructions: 'You are the front desk of a dental practice. Keep answers short.',
  voice: 'marin',
  model: 'gpt-realtime',
  greeting: 'Hello, Smile Dental, how can I help?',
};

/** One agent per way an agent can change the session: add a row with each new agent option. */
const AGENTS: Array<[string, Agent]> = [
  ['an agent', AGENT],
  ['an agent with a custom voice and no greeting', { ...AGENT, voice: 'my-cloned-voice', greeting: null }],
  ['an agent speaking Spanish', { ...AGENT, language: 'es' }],
  [
    'an agent with server VAD settings',
    { ...AGENT, turnDetection: { type: 'server_vad', threshold: 0.65, silenceMs: 700 } },
  ],
  ['an agent with semantic VAD', { ...AGENT, turnDetection: { type: 'semantic_vad', eagerness: 'high' } }],
  ['an agent with semantic VAD, eagerness unset', { ...AGENT, turnDetection: { type: 'semantic_vad' } }],
  ['an agent with near-field noise reduction', { ...AGENT, noiseReduction: 'near_field' }],
  ['an agent with far-field noise reduction', { ...AGENT, noiseReduction: 'far_field' }],
  ['an agent with noise reduction off', { ...AGENT, noiseReduction: null }],
  [
    'an agent with tools of its own and transfer targets',
    {
      ...AGENT,
      tools: [
        {
          name: 'find_slots',
          description: 'Free appointment slots on a day',
          parameters: {
            type: 'object',
            properties: { day: { type: 'string', format: 'date' } },
            required: ['day'],
          },
          url: 'https://tools.example.com/slots',
          timeoutMs: 3_000,
        },
      ],
      transferTargets: [
        { name: 'reception', description: 'A person at the front desk', to: '+15550001111' },
        { name: 'surgery', description: 'The dentist on call', to: 'sip:oncall@pbx.example.com' },
      ],
    },
  ],
  [
    'an agent with every setting',
    {
      ...AGENT,
      language: 'fr',
      turnDetection: { type: 'server_vad', threshold: 0.5 },
      noiseReduction: 'far_field',
      idleTimeoutMs: 10_000,
      idleReprompts: 1,
      maxCallSeconds: 600,
      record: true,
      keypad: { terminator: '#', pauseMs: 3_000, maxDigits: 8 },
    },
  ],
];

/** As it goes over the socket: JSON text, parsed back. */
const wire = (event: RealtimeClientEvent): unknown => JSON.parse(JSON.stringify(event));

const SENT: Array<[string, RealtimeClientEvent]> = [
  ...AGENTS.map(([name, agent]): [string, RealtimeClientEvent] => [
    `the session.update of sessionUpdateFor, for ${name}`,
    sessionUpdateFor(agent, { transcriptionModel: 'gpt-4o-mini-transcribe' }),
  ]),
  ['the greeting (greetingResponse)', greetingResponse(AGENT.greeting ?? 'Hello')],
  ["an operator's say", { type: 'response.create', response: sayResponse('Your driver is outside.') }],
  ['a reprompt of a silent caller', { type: 'response.create', response: repromptResponse() }],
  ['a goodbye: no answer', { type: 'response.create', response: goodbyeResponse('idle') }],
  ['a goodbye: the length limit', { type: 'response.create', response: goodbyeResponse('max-call') }],
  ['the holding line while a tool runs', { type: 'response.create', response: fillerResponse() }],
  ['back from a failed transfer', transferFailedResponse({ status: 'no-answer', target: 'reception' })],
  ['keypad keys, one at once', keypadItem('4', false)],
  ['keypad keys, gathered', keypadItem('12345', true)],
  [
    'a tool result given on a new session (the call moved)',
    {
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'system',
        content: [{ type: 'input_text', text: 'The result of the find_slots tool you called before…: {}' }],
      },
    },
  ],
  [
    'a tool error',
    {
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_CZ6', output: '{"error":"timed out"}' },
    },
  ],
  ['caller audio', { type: 'input_audio_buffer.append', audio: SILENCE_20MS }],
  // Barge-in, as CallBridge sends it.
  ['barge-in: cancel the running response', { type: 'response.cancel', response_id: 'resp_CZ1' }],
  [
    'barge-in: cut the agent item at what was heard',
    { type: 'conversation.item.truncate', item_id: 'item_CZ2', content_index: 0, audio_end_ms: 1_340 },
  ],
  [
    'barge-in: remove an item nothing of was heard',
    { type: 'conversation.item.delete', item_id: 'item_CZ3' },
  ],
  // Tools, keypad and history (a new session is given the conversation so far).
  [
    'a tool result',
    {
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_CZ4', output: '{"slots":["10:00","11:30"]}' },
    },
  ],
  [
    'keypad digits from the caller',
    {
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'The caller pressed 4.' }],
      },
    },
  ],
  [
    'an instruction to the agent',
    {
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'system',
        content: [{ type: 'input_text', text: 'Tell the caller the practice closes at 6 today.' }],
      },
    },
  ],
  [
    'history: what the caller said',
    {
      type: 'conversation.item.create',
      previous_item_id: 'item_CZ5',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'I need a check-up.' }] },
    },
  ],
  [
    'history: what the agent said',
    {
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Sure, which day suits you?' }],
      },
    },
  ],
  ['the answer after a tool result', { type: 'response.create' }],
];

describe(`client events against OpenAI's published schema (openai-openapi@${PUBLISHED_SOURCE.commit.slice(0, 7)})`, () => {
  it.each(SENT)('%s is valid', (_name, event) => {
    expect(publishedSchemaErrors('client', wire(event))).toEqual([]);
    // …and switchboard's own schema (the fake parses with it) accepts it too.
    expect(RealtimeClientEvent.safeParse(wire(event)).success).toBe(true);
  });

  it('covers every client event type switchboard defines', () => {
    const sent = new Set(SENT.map(([, event]) => event.type));
    const defined = RealtimeClientEvent.options.map((option) => option.shape.type.value);
    expect([...sent].sort()).toEqual([...defined].sort());
  });
});

describe('the published schema check itself', () => {
  it.each<[string, EventSide, unknown, RegExp]>([
    [
      'a beta-era session field',
      'client',
      { type: 'session.update', session: { type: 'realtime', input_audio_format: 'g711_ulaw' } },
      /closed.*unevaluatedProperty.*input_audio_format/,
    ],
    [
      'noise reduction turned off with null (the schema wants it left out)',
      'client',
      { type: 'session.update', session: { type: 'realtime', audio: { input: { noise_reduction: null } } } },
      /\/session\/audio\/input\/noise_reduction must be object/,
    ],
    [
      'an idle timeout outside 5–30 s',
      'client',
      {
        type: 'session.update',
        session: {
          type: 'realtime',
          audio: { input: { turn_detection: { type: 'server_vad', idle_timeout_ms: 1 } } },
        },
      },
      /idle_timeout_ms must be >= 5000/,
    ],
    [
      "the beta's assistant content type",
      'client',
      {
        type: 'conversation.item.create',
        item: { type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hi' }] },
      },
      /content\/0\/type must be equal to one of the allowed values/,
    ],
    [
      'a transcription without usage',
      'server',
      {
        type: 'conversation.item.input_audio_transcription.completed',
        event_id: 'event_1',
        item_id: 'item_1',
        content_index: 0,
        transcript: 'Hello?',
      },
      /must have required property 'usage'/,
    ],
    [
      'a beta event name',
      'server',
      { type: 'response.audio.delta' },
      /not a published RealtimeServerEvent type/,
    ],
  ])('refuses %s', (_name, side, event, problem) => {
    expect(publishedSchemaErrors(side, event).join('\n')).toMatch(problem);
  });
});
