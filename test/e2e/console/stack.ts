import { type Registry, loadConfig as registryConfig, startRegistry } from '@switchboard/call-registry';
import {
  MEDIA_STREAM_PATH,
  startWorker,
  type Worker,
  loadConfig as workerConfig,
} from '@switchboard/media-worker';
import { parseStreamTwiml, TwilioWebhooks } from '@switchboard/scripts';
import {
  FakeRealtimeServer,
  type FakeRealtimeSession,
  freePort,
  newCallSid,
  SILENCE_20MS,
  TcpProxy,
  type TestDatabase,
  TestNatsServer,
  TwilioMediaClient,
} from '@switchboard/testkit';
import { type Gateway, loadConfig as gatewayConfig, startGateway } from '@switchboard/webhook-gateway';
import { log, NATS_AUTH_CONF, NATS_USERS, setNatsPasswordsInEnv, testDatabase } from '../../support.js';

export const AUTH_TOKEN = 'console-e2e-twilio-auth-token';
export const API_KEY = 'console-e2e-api-key';
export const GREETING = 'Hello! How can I help you today?';

/**
 * The three real services as the other end-to-end tests start them (a real nats-server with infra/nats's
 * users, a real PostgreSQL), a fake OpenAI Realtime whose sessions the test drives line by line, and a TCP
 * proxy in front of the gateway through which the browser reaches it, so the test can cut the browser off.
 */
export interface ConsoleStack {
  gateway: Gateway;
  /** Where the browser opens the console: the proxy in front of the gateway. */
  consoleUrl: string;
  proxy: TcpProxy;
  realtime: FakeRealtimeServer;
  webhooks: TwilioWebhooks;
  mediaUrl: string;
  db: TestDatabase;
  close(): Promise<void>;
}

export async function startConsoleStack(): Promise<ConsoleStack> {
  setNatsPasswordsInEnv();
  const answers = new Map<FakeRealtimeSession, number>();
  const [nats, db, realtime] = await Promise.all([
    TestNatsServer.start({ configFile: NATS_AUTH_CONF }),
    testDatabase(),
    FakeRealtimeServer.start({
      // The greeting, then "Agent answer <n>" for each turn: short audio, so each response ends quickly.
      response: (session) => {
        const n = answers.get(session) ?? 0;
        answers.set(session, n + 1);
        return {
          audio: Array.from({ length: 10 }, () => SILENCE_20MS),
          transcript: n === 0 ? GREETING : `Agent answer ${n}`,
        };
      },
    }),
  ]);
  const natsEnv = (role: 'registry' | 'gateway' | 'worker') => ({
    NATS_URL: nats.url,
    NATS_USER: NATS_USERS[role].user,
    NATS_PASSWORD: NATS_USERS[role].password,
  });
  const registry: Registry = await startRegistry({
    config: registryConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      MIGRATE_ON_START: 'false',
      ...natsEnv('registry'),
    }),
    log,
  });
  const [gatewayPort, workerPort] = [await freePort(), await freePort()];
  const publicBaseUrl = `http://127.0.0.1:${gatewayPort}`;
  const mediaUrl = `ws://127.0.0.1:${workerPort}${MEDIA_STREAM_PATH}`;
  const gateway = await startGateway({
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
  const worker: Worker = await startWorker({
    config: workerConfig({
      PORT: String(workerPort),
      PUBLIC_MEDIA_URL: mediaUrl,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      OPENAI_API_KEY: 'sk-test-switchboard',
      OPENAI_REALTIME_URL: realtime.url,
      ...natsEnv('worker'),
    }),
    log,
  });
  const proxy = await TcpProxy.start({ port: gatewayPort });
  return {
    gateway,
    consoleUrl: `http://127.0.0.1:${proxy.port}`,
    proxy,
    realtime,
    webhooks: new TwilioWebhooks(publicBaseUrl, publicBaseUrl, AUTH_TOKEN),
    mediaUrl,
    db,
    async close() {
      await proxy.close();
      await worker.close();
      await gateway.close();
      await registry.close();
      await realtime.close();
      await nats.close();
      await db.drop();
    },
  };
}

/** A call as Twilio places it: the signed voice webhook, then the signed media stream with `start`. */
export interface PlacedCall {
  callSid: string;
  media: TwilioMediaClient;
  session: FakeRealtimeSession;
  hangUp(): Promise<void>;
}

export async function placeCall(stack: ConsoleStack, from: string, to = '+15559870000'): Promise<PlacedCall> {
  const callSid = newCallSid();
  const { twiml } = await stack.webhooks.voice({ callSid, from, to });
  const stream = parseStreamTwiml(twiml);
  if (!stream) throw new Error(`no stream in the TwiML: ${twiml}`);
  const sessions = stack.realtime.sessions.length;
  const media = await TwilioMediaClient.connect({
    url: stream.url,
    authToken: AUTH_TOKEN,
    playback: 'realtime',
  });
  media.sendConnected();
  media.sendStart(callSid, stream.parameters);
  // A phone line sends audio all the time: 20 ms of silence every 20 ms, so caller speech has a place in it.
  const line = setInterval(() => {
    if (media.isOpen) media.sendMedia(SILENCE_20MS);
  }, 20);
  void media.closed.then(() => clearInterval(line));
  await stack.webhooks.status(callSid, 'in-progress');
  const session = await stack.realtime.waitForSession(sessions + 1, 10_000);
  return {
    callSid,
    media,
    session,
    async hangUp() {
      clearInterval(line);
      media.sendStop(callSid);
      await media.closed;
      await stack.webhooks.status(callSid, 'completed', { CallDuration: '7' });
    },
  };
}
