import { type Registry, loadConfig as registryConfig, startRegistry } from '@switchboard/call-registry';
import {
  MEDIA_STREAM_PATH,
  startWorker,
  type Worker,
  loadConfig as workerConfig,
} from '@switchboard/media-worker';
import {
  ASSETS,
  type DemoEvent,
  placeDemoCall,
  type RealtimeSandbox,
  readMulawAu,
  SANDBOX_GREETING_TRANSCRIPT,
  SANDBOX_REPLY_TRANSCRIPT,
  startRealtimeSandbox,
} from '@switchboard/scripts';
import { freePort, type TestDatabase, TestNatsServer } from '@switchboard/testkit';
import { type Gateway, loadConfig as gatewayConfig, startGateway } from '@switchboard/webhook-gateway';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { log, NATS_AUTH_CONF, NATS_USERS, setNatsPasswordsInEnv, testDatabase } from '../support.js';

// The demo's call (`pnpm demo`) through the three real services, built in-process on a real nats-server
// with infra/nats's per-service users and a real PostgreSQL, with the local Realtime sandbox of `pnpm start`.

const AUTH_TOKEN = 'e2e-twilio-auth-token';
const API_KEY = 'e2e-api-key';

let nats: TestNatsServer;
let db: TestDatabase;
let sandbox: RealtimeSandbox;
let registry: Registry;
let gateway: Gateway;
let worker: Worker;
let publicBaseUrl: string;

function natsEnv(role: 'registry' | 'gateway' | 'worker') {
  return { NATS_URL: nats.url, NATS_USER: NATS_USERS[role].user, NATS_PASSWORD: NATS_USERS[role].password };
}

beforeAll(async () => {
  setNatsPasswordsInEnv();
  [nats, db, sandbox] = await Promise.all([
    TestNatsServer.start({ configFile: NATS_AUTH_CONF }),
    testDatabase(),
    startRealtimeSandbox(),
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
  const [gatewayPort, workerPort] = [await freePort(), await freePort()];
  publicBaseUrl = `http://127.0.0.1:${gatewayPort}`;
  const mediaUrl = `ws://127.0.0.1:${workerPort}${MEDIA_STREAM_PATH}`;
  gateway = await startGateway({
    config: gatewayConfig({
      PORT: String(gatewayPort),
      PUBLIC_BASE_URL: publicBaseUrl,
      MEDIA_STREAM_URL: mediaUrl,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      API_KEYS: API_KEY,
      ...natsEnv('gateway'),
    }),
    log,
  });
  worker = await startWorker({
    config: workerConfig({
      PORT: String(workerPort),
      PUBLIC_MEDIA_URL: mediaUrl,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      OPENAI_API_KEY: sandbox.apiKey,
      OPENAI_REALTIME_URL: sandbox.url,
      ...natsEnv('worker'),
    }),
    log,
  });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await gateway?.close();
  await registry?.close();
  await sandbox?.close();
  await nats?.close();
  await db?.drop();
});

describe('the demo call, end to end', () => {
  it('goes webhook → TwiML → media stream → Realtime sandbox → transcript in the database', async () => {
    const events: DemoEvent[] = [];
    const result = await placeDemoCall({
      gatewayUrl: publicBaseUrl,
      publicBaseUrl,
      authToken: AUTH_TOKEN,
      apiKey: API_KEY,
      callerAudio: readMulawAu(ASSETS.caller),
      onProgress: (event) => events.push(event),
    });

    // What the demo shows as the call goes: registered, streaming, the greeting, the caller talking over it
    // (barge-in), the agent's answer, the end.
    expect(events.map((e) => (e.kind === 'agent-speaking' ? `agent-speaking:${e.turn}` : e.kind))).toEqual([
      'registered',
      'streaming',
      'status',
      'agent-speaking:1',
      'caller-speaking',
      'barge-in',
      'agent-speaking:2',
      'ended',
      'status',
    ]);
    expect(result.bargeIns).toBe(1);
    expect(result.clearedMs).toBeGreaterThan(0);
    expect(result.agentAudio.length).toBeGreaterThan(0);

    // Through the API, as a user reads it.
    expect(result.call).toMatchObject({ callSid: result.callSid, status: 'completed', direction: 'inbound' });
    expect(result.call?.answeredAt).not.toBeNull();
    expect(result.call?.endedAt).not.toBeNull();
    expect(result.transcript?.segments.map((s) => [s.role, s.text])).toEqual([
      ['agent', SANDBOX_GREETING_TRANSCRIPT],
      ['caller', expect.stringMatching(/^\(the sandbox heard \d+\.\d s of speech\)$/)],
      ['agent', SANDBOX_REPLY_TRANSCRIPT],
    ]);

    // And in PostgreSQL itself.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const calls = await client.query('SELECT status FROM calls WHERE call_sid = $1', [result.callSid]);
      expect(calls.rows).toEqual([{ status: 'completed' }]);
      const segments = await client.query(
        'SELECT role FROM transcript_segments WHERE call_sid = $1 ORDER BY started_at',
        [result.callSid],
      );
      expect(segments.rows.map((r: { role: string }) => r.role)).toEqual(['agent', 'caller', 'agent']);
    } finally {
      await client.end();
    }
  }, 60_000);
});
