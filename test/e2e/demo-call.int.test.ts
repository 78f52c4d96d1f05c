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
import type { TestDatabase } from '@switchboard/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Services, startServices } from './services.js';

// The demo's call (`pnpm demo`) through the three real services, built in-process on a real nats-server
// with infra/nats's per-service users and a real PostgreSQL, with the local Realtime sandbox of `pnpm start`.

const AUTH_TOKEN = 'e2e-twilio-auth-token';
const API_KEY = 'e2e-api-key';

let services: Services;
let sandbox: RealtimeSandbox;
let db: TestDatabase;
let publicBaseUrl: string;

beforeAll(async () => {
  sandbox = await startRealtimeSandbox();
  services = await startServices({
    authToken: AUTH_TOKEN,
    apiKey: API_KEY,
    realtime: { url: sandbox.url, apiKey: sandbox.apiKey },
  });
  ({ db, publicBaseUrl } = services);
}, 60_000);

afterAll(async () => {
  await services?.close();
  await sandbox?.close();
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
