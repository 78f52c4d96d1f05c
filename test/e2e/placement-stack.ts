import type { NatsConnection } from '@nats-io/nats-core';
import { connectBus } from '@switchboard/bus';
import { type Registry, loadConfig as registryConfig, startRegistry } from '@switchboard/call-registry';
import { inboxPrefixFor } from '@switchboard/contracts';
import { MEDIA_STREAM_PATH } from '@switchboard/media-worker';
import {
  FAKE_OPENAI_API_KEY,
  FakeRealtimeServer,
  freePort,
  metricValue,
  newCallSid,
  signedTwilioRequest,
  type TestDatabase,
  TestNatsServer,
  TwilioMediaClient,
} from '@switchboard/testkit';
import { type Gateway, loadConfig as gatewayConfig, startGateway } from '@switchboard/webhook-gateway';
import {
  log,
  NATS_AUTH_CONF,
  NATS_USERS,
  natsEnvFor,
  setNatsPasswordsInEnv,
  testDatabase,
} from '../support.js';

export const AUTH_TOKEN = 'placement-auth-token';

type Role = 'registry' | 'gateway' | 'worker';

/**
 * The set-up of the placement tests (SPEC: Scale-out): a nats-server with infra/nats's users, a throwaway
 * database, the fake Realtime API, the real registry in-process, and gateways started on demand; the workers
 * are each test's own (in-process or processes).
 */
export interface PlacementStack {
  nats: TestNatsServer;
  db: TestDatabase;
  fake: FakeRealtimeServer;
  registry: Registry;
  /** A connection as the gateway's NATS user (announcements, reservations, registry requests). */
  nc: NatsConnection;
  /** NATS_URL, NATS_USER, NATS_PASSWORD for a service's role. */
  natsEnv(role: Role): Record<string, string>;
  /** A worker's settings on this stack, its own WORKER_MEDIA_URL on a free port. */
  workerEnv(
    id: string,
    extra?: Record<string, string>,
  ): Promise<{ env: Record<string, string>; url: string }>;
  /** A gateway (its PUBLIC_BASE_URL is where it listens), with MEDIA_STREAM_URL when given. */
  startGateway(mediaStreamUrl?: string): Promise<{ gateway: Gateway; base: string }>;
  close(): Promise<void>;
}

export async function startPlacementStack(): Promise<PlacementStack> {
  setNatsPasswordsInEnv();
  const [nats, db, fake] = await Promise.all([
    TestNatsServer.start({ configFile: NATS_AUTH_CONF }),
    testDatabase(),
    FakeRealtimeServer.start(),
  ]);
  const natsEnv = (role: Role) => natsEnvFor(nats.url, role);
  const registry = await startRegistry({
    config: registryConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      MIGRATE_ON_START: 'false',
      ...natsEnv('registry'),
    }),
    log,
  });
  const nc = await connectBus({
    url: nats.url,
    name: 'placement-test',
    user: NATS_USERS.gateway.user,
    password: NATS_USERS.gateway.password,
    inboxPrefix: inboxPrefixFor('webhook-gateway'),
  });
  const gateways: Gateway[] = [];
  return {
    nats,
    db,
    fake,
    registry,
    nc,
    natsEnv,
    async workerEnv(id, extra = {}) {
      const port = await freePort();
      const url = `ws://127.0.0.1:${port}${MEDIA_STREAM_PATH}`;
      const env = {
        PORT: String(port),
        WORKER_ID: id,
        WORKER_MEDIA_URL: url,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        OPENAI_API_KEY: FAKE_OPENAI_API_KEY,
        OPENAI_REALTIME_URL: fake.url,
        ...natsEnv('worker'),
        ...extra,
      };
      return { env, url };
    },
    async startGateway(mediaStreamUrl) {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const gateway = await startGateway({
        config: gatewayConfig({
          PORT: String(port),
          PUBLIC_BASE_URL: base,
          ...(mediaStreamUrl === undefined ? {} : { MEDIA_STREAM_URL: mediaStreamUrl }),
          // Generous for a loaded test machine: which worker takes a call must not depend on the CPU's mood.
          PLACEMENT_TIMEOUT_MS: '3000',
          TWILIO_AUTH_TOKEN: AUTH_TOKEN,
          API_KEYS: 'placement-api-key',
          ...natsEnv('gateway'),
        }),
        log,
      });
      gateways.push(gateway);
      return { gateway, base };
    },
    async close() {
      for (const gateway of gateways) await gateway.close();
      await registry.close();
      await nc.close();
      await fake.close();
      await nats.close();
      await db.drop();
    },
  };
}

/** Twilio's voice webhook for a new call at the gateway at `base`: the TwiML's `<Stream url>`, or 'apology'. */
export async function voice(base: string, callSid = newCallSid()): Promise<{ callSid: string; url: string }> {
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
  if (res.status !== 200) throw new Error(`/twilio/voice answered ${res.status}`);
  const twiml = await res.text();
  const url = /<Stream url="([^"]+)"/.exec(twiml)?.[1];
  if (url === undefined && !twiml.includes('<Say>Sorry, we cannot take your call right now')) {
    throw new Error(`neither a stream nor the apology: ${twiml}`);
  }
  return { callSid, url: url ?? 'apology' };
}

/** Connects the call's stream where its TwiML said, signed for that URL as Twilio signs it, and starts it. */
export async function connectStream(callSid: string, url: string): Promise<TwilioMediaClient> {
  const client = await TwilioMediaClient.connect({ url, authToken: AUTH_TOKEN, signedUrl: url });
  client.sendConnected();
  client.sendStart(callSid);
  return client;
}

/** Until the gateway at `base` knows `count` workers (`gateway_placement_workers`). */
export async function gatewayKnows(base: string, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`${base}/metrics`)).text();
    if (metricValue(text, 'gateway_placement_workers') === count) return;
    if (Date.now() > deadline) throw new Error(`the gateway at ${base} never knew ${count} workers`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
