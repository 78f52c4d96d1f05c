import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { signedTwilioRequest } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  AUTH_TOKEN,
  captureLog,
  errorOf,
  type GatewayStack,
  newCallSid,
  PUBLIC_BASE_URL,
  startStack,
  voiceParams,
} from './support.js';

// Issue 10, "Bad input, old routes and new": a body whose Content-Encoding cannot be decoded was a 500 with an
// error-level stack trace per request, before any auth check. It is a 400 with a clear code, still before the
// checks (the body is read first: Twilio's signature covers it), and logged at debug.

describe('bodies that cannot be read', () => {
  const captured = captureLog('gateway-bad-input');
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack({}, { log: captured.log });
  });
  afterAll(() => stack?.close());

  const send = (path: string, init: { headers?: Record<string, string>; body: Uint8Array | string }) =>
    fetch(`${stack.gateway.url}${path}`, { method: 'POST', ...init });

  it('answers 400 CONTENT_ENCODING_INVALID for a body its Content-Encoding cannot decode, on any route', async () => {
    const garbage = Buffer.from('this is not compressed at all');
    const truncated = gzipSync(Buffer.from(JSON.stringify({ to: '+15552223333' }))).subarray(0, 12);
    const cases: Array<[string, Uint8Array, string]> = [
      ['gzip', garbage, 'application/json'],
      ['gzip', truncated, 'application/json'],
      ['deflate', garbage, 'application/json'],
      ['br', garbage, 'application/json'],
      ['zstd', garbage, 'application/json'],
      ['x-unknown', garbage, 'application/json'],
      ['gzip', garbage, 'application/x-www-form-urlencoded'],
    ];
    for (const path of ['/api/calls', '/twilio/voice', '/api/agents/x', '/nowhere']) {
      for (const [encoding, body, type] of cases) {
        const res = await send(path, {
          headers: { 'content-type': type, 'content-encoding': encoding },
          body,
        });
        expect(res.status, `${path} ${encoding}`).toBe(400);
        const error = await errorOf(res);
        expect(error.code).toBe('CONTENT_ENCODING_INVALID');
        expect(error.message).toContain(encoding);
      }
    }
    expect(captured.errors()).toEqual([]);
  });

  it('reads bodies that are compressed properly, and still checks keys and signatures after', async () => {
    const agent = JSON.stringify({ instructions: 'Compressed.', voice: 'alloy', model: 'gpt-realtime' });
    for (const [encoding, compress] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      const headers = { 'content-type': 'application/json', 'content-encoding': encoding };
      const unauthorized = await fetch(`${stack.gateway.url}/api/agents/zipped`, {
        method: 'PUT',
        headers,
        body: compress(Buffer.from(agent)),
      });
      expect(unauthorized.status).toBe(401);
      const res = await fetch(`${stack.gateway.url}/api/agents/zipped`, {
        method: 'PUT',
        headers: { ...headers, authorization: `Bearer ${API_KEY}` },
        body: compress(Buffer.from(agent)),
      });
      expect([200, 201], encoding).toContain(res.status);
    }
    // A signed webhook, compressed: the signature is checked over the decoded params.
    const callSid = newCallSid();
    const signed = signedTwilioRequest(AUTH_TOKEN, `${PUBLIC_BASE_URL}/twilio/voice`, voiceParams(callSid));
    const voice = await send('/twilio/voice', {
      headers: { ...signed.headers, 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.from(signed.body)),
    });
    expect(voice.status).toBe(200);
    expect(await voice.text()).toContain(callSid);
  });

  it('answers 413 for a body that decompresses past the limit (a zip bomb), 400 for malformed JSON', async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    const res = await send('/api/calls', {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bomb,
    });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('PAYLOAD_TOO_LARGE');
    const malformed = await send('/api/calls', {
      headers: { 'content-type': 'application/json' },
      body: '{"to":',
    });
    expect(malformed.status).toBe(400);
    const charset = await send('/api/calls', {
      headers: { 'content-type': 'application/json; charset=iso-8859-1' },
      body: '{}',
    });
    expect(charset.status).toBe(400);
    expect(captured.errors()).toEqual([]);
  });
});
