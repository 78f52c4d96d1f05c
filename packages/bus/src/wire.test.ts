import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseMessage } from './wire.js';

const encode = (text: string) => new TextEncoder().encode(text);
const Shape = z.object({ call: z.object({ callSid: z.string().startsWith('CA') }) });

describe('a message from the wire', () => {
  it('is its schema’s value when valid', () => {
    expect(parseMessage(encode('{"call":{"callSid":"CA1"}}'), Shape)).toEqual({
      ok: true,
      value: { call: { callSid: 'CA1' } },
    });
  });

  it('says why not, in a few words, when it is not', () => {
    expect(parseMessage(encode('{"call":'), Shape)).toEqual({ ok: false, reason: 'malformed JSON' });
    expect(parseMessage(encode('{"call":{"callSid":"x"}}'), Shape)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^call\.callSid: /),
    });
    expect(parseMessage(encode('7'), Shape)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^\(root\): /),
    });
  });
});
