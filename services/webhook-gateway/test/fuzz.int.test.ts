import { deflateSync, gzipSync } from 'node:zlib';
import { fullAgent, mutated, nastyJson, nastyString, signedTwilioRequest } from '@switchboard/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT_SID,
  API_KEY,
  AUTH_TOKEN,
  captureLog,
  type GatewayStack,
  newCallSid,
  PUBLIC_BASE_URL,
  postTwilio,
  startStack,
  voiceParams,
} from './support.js';

// Issue 10, "Bad input, old routes and new": no input a client controls produces a 5xx or an error-level log
// line, on any route, old or new. Requests are generated with fast-check: every route and method, paths with
// valid and hostile segments, any query, bodies as JSON near a valid one or as anything at all, every content
// type and encoding (valid and broken compression), with and without the API key, and Twilio webhooks signed
// correctly (so the handlers run on the hostile params) or not.

interface Route {
  method: string;
  path: (segment: string) => string;
  /** A valid body to mutate, when the route takes one. */
  body?: Record<string, unknown>;
  twilio?: boolean;
}

const ROUTES: Route[] = [
  {
    method: 'POST',
    path: () => '/api/calls',
    body: { to: '+15552223333', from: '+15550001111', agentId: 'default' },
  },
  {
    method: 'POST',
    path: () => '/api/calls',
    body: { to: '+15552223333', machineDetection: 'leave-message', voicemailMessage: 'Call us back.' },
  },
  { method: 'GET', path: (s) => `/api/calls/${s}/recording` },
  { method: 'DELETE', path: (s) => `/api/calls/${s}/recording` },
  {
    method: 'POST',
    path: () => '/twilio/recording',
    twilio: true,
    body: {
      CallSid: newCallSid(),
      RecordingSid: `RE${'0'.repeat(32)}`,
      RecordingStatus: 'completed',
      RecordingDuration: '7',
      RecordingChannels: '2',
      RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0',
      RecordingStartTime: 'Mon, 22 Dec 2026 09:00:00 +0000',
    },
  },
  {
    method: 'POST',
    path: () => '/twilio/amd',
    twilio: true,
    body: { CallSid: newCallSid(), AnsweredBy: 'machine_end_beep', MachineDetectionDuration: '4100' },
  },
  { method: 'GET', path: () => '/api/calls' },
  { method: 'GET', path: (s) => `/api/calls/${s}` },
  { method: 'GET', path: (s) => `/api/calls/${s}/transcript` },
  { method: 'POST', path: (s) => `/api/calls/${s}/hangup`, body: {} },
  { method: 'POST', path: (s) => `/api/calls/${s}/transfer`, body: { target: 'front_desk' } },
  { method: 'POST', path: (s) => `/api/calls/${s}/say`, body: { text: 'Hello.' } },
  { method: 'GET', path: () => '/api/agents' },
  { method: 'GET', path: (s) => `/api/agents/${s}` },
  { method: 'PUT', path: (s) => `/api/agents/${s}`, body: fullAgent('fuzzed') },
  { method: 'DELETE', path: (s) => `/api/agents/${s}` },
  {
    method: 'POST',
    path: () => '/api/webhooks',
    body: { url: 'https://hooks.example.com/in', events: ['call.ended', 'call.status'], agentId: 'default' },
  },
  { method: 'GET', path: () => '/api/webhooks' },
  { method: 'GET', path: (s) => `/api/webhooks/${s}` },
  { method: 'DELETE', path: (s) => `/api/webhooks/${s}` },
  { method: 'GET', path: (s) => `/api/webhooks/${s}/failed` },
  { method: 'POST', path: (s) => `/api/webhooks/${s}/failed/replay`, body: {} },
  { method: 'POST', path: () => '/twilio/voice', twilio: true, body: voiceParams(newCallSid()) },
  {
    method: 'POST',
    path: () => '/twilio/status',
    twilio: true,
    body: { CallSid: newCallSid(), CallStatus: 'completed', SequenceNumber: '3', CallDuration: '12' },
  },
  { method: 'POST', path: () => '/twilio/stream-ended', twilio: true, body: { CallSid: newCallSid() } },
  {
    method: 'POST',
    path: () => '/twilio/dial-result',
    twilio: true,
    body: { CallSid: newCallSid(), DialCallStatus: 'busy', DialCallSid: newCallSid(), DialCallDuration: '0' },
  },
  { method: 'GET', path: () => '/healthz' },
  { method: 'GET', path: () => '/readyz' },
  { method: 'PATCH', path: (s) => `/api/agents/${s}` },
  { method: 'GET', path: (s) => `/${s}` },
];

/** A JSON value as a form param's text. */
function asParam(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

/** Percent-encodes any string, lone surrogates included (encodeURIComponent throws on those). */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
}

const segment = fc.oneof(
  fc.constantFrom('default', 'fuzzed', 'CA0123', '%E0%A4%A', '%00', '..', '%2F', 'a%20b', 'x'.repeat(65)),
  fc.constant(null).map(() => newCallSid()),
  nastyString.map(percentEncode),
);

const query = fc
  .array(fc.tuple(fc.constantFrom('limit', 'cursor', 'status', 'target', 'x'), nastyString), { maxLength: 3 })
  .map((pairs) =>
    pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${percentEncode(v)}`).join('&')}`,
  );

const CONTENT_TYPES = [
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/json; charset=iso-8859-1',
  'application/json; charset=utf-16',
  'multipart/form-data; boundary=x',
];

/** How the body is put on the wire: as is, compressed right, or labelled with an encoding it is not in. */
const ENCODINGS = ['identity', 'gzip', 'deflate', 'gzip-broken', 'br-broken', 'x-unknown'] as const;

function encode(body: Buffer, encoding: (typeof ENCODINGS)[number]): { bytes: Buffer; header?: string } {
  switch (encoding) {
    case 'identity':
      return { bytes: body };
    case 'gzip':
      return { bytes: gzipSync(body), header: 'gzip' };
    case 'deflate':
      return { bytes: deflateSync(body), header: 'deflate' };
    case 'gzip-broken':
      return { bytes: gzipSync(body).subarray(0, 10), header: 'gzip' };
    case 'br-broken':
      return { bytes: body, header: 'br' };
    case 'x-unknown':
      return { bytes: body, header: 'x-unknown' };
  }
}

const generated = fc.record({
  route: fc.constantFrom(...ROUTES),
  segment,
  query,
  auth: fc.constantFrom('valid', 'valid', 'none', 'wrong'),
  signed: fc.boolean(),
  contentType: fc.constantFrom(...CONTENT_TYPES),
  encoding: fc.constantFrom(...ENCODINGS),
  // A body near the route's valid one, any JSON at all, or raw bytes.
  shape: fc.constantFrom('mutated', 'mutated', 'json', 'bytes'),
  json: nastyJson,
  bytes: fc.uint8Array({ maxLength: 64 }),
  mutation: fc.integer({ min: 0, max: 1_000_000 }),
});

describe('the gateway under fuzzed requests', () => {
  const captured = captureLog('gateway-fuzz', 'info');
  let stack: GatewayStack;
  /** One mutated body per route, drawn ahead for each run (fast-check draws them deterministically). */
  const mutations = new Map<Route, unknown[]>();
  beforeAll(async () => {
    stack = await startStack({}, { log: captured.log });
    for (const route of ROUTES) {
      if (route.body) mutations.set(route, fc.sample(mutated(route.body), { numRuns: 200, seed: 10 }));
    }
  });
  afterAll(() => stack?.close());

  it('answers every request below 500 and logs no error', async () => {
    await fc.assert(
      fc.asyncProperty(generated, async (g) => {
        captured.lines.length = 0;
        const path = g.route.path(g.segment) + g.query;
        const candidates = mutations.get(g.route) ?? [{}];
        const value = g.shape === 'json' ? g.json : candidates[g.mutation % candidates.length];
        let res: Response;
        if (
          g.route.twilio &&
          g.signed &&
          g.shape !== 'bytes' &&
          value !== null &&
          typeof value === 'object'
        ) {
          // A webhook signed as Twilio signs it: the handler runs on whatever the params hold.
          const params: Record<string, string> = { AccountSid: ACCOUNT_SID };
          for (const [k, v] of Object.entries(value))
            params[k] = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
          res = await postTwilio(stack.gateway, path, params);
        } else if (g.route.twilio && g.signed) {
          const init = signedTwilioRequest(AUTH_TOKEN, `${PUBLIC_BASE_URL}${path}`, {});
          res = await fetch(`${stack.gateway.url}${path}`, { ...init, body: Buffer.from(g.bytes) });
        } else {
          const raw =
            g.shape === 'bytes'
              ? Buffer.from(g.bytes)
              : g.contentType.startsWith('application/x-www-form-urlencoded') &&
                  value !== null &&
                  typeof value === 'object'
                ? Buffer.from(
                    new URLSearchParams(
                      Object.entries(value).map(([k, v]): [string, string] => [k, asParam(v)]),
                    ).toString(),
                  )
                : Buffer.from(JSON.stringify(value) ?? 'null');
          const { bytes, header } = encode(raw, g.encoding);
          const headers: Record<string, string> = { 'content-type': g.contentType };
          if (header) headers['content-encoding'] = header;
          if (g.auth === 'valid') headers.authorization = `Bearer ${API_KEY}`;
          if (g.auth === 'wrong') headers.authorization = 'Bearer nope';
          const hasBody = g.route.method !== 'GET';
          res = await fetch(`${stack.gateway.url}${path}`, {
            method: g.route.method,
            headers,
            ...(hasBody ? { body: bytes } : {}),
          });
        }
        const text = await res.text();
        expect(res.status, `${g.route.method} ${path} → ${text.slice(0, 300)}`).toBeLessThan(500);
        // Lines the gateway (or the registry behind it) logged while answering: none at error level.
        await new Promise((resolve) => setImmediate(resolve));
        expect(captured.errors(), `${g.route.method} ${path}`).toEqual([]);
      }),
      { numRuns: 600 },
    );
  }, 240_000);
});
