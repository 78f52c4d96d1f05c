import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Notifier, loadConfig as notifierConfig, startNotifier } from '@switchboard/notifier';
import {
  ASSETS,
  placeDemoCall,
  type RealtimeSandbox,
  readMulawAu,
  startRealtimeSandbox,
} from '@switchboard/scripts';
import { eventually } from '@switchboard/testkit';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { log, NATS_USERS } from '../support.js';
import { type Services, startServices } from './services.js';

// The demo's call through the real gateway, worker and registry, with the real notifier beside them (each with
// its own NATS user) and a receiver of the test's own subscribed through the API: what a user's system hears.

const AUTH_TOKEN = 'e2e-twilio-auth-token';
const API_KEY = 'e2e-api-key';

interface Delivery {
  id: string;
  verified: boolean;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
}

let services: Services;
let sandbox: RealtimeSandbox;
let notifier: Notifier;
let receiver: Server;
let secret = '';
const deliveries: Delivery[] = [];

beforeAll(async () => {
  sandbox = await startRealtimeSandbox();
  services = await startServices({
    authToken: AUTH_TOKEN,
    apiKey: API_KEY,
    realtime: { url: sandbox.url, apiKey: sandbox.apiKey },
    env: { gateway: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' } },
  });
  notifier = await startNotifier({
    config: notifierConfig({
      NATS_URL: services.nats.url,
      NATS_USER: NATS_USERS.notifier.user,
      NATS_PASSWORD: NATS_USERS.notifier.password,
      PORT: '0',
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    }),
    log,
  });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      };
      let verified = true;
      try {
        new Webhook(secret).verify(body, headers);
      } catch {
        verified = false;
      }
      deliveries.push({ id: headers['webhook-id'], verified, json: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  await notifier?.close();
  await services?.close();
  await sandbox?.close();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

describe('webhooks of a real call', () => {
  it('tells the subscriber the call started, each line as spoken, its statuses and the end-of-call report', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const created = await fetch(`${services.publicBaseUrl}/api/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        url: `http://127.0.0.1:${port}/hooks`,
        events: ['call.started', 'call.status', 'call.transcript', 'call.ended'],
      }),
    });
    expect(created.status).toBe(201);
    secret = ((await created.json()) as { secret: string }).secret;

    const result = await placeDemoCall({
      gatewayUrl: services.publicBaseUrl,
      publicBaseUrl: services.publicBaseUrl,
      authToken: AUTH_TOKEN,
      apiKey: API_KEY,
      callerAudio: readMulawAu(ASSETS.caller),
    });
    const mine = () =>
      deliveries.filter((d) => {
        const data = d.json.data as { callSid?: string; call?: { callSid: string } };
        return (data.callSid ?? data.call?.callSid) === result.callSid;
      });
    await eventually(
      async () => mine().map((d) => d.json.type),
      (types) => types.includes('call.ended') && types.filter((t) => t === 'call.status').length >= 2,
      20_000,
    );
    const got = mine();
    expect(got.every((d) => d.verified)).toBe(true);
    expect(new Set(got.map((d) => d.id)).size).toBe(got.length);
    const types = got.map((d) => d.json.type);
    expect(types[0]).toBe('call.started');
    expect(types.filter((t) => t === 'call.started')).toHaveLength(1);
    expect(types.filter((t) => t === 'call.ended')).toHaveLength(1);

    // Every line as it was spoken, then the report with the same transcript as the API's.
    const lines = got
      .filter((d) => d.json.type === 'call.transcript')
      .map((d) => (d.json.data.segment as { text: string }).text);
    const transcript = result.transcript?.segments ?? [];
    expect(lines).toEqual(transcript.map((s) => s.text));
    const report = got.find((d) => d.json.type === 'call.ended')?.json.data as {
      call: { status: string; endedAt: string | null; endedReason: string | null };
      transcript: { segments: unknown[] };
      endedReason: string | null;
    };
    expect(report.transcript.segments).toEqual(transcript);
    expect(report.call.status).toBe('completed');
    expect(report.call.endedAt).not.toBeNull();
    expect(report.endedReason).toBe(report.call.endedReason);
    expect(report.endedReason).not.toBeNull();
    // The report comes after every line of the call.
    expect(types.indexOf('call.ended')).toBeGreaterThan(types.lastIndexOf('call.transcript'));
  }, 60_000);
});
