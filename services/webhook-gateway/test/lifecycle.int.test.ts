import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APOLOGY_MESSAGE } from '../src/twiml.js';
import {
  eventually,
  type GatewayStack,
  MEDIA_STREAM_URL,
  newCallSid,
  PUBLIC_BASE_URL,
  postTwilio,
  startStack,
  statusParams,
  voiceParams,
} from './support.js';

describe('gateway lifecycle and outages', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack({
      STATUS_PUBLISH_DEADLINE_MS: '500',
      VOICE_BUDGET_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '5000',
    });
  });
  afterAll(() => stack?.close());

  it('answers 503 to a status callback JetStream cannot store, and stores its retry once NATS is back', async () => {
    const callSid = newCallSid();
    expect((await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid))).status).toBe(200);
    const callback = statusParams(callSid, 'completed', 20, { CallDuration: '18' });

    await stack.nats.stop();
    try {
      const refused = await postTwilio(stack.gateway, '/twilio/status', callback);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: { code: 'EVENTS_UNAVAILABLE' } });
      expect((await fetch(`${stack.gateway.url}/readyz`)).status).toBe(503);
      const voice = await postTwilio(stack.gateway, '/twilio/voice', voiceParams(newCallSid()));
      expect(voice.status).toBe(200);
      expect(await voice.text()).toContain(APOLOGY_MESSAGE);
    } finally {
      await stack.nats.start();
    }
    // Twilio retries the same callback; once NATS is back it is stored and applied.
    await eventually(
      async () => (await postTwilio(stack.gateway, '/twilio/status', callback)).status,
      (status) => status === 204,
    );
    const call = await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.status === 'completed',
    );
    expect(call.durationSeconds).toBe(18);
    await eventually(
      async () => (await fetch(`${stack.gateway.url}/readyz`)).status,
      (status) => status === 200,
    );
  });

  it('on close, finishes the requests in flight and takes no new ones', async () => {
    const gateway = await stack.startGateway({ VOICE_BUDGET_MS: '1500' });
    const idle = await fetch(`${gateway.url}/healthz`); // leaves a keep-alive connection open
    expect(idle.status).toBe(200);
    await stack.stopRegistry();
    try {
      // The registry is away: this request waits out its budget while the gateway is told to stop.
      const inFlight = postTwilio(gateway, '/twilio/voice', voiceParams(newCallSid()));
      await new Promise((r) => setTimeout(r, 200));
      const closed = gateway.close();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(APOLOGY_MESSAGE);
      await closed;
      await expect(fetch(`${gateway.url}/healthz`)).rejects.toThrow();
    } finally {
      await stack.restartRegistry();
    }
  });
});

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

function spawnGateway(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--conditions=switchboard-src', '--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('the gateway process', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  const env = () => ({
    NATS_URL: stack.nats.url,
    PUBLIC_BASE_URL,
    MEDIA_STREAM_URL,
    TWILIO_AUTH_TOKEN: 'process-token',
  });

  it('refuses to start without TWILIO_AUTH_TOKEN', async () => {
    const { TWILIO_AUTH_TOKEN: _, ...withoutToken } = env();
    const gateway = spawnGateway({ ...withoutToken, PORT: String(await freePort()) });
    expect(await gateway.exited).toBe(1);
    expect(gateway.output()).toContain('TWILIO_AUTH_TOKEN is required');
  });

  it('starts without signature checks only when told, and says so', async () => {
    const { TWILIO_AUTH_TOKEN: _, ...withoutToken } = env();
    const port = await freePort();
    const gateway = spawnGateway({ ...withoutToken, PORT: String(port), TWILIO_SKIP_SIGNATURE: 'true' });
    await waitForPort(port, 30_000);
    const res = await fetch(`http://127.0.0.1:${port}/twilio/voice`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(voiceParams(newCallSid())).toString(),
    });
    expect(res.status).toBe(200);
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(gateway.output()).toContain('Twilio signatures are NOT checked');
  });

  it('exits 0 on SIGTERM after answering what it was doing', async () => {
    const port = await freePort();
    const gateway = spawnGateway({ ...env(), PORT: String(port) });
    await waitForPort(port, 30_000);
    const callSid = newCallSid();
    const res = await postTwilio(
      { port, url: `http://127.0.0.1:${port}`, close: async () => undefined },
      '/twilio/voice',
      voiceParams(callSid),
      { authToken: 'process-token' },
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(callSid);
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(gateway.output()).toContain('webhook gateway stopped');
  });
});
