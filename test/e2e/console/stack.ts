import { parseStreamTwiml, TwilioWebhooks } from '@switchboard/scripts';
import {
  FAKE_OPENAI_API_KEY,
  FakeRealtimeServer,
  type FakeRealtimeSession,
  FakeTwilioRest,
  newCallSid,
  SILENCE_20MS,
  TcpProxy,
  type TestDatabase,
  ToolServer,
  TwilioMediaClient,
} from '@switchboard/testkit';
import type { Gateway } from '@switchboard/webhook-gateway';
import { startServices } from '../services.js';

export const AUTH_TOKEN = 'console-e2e-twilio-auth-token';
export const API_KEY = 'console-e2e-api-key';
export const GREETING = 'Hello! How can I help you today?';
export const ACCOUNT_SID = `AC${'c0'.repeat(16)}`;
const TOOL_SIGNING_SECRET = `whsec_${Buffer.from('console-e2e-tool-signing-secret').toString('base64')}`;

/**
 * The three real services as the other end-to-end tests start them (a real nats-server with infra/nats's
 * users, a real PostgreSQL), a fake OpenAI Realtime whose sessions the test drives line by line, a fake of
 * Twilio's REST API (transfers update the call there), an operator's tool server the agents' tools point at,
 * and a TCP proxy in front of the gateway through which the browser reaches it, so the test can cut the
 * browser off.
 */
export interface ConsoleStack {
  gateway: Gateway;
  /** Where the browser opens the console: the proxy in front of the gateway. */
  consoleUrl: string;
  proxy: TcpProxy;
  realtime: FakeRealtimeServer;
  twilio: FakeTwilioRest;
  tools: ToolServer;
  webhooks: TwilioWebhooks;
  mediaUrl: string;
  db: TestDatabase;
  close(): Promise<void>;
}

export async function startConsoleStack(): Promise<ConsoleStack> {
  const answers = new Map<FakeRealtimeSession, number>();
  const realtime = await FakeRealtimeServer.start({
    // The greeting, then "Agent answer <n>" for each turn: short audio, so each response ends quickly.
    response: (session) => {
      const n = answers.get(session) ?? 0;
      answers.set(session, n + 1);
      return {
        audio: Array.from({ length: 10 }, () => SILENCE_20MS),
        transcript: n === 0 ? GREETING : `Agent answer ${n}`,
      };
    },
  });
  const [twilio, tools] = await Promise.all([
    FakeTwilioRest.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }),
    ToolServer.start(),
  ]);
  const services = await startServices({
    authToken: AUTH_TOKEN,
    apiKey: API_KEY,
    realtime: { url: realtime.url, apiKey: FAKE_OPENAI_API_KEY },
    env: {
      gateway: { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_API_BASE_URL: twilio.url },
      worker: { TOOL_SIGNING_SECRET, TOOL_ALLOW_PRIVATE_URLS: 'true' },
    },
  });
  const proxy = await TcpProxy.start({ port: services.gateway.port });
  return {
    gateway: services.gateway,
    consoleUrl: `http://127.0.0.1:${proxy.port}`,
    proxy,
    realtime,
    twilio,
    tools,
    webhooks: new TwilioWebhooks(services.publicBaseUrl, services.publicBaseUrl, AUTH_TOKEN),
    mediaUrl: services.mediaUrl,
    db: services.db,
    async close() {
      await proxy.close();
      await services.close();
      await Promise.all([realtime.close(), twilio.close(), tools.close()]);
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
  // Twilio knows every call it sends a webhook for (a transfer updates it through the REST API).
  stack.twilio.addCall(callSid, { from, to });
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
