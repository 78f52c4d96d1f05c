import { describe, expect, it } from 'vitest';
import { Agent } from './agent.js';
import { CallControlRequest } from './control.js';
import { CallCreateRequest } from './requests.js';
import { hasControlCharacters, jsonRefusedByPostgres } from './text.js';

const CALL_SID = `CA${'0'.repeat(32)}`;
const AGENT = { id: 'a', instructions: 'Help.', voice: 'alloy', model: 'gpt-realtime' };

describe('text a client controls', () => {
  it('finds control characters, letting line breaks through in prose', () => {
    expect(hasControlCharacters('+1555\u00001234')).toBe(true);
    expect(hasControlCharacters('caf\u00e9 \u2014 ok')).toBe(false);
    expect(hasControlCharacters('a\u007f')).toBe(true);
    expect(hasControlCharacters('a\u0085')).toBe(true);
    expect(hasControlCharacters('line\nbreak\ttab\r')).toBe(true);
    expect(hasControlCharacters('line\nbreak\ttab\r', true)).toBe(false);
    expect(hasControlCharacters('bell\u0007', true)).toBe(true);
    expect(hasControlCharacters('lone \ud800 high')).toBe(true);
    expect(hasControlCharacters('lone \udc00 low')).toBe(true);
    expect(hasControlCharacters('pair \ud83d\ude00 ok')).toBe(false);
  });

  it('finds NUL anywhere in a JSON value, keys included', () => {
    expect(jsonRefusedByPostgres({ a: [{ b: 'x\u0000' }] })).toBe(true);
    expect(jsonRefusedByPostgres({ 'k\u0000': 1 })).toBe(true);
    expect(jsonRefusedByPostgres({ description: 'x\ud800' })).toBe(true);
    expect(jsonRefusedByPostgres({ description: '\ud83d\ude00' })).toBe(false);
    expect(jsonRefusedByPostgres({ a: ['\\u0000', 1, null, true] })).toBe(false);
  });

  it('refuses a NUL byte or another control character in a party of call.create', () => {
    const base = { callSid: CALL_SID, direction: 'inbound', from: '+15551230000', to: '+15559870000' };
    expect(CallCreateRequest.safeParse(base).success).toBe(true);
    for (const bad of ['+1555\u00001230000', '+15551230000\n', '\u001b[31m']) {
      const parsed = CallCreateRequest.safeParse({ ...base, from: bad });
      expect(parsed.success, JSON.stringify(bad)).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['from']);
    }
  });

  it('refuses NUL in what an agent stores, and keeps line breaks in its instructions', () => {
    expect(Agent.safeParse({ ...AGENT, instructions: 'One.\nTwo.\tThree.' }).success).toBe(true);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ instructions: 'x\u0000' }, 'instructions'],
      [{ voice: 'al\nloy' }, 'voice'],
      [{ greeting: 'hi\u0000' }, 'greeting'],
      [
        {
          tools: [
            {
              name: 't',
              description: 'd',
              url: 'https://example.com/a\u0000',
              parameters: { type: 'object' },
            },
          ],
        },
        'tools',
      ],
      [
        {
          tools: [
            {
              name: 't',
              description: 'd',
              url: 'https://example.com/a',
              parameters: { type: 'object', properties: { 'x\u0000': {} } },
            },
          ],
        },
        'tools',
      ],
      [{ transferTargets: [{ name: 'n', description: 'd', to: 'sip:a\u0000@b' }] }, 'transferTargets'],
    ];
    for (const [fields, path] of cases) {
      const parsed = Agent.safeParse({ ...AGENT, ...fields });
      expect(parsed.success, JSON.stringify(fields)).toBe(false);
      expect(parsed.error?.issues[0]?.path[0]).toBe(path);
    }
  });

  it('takes a transfer target name or an E.164 number for live control, nothing else', () => {
    expect(CallControlRequest.safeParse({ action: 'transfer', target: 'sales' }).success).toBe(true);
    expect(CallControlRequest.safeParse({ action: 'transfer', target: '+15551230000' }).success).toBe(true);
    for (const target of ['sales desk', 'sip:a@b', '', 'x'.repeat(65)]) {
      expect(CallControlRequest.safeParse({ action: 'transfer', target }).success, target).toBe(false);
    }
    expect(CallControlRequest.safeParse({ action: 'say', text: '  ' }).success).toBe(false);
    expect(CallControlRequest.safeParse({ action: 'say', text: 'hi\u0000' }).success).toBe(false);
  });
});
