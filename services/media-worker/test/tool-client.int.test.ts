import { Writable } from 'node:stream';
import { createLogger } from '@switchboard/logger';
import { ToolServer } from '@switchboard/testkit';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolRequestBody } from '../src/bridge/types.js';
import { ToolClient } from '../src/tools/tool-client.js';

// The worker's tool client against a real HTTP server: signed per Standard Webhooks (checked with the
// reference library), every failure a result the model can speak about, private addresses refused.

const SECRET = `whsec_${Buffer.from('a test secret of 32 bytes, really').toString('base64')}`;
const log = createLogger({ name: 'tool-client-test', level: 'silent' });
const BODY: ToolRequestBody = {
  callSid: `CA${'1'.repeat(32)}`,
  agentId: 'default',
  tool: 'lookup',
  callId: 'call_1',
  arguments: { order: 'A-17' },
};

describe('the tool client', () => {
  let server: ToolServer;
  const allowed = new ToolClient({ signingSecret: SECRET, allowPrivateUrls: true, log });
  beforeAll(async () => {
    server = await ToolServer.start();
  });
  afterAll(() => server?.close());

  it('POSTs the body, signed: the reference library verifies it', async () => {
    server.on('lookup', () => ({ body: { status: 'shipped', eta: '2026-12-01' } }));
    const result = await allowed.call(server.url('lookup'), BODY, 5_000);
    expect(result).toEqual({ status: 'ok', body: '{"status":"shipped","eta":"2026-12-01"}' });
    const request = server.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual(BODY);
    const headers = {
      'webhook-id': String(request?.headers['webhook-id']),
      'webhook-timestamp': String(request?.headers['webhook-timestamp']),
      'webhook-signature': String(request?.headers['webhook-signature']),
    };
    expect(new Webhook(SECRET).verify(request?.body ?? '', headers)).toEqual(BODY);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    // …and not with another secret.
    const other = new Webhook(`whsec_${Buffer.from('another secret entirely, 32 byte').toString('base64')}`);
    expect(() => other.verify(request?.body ?? '', headers)).toThrow();
  });

  it('each call has its own webhook-id', async () => {
    await allowed.call(server.url('lookup'), BODY, 5_000);
    await allowed.call(server.url('lookup'), BODY, 5_000);
    const ids = server.requests.slice(-2).map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(2);
  });

  it.each([
    [{ status: 503, body: { error: 'down' } }, 'the lookup system answered with an error (HTTP 503)'],
    [{ status: 302, body: '' }, 'the lookup system answered with an error (HTTP 302)'],
    [{ body: '<html>oops</html>', contentType: 'text/html' }, "the lookup system's reply was not JSON"],
    [
      { body: 'x'.repeat(1024 * 1024 + 1), contentType: 'text/plain' },
      "the lookup system's reply was larger than 1 MiB",
    ],
  ])('%j is an error', async (reply, message) => {
    server.on('lookup', () => reply);
    expect(await allowed.call(server.url('lookup'), BODY, 5_000)).toEqual({ status: 'error', message });
  });

  it('a tool slower than its timeout is a timeout', async () => {
    server.on('lookup', () => ({ body: {}, delayMs: 1_000 }));
    const started = performance.now();
    expect(await allowed.call(server.url('lookup'), BODY, 150)).toEqual({
      status: 'timeout',
      message: 'the lookup system did not answer within 150 ms',
    });
    expect(performance.now() - started).toBeLessThan(900);
  });

  it('a tool nobody serves could not be reached', async () => {
    const result = await allowed.call('http://127.0.0.1:1/lookup', BODY, 2_000);
    expect(result).toEqual({
      status: 'error',
      message: 'the lookup system could not be reached (ECONNREFUSED)',
    });
  });

  it.each([
    ['an IPv4 loopback literal', (port: number) => `http://127.0.0.1:${port}/lookup`],
    ['a name that resolves to loopback', (port: number) => `http://localhost:${port}/lookup`],
    ['an IPv4-mapped IPv6 loopback', (port: number) => `http://[::ffff:127.0.0.1]:${port}/lookup`],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data'],
  ])('refuses %s unless TOOL_ALLOW_PRIVATE_URLS, and sends nothing', async (_name, url) => {
    const refusing = new ToolClient({ signingSecret: SECRET, allowPrivateUrls: false, log });
    const before = server.requests.length;
    expect(await refusing.call(url(server.port), BODY, 2_000)).toEqual({
      status: 'error',
      message: 'the lookup system is at an address this phone line may not call',
    });
    expect(server.requests.length).toBe(before);
  });

  it('without TOOL_SIGNING_SECRET nothing is sent, the model is told, and the log says so once', async () => {
    const lines: string[] = [];
    const recording = createLogger({
      name: 'tool-client-test',
      level: 'error',
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const unsigned = new ToolClient({ signingSecret: undefined, allowPrivateUrls: true, log: recording });
    const before = server.requests.length;
    for (let i = 0; i < 3; i++) {
      expect(await unsigned.call(server.url('lookup'), BODY, 2_000)).toEqual({
        status: 'error',
        message: 'the lookup system is not set up on this phone line',
      });
    }
    expect(server.requests.length).toBe(before);
    expect(lines).toHaveLength(1);
  });
});
