import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectBus, registryClient } from '@switchboard/bus';
import { type Registry, loadConfig as registryConfig, startRegistry } from '@switchboard/call-registry';
import { type Call, inboxPrefixFor } from '@switchboard/contracts';
import { MEDIA_STREAM_PATH } from '@switchboard/media-worker';
import {
  eventually,
  FAKE_OPENAI_API_KEY,
  FakeRealtimeServer,
  freePort,
  metricValue,
  signedTwilioRequest,
  type TestDatabase,
  TestNatsServer,
  TwilioMediaClient,
} from '@switchboard/testkit';
import { type Gateway, loadConfig as gatewayConfig, startGateway } from '@switchboard/webhook-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  log,
  NATS_AUTH_CONF,
  NATS_USERS,
  newCallSid,
  REPO_ROOT,
  setNatsPasswordsInEnv,
  testDatabase,
} from '../support.js';

// A media worker process SIGKILLed mid-call (SPEC: Scale-out): nobody tells the registry, yet its calls are
// recorded as ended with the reason `worker-lost` within seconds (the worker's announcements were its lease);
// the calls on the other worker process go on untouched.

const AUTH_TOKEN = 'worker-lost-auth-token';
const WORKER_MAIN = fileURLToPath(new URL('services/media-worker/src/main.ts', `file://${REPO_ROOT}`));
const CALLS_PER_WORKER = 2;

let nats: TestNatsServer;
let db: TestDatabase;
let fake: FakeRealtimeServer;
let registry: Registry;
let gateway: Gateway;
let base: string;
let nc: NatsConnection;
const workers: Array<{ id: string; url: string; child: ChildProcess; exited: Promise<unknown> }> = [];
const clients: TwilioMediaClient[] = [];

const natsEnv = (role: 'registry' | 'gateway' | 'worker') => ({
  NATS_URL: nats.url,
  NATS_USER: NATS_USERS[role].user,
  NATS_PASSWORD: NATS_USERS[role].password,
});

async function spawnWorker(id: string) {
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}${MEDIA_STREAM_PATH}`;
  const child = spawn(process.execPath, ['--conditions=switchboard-src', '--import', 'tsx', WORKER_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      WORKER_ID: id,
      WORKER_MEDIA_URL: url,
      MAX_CONCURRENT_CALLS: String(CALLS_PER_WORKER),
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      OPENAI_API_KEY: FAKE_OPENAI_API_KEY,
      OPENAI_REALTIME_URL: fake.url,
      ...natsEnv('worker'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  workers.push({ id, url, child, exited });
}

beforeAll(async () => {
  setNatsPasswordsInEnv();
  [nats, db, fake] = await Promise.all([
    TestNatsServer.start({ configFile: NATS_AUTH_CONF }),
    testDatabase(),
    FakeRealtimeServer.start(),
  ]);
  registry = await startRegistry({
    config: registryConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      MIGRATE_ON_START: 'false',
      ...natsEnv('registry'),
    }),
    log,
  });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gateway = await startGateway({
    config: gatewayConfig({
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      PLACEMENT_TIMEOUT_MS: '3000',
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      API_KEYS: 'worker-lost-api-key',
      ...natsEnv('gateway'),
    }),
    log,
  });
  nc = await connectBus({
    url: nats.url,
    name: 'worker-lost-test',
    user: NATS_USERS.gateway.user,
    password: NATS_USERS.gateway.password,
    inboxPrefix: inboxPrefixFor('webhook-gateway'),
  });
  await Promise.all([spawnWorker('doomed'), spawnWorker('survivor')]);
  await eventually(
    async () => metricValue(await (await fetch(`${base}/metrics`)).text(), 'gateway_placement_workers'),
    (known) => known === 2,
    30_000,
  );
}, 60_000);

afterAll(async () => {
  for (const client of clients) if (client.isOpen) client.terminate();
  for (const { child, exited } of workers) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  }
  await nc?.close();
  await gateway?.close();
  await registry?.close();
  await fake?.close();
  await nats?.close();
  await db?.drop();
});

/** A call through /twilio/voice, its stream connected where the TwiML said. */
async function placedCall(): Promise<{ callSid: string; url: string; client: TwilioMediaClient }> {
  const callSid = newCallSid();
  const params = {
    CallSid: callSid,
    AccountSid: `AC${'0'.repeat(32)}`,
    From: '+15557654321',
    To: '+15559870000',
    Direction: 'inbound',
    CallStatus: 'ringing',
  };
  const res = await fetch(
    `${base}/twilio/voice`,
    signedTwilioRequest(AUTH_TOKEN, `${base}/twilio/voice`, params),
  );
  const url = /<Stream url="([^"]+)"/.exec(await res.text())?.[1];
  if (url === undefined) throw new Error('the call was not placed');
  const client = await TwilioMediaClient.connect({ url, authToken: AUTH_TOKEN, signedUrl: url });
  clients.push(client);
  client.sendConnected();
  client.sendStart(callSid);
  return { callSid, url, client };
}

describe('a worker process killed mid-call', () => {
  it('has its calls ended with worker-lost within seconds; the other worker’s calls go on', async () => {
    const registryApi = registryClient(nc, { timeoutMs: 5_000 });
    const call = (callSid: string) => registryApi.callBySid({ callSid });
    const calls = await Promise.all(Array.from({ length: 2 * CALLS_PER_WORKER }, () => placedCall()));
    for (const { callSid } of calls) {
      await eventually(
        () => call(callSid),
        (c) => c.status === 'in-progress',
        10_000,
      );
    }
    const doomed = workers.find((w) => w.id === 'doomed');
    if (doomed === undefined) throw new Error('no doomed worker');
    const onDoomed = calls.filter((c) => c.url === doomed.url);
    const onSurvivor = calls.filter((c) => c.url !== doomed.url);
    expect([onDoomed.length, onSurvivor.length]).toEqual([CALLS_PER_WORKER, CALLS_PER_WORKER]);

    doomed.child.kill('SIGKILL');
    await doomed.exited;
    for (const { callSid } of onDoomed) {
      const ended: Call = await eventually(
        () => call(callSid),
        (c) => c.status === 'completed',
        15_000,
      );
      expect(ended).toMatchObject({ status: 'completed', endedReason: 'worker-lost' });
      expect(ended.endedAt).not.toBeNull();
      expect(ended.durationSeconds).not.toBeNull();
    }
    for (const { callSid, client } of onSurvivor) {
      expect(await call(callSid)).toMatchObject({ status: 'in-progress', endedReason: null });
      expect(client.isOpen).toBe(true);
    }
  });
});
