import type { Agent } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { sessionUpdateFor } from '../src/bridge/session-config.js';
import { AGENT } from './bridge-harness.js';

const session = (agent: Agent) =>
  sessionUpdateFor(agent, { transcriptionModel: 'gpt-4o-mini-transcribe' }).session;

describe('session.update from the agent', () => {
  it('language goes to transcription', () => {
    expect(session({ ...AGENT, language: 'es' }).audio?.input?.transcription).toEqual({
      model: 'gpt-4o-mini-transcribe',
      language: 'es',
    });
    expect(session(AGENT).audio?.input?.transcription).toEqual({ model: 'gpt-4o-mini-transcribe' });
  });

  it.each<[Agent['turnDetection'], unknown]>([
    [undefined, { type: 'server_vad', create_response: true, interrupt_response: true }],
    [
      { type: 'server_vad', threshold: 0.7, silenceMs: 800 },
      {
        type: 'server_vad',
        threshold: 0.7,
        silence_duration_ms: 800,
        create_response: true,
        interrupt_response: true,
      },
    ],
    [
      { type: 'semantic_vad', eagerness: 'low' },
      { type: 'semantic_vad', eagerness: 'low', create_response: true, interrupt_response: true },
    ],
    [{ type: 'semantic_vad' }, { type: 'semantic_vad', create_response: true, interrupt_response: true }],
  ])('turn detection %j', (turnDetection, expected) => {
    expect(session({ ...AGENT, turnDetection }).audio?.input?.turn_detection).toEqual(expected);
  });

  it('noise reduction when set; none sent when null', () => {
    expect(session({ ...AGENT, noiseReduction: 'far_field' }).audio?.input?.noise_reduction).toEqual({
      type: 'far_field',
    });
    expect(session({ ...AGENT, noiseReduction: null }).audio?.input).not.toHaveProperty('noise_reduction');
  });

  it('tools: the agent’s own, end_call, transfer_call only with targets, send_dtmf', () => {
    const names = (agent: Agent) => (session(agent).tools ?? []).map((t) => t.name);
    expect(names(AGENT)).toEqual(['end_call', 'send_dtmf']);
    const agent: Agent = {
      ...AGENT,
      tools: [
        {
          name: 'lookup',
          description: 'Look an order up',
          parameters: { type: 'object', properties: { id: { type: 'string' } } },
          url: 'https://tools.example.com/lookup',
        },
      ],
      transferTargets: [{ name: 'sales', description: 'New orders', to: '+15550002222' }],
    };
    expect(names(agent)).toEqual(['lookup', 'end_call', 'transfer_call', 'send_dtmf']);
    expect(session(agent).tools?.[0]).toEqual({
      type: 'function',
      name: 'lookup',
      description: 'Look an order up',
      parameters: { type: 'object', properties: { id: { type: 'string' } } },
    });
    expect(session(agent).tools?.[2]?.parameters).toMatchObject({
      properties: { target: { type: 'string', enum: ['sales'] } },
      required: ['target', 'reason'],
    });
  });
});
