import type { Agent } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { bodyOf, emptyTool, formOf, issuesFromApi, NEW_AGENT } from './agent-form.js';

const FULL: Agent = {
  id: 'support',
  phoneNumber: '+15550002222',
  instructions: 'Help with orders.',
  greeting: 'Support here.',
  voice: 'verse',
  model: 'gpt-realtime',
  language: 'es',
  turnDetection: { type: 'server_vad', threshold: 0.6, silenceMs: 700 },
  noiseReduction: 'near_field',
  idleTimeoutMs: 8_000,
  idleReprompts: 1,
  maxCallSeconds: 600,
  record: true,
  tools: [
    {
      name: 'lookup_order',
      description: 'Finds an order.',
      url: 'https://tools.example.com/lookup',
      timeoutMs: 2_000,
      parameters: { type: 'object', properties: { order: { type: 'string' } }, required: ['order'] },
    },
  ],
  transferTargets: [{ name: 'billing', description: 'The billing desk', to: '+15550004444' }],
  keypad: { terminator: '#', pauseMs: 2_000 },
};

describe('the agent form', () => {
  it('gives back every field it shows, and keeps the ones it does not (keypad) as they were', () => {
    const { id: _id, ...rest } = FULL;
    expect(bodyOf(formOf(FULL), FULL)).toEqual({ body: rest });
    const semantic: Agent = { ...FULL, turnDetection: { type: 'semantic_vad', eagerness: 'high' } };
    expect(bodyOf(formOf(semantic), semantic).body?.turnDetection).toEqual({
      type: 'semantic_vad',
      eagerness: 'high',
    });
  });

  it('leaves out what is left empty, so GET gives back exactly what was set', () => {
    const form = { ...NEW_AGENT, instructions: 'Be brief.' };
    expect(bodyOf(form, undefined)).toEqual({
      body: { instructions: 'Be brief.', voice: 'alloy', model: 'gpt-realtime' },
    });
    // Cleared on an agent that had them: gone from the body (PUT replaces the agent).
    const cleared = { ...formOf(FULL), phoneNumber: '', turnType: '' as const, tools: [], record: false };
    const { body } = bodyOf(cleared, FULL);
    expect(body).not.toHaveProperty('phoneNumber');
    expect(body).not.toHaveProperty('turnDetection');
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('record');
  });

  it('refuses what the browser can tell is wrong: a number that is not one, parameters that are not JSON', () => {
    const form = {
      ...formOf(FULL),
      idleTimeoutMs: 'soon',
      tools: [{ ...emptyTool(), parameters: '{"type": "object",' }],
    };
    expect(bodyOf(form, FULL)).toEqual({
      issues: { idleTimeoutMs: 'must be a number', 'tools.0.parameters': 'not valid JSON' },
    });
  });

  it("puts each of the API's issues next to the field it names, or the nearest group", () => {
    const form = formOf(FULL);
    expect(
      issuesFromApi(
        [
          { path: ['phoneNumber'], message: 'phone numbers must be E.164, like +15551230000' },
          { path: ['tools', '0', 'url'], message: 'url must be an http(s) URL' },
          {
            path: ['tools', '0', 'parameters'],
            message: 'parameters must be a JSON Schema with type "object"',
          },
          { path: ['tools', '0', 'colour'], message: 'is not a known field' },
          { path: ['transferTargets', '0', 'to'], message: 'a transfer target is an E.164 number' },
          { path: ['turnDetection', 'silenceMs'], message: 'Too big' },
          { path: ['tools'], message: 'tool names must be unique' },
          { path: ['tools', '7', 'name'], message: 'gone' },
          { path: ['whatever'], message: 'is not a known field' },
          { path: [], message: 'agent ids are 1–64 letters, digits, - and _' },
        ],
        form,
      ),
    ).toEqual({
      phoneNumber: 'phone numbers must be E.164, like +15551230000',
      'tools.0.url': 'url must be an http(s) URL',
      'tools.0.parameters': 'parameters must be a JSON Schema with type "object"',
      'tools.0': 'colour: is not a known field',
      'transferTargets.0.to': 'a transfer target is an E.164 number',
      'turnDetection.silenceMs': 'Too big',
      tools: 'tool names must be unique; 7.name: gone',
      form: 'whatever: is not a known field',
      id: 'agent ids are 1–64 letters, digits, - and _',
    });
  });
});
