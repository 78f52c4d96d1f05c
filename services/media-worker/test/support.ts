import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { RegistryClient } from '@switchboard/bus';
import { type RegistryStack, startRegistryStack } from '@switchboard/call-registry/testing';
import {
  type Agent,
  CALL_EVENTS_STREAM,
  CallEvent,
  type CallEventKind,
  eventSubject,
  type TranscriptSegment,
} from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import {
  FAKE_OPENAI_API_KEY,
  type FakeRealtimeOptions,
  FakeRealtimeServer,
  type FakeRealtimeSession,
  newCallSid,
  TwilioMediaClient,
  type TwilioMediaClientOptions,
} from '@switchboard/testkit';
import { loadConfig, startWorker, type Worker } from '../src/index.js';

export const log = createLogger({ name: 'media-worker-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export const AUTH_TOKEN = 'test-auth-token';
export const PUBLIC_MEDIA_URL = 'wss://media.example.com/media-stream';

export { newCallSid, until } from '@switchboard/testkit';

/** `ms` of mu-law audio whose bytes are all `fill`, base64. */
export function audio(ms: number, fill: number): string {
  return Buffer.alloc(ms * 8, fill).toString('base64');
}

/** 20 ms frames that are each different (frame i is filled with i), so order and loss show. */
export function frames(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => audio(20, (from + i) % 256));
}

/** The last event of `kind` the worker published for the call, waiting for it to be stored. */
export async function lastEvent<K extends CallEventKind>(
  nc: NatsConnection,
  callSid: string,
  kind: K,
): Promise<Extract<CallEvent, { kind: K }>> {
  const jsm = await jetstreamManager(nc);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const msg = await jsm.streams
      .getMessage(CALL_EVENTS_STREAM, { last_by_subj: eventSubject(callSid, kind) })
      .catch(() => null);
    if (msg) return CallEvent.parse(msg.json()) as Extract<CallEvent, { kind: K }>;
    if (Date.now() > deadline) throw new Error(`no ${kind} event for ${callSid}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A test worker's settings: a free port, signed streams for PUBLIC_MEDIA_URL, the fake Realtime API at `realtimeUrl`. */
export function workerEnv(natsUrl: string, realtimeUrl: string): Record<string, string> {
  return {
    PORT: '0',
    NATS_URL: natsUrl,
    PUBLIC_MEDIA_URL,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    OPENAI_API_KEY: FAKE_OPENAI_API_KEY,
    OPENAI_REALTIME_URL: realtimeUrl,
  };
}

export interface Stack {
  nats: RegistryStack['nats'];
  db: RegistryStack['db'];
  registry: RegistryStack['registry'];
  nc: NatsConnection;
  client: RegistryClient;
  fake: FakeRealtimeServer;
  worker: Worker;
  mediaUrl: string;
  /** Registers a call (inbound, default agent unless `agentId`), as the gateway does on /twilio/voice. */
  newCall(agentId?: string): Promise<string>;
  upsertAgent(agent: Agent): Promise<void>;
  /** A Twilio media client for `callSid`, signed, connected, and started. */
  stream(callSid: string, options?: Partial<TwilioMediaClientOptions>): Promise<TwilioMediaClient>;
  /** `stream()`, and the Realtime session the worker dials for it. */
  call(
    callSid: string,
    options?: Partial<TwilioMediaClientOptions>,
  ): Promise<{ twilio: TwilioMediaClient; session: FakeRealtimeSession }>;
  /** Waits until `call.transcript` has at least `count` segments. */
  transcript(callSid: string, count: number): Promise<TranscriptSegment[]>;
  close(): Promise<void>;
}

/** nats-server, database, the real registry, the fake Realtime API and a media worker. */
export async function startStack(
  env: Record<string, string> = {},
  fakeOptions: FakeRealtimeOptions = {},
): Promise<Stack> {
  const registryStack = await startRegistryStack({ log, clientName: 'media-worker-test' });
  const { nats, db, registry, nc, client } = registryStack;
  const fake = await FakeRealtimeServer.start(fakeOptions);
  const worker = await startWorker({
    config: loadConfig({ ...workerEnv(nats.url, fake.url), ...env }),
    log,
  });
  const mediaUrl = `ws://127.0.0.1:${worker.port}/media-stream`;
  const clients: TwilioMediaClient[] = [];
  async function stream(
    callSid: string,
    options: Partial<TwilioMediaClientOptions> = {},
  ): Promise<TwilioMediaClient> {
    const twilio = await TwilioMediaClient.connect({
      url: mediaUrl,
      authToken: AUTH_TOKEN,
      signedUrl: PUBLIC_MEDIA_URL,
      ...options,
    });
    clients.push(twilio);
    twilio.sendConnected();
    twilio.sendStart(callSid);
    return twilio;
  }

  return {
    nats,
    db,
    registry,
    nc,
    client,
    fake,
    worker,
    mediaUrl,
    async newCall(agentId) {
      const callSid = newCallSid();
      await client.callCreate({
        callSid,
        direction: 'inbound',
        from: '+15551230000',
        to: '+15559870000',
        status: 'in-progress',
        ...(agentId === undefined ? {} : { agentId }),
      });
      return callSid;
    },
    async upsertAgent(agent) {
      await client.agentUpsert(agent);
    },
    stream,
    async call(callSid, options) {
      const before = fake.sessions.length;
      const twilio = await stream(callSid, options);
      return { twilio, session: await fake.waitForSession(before + 1) };
    },
    async transcript(callSid, count) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { segments } = await client.callTranscript({ callSid });
        if (segments.length >= count) return segments;
        if (Date.now() > deadline) throw new Error(`transcript has ${segments.length} of ${count} segments`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      for (const twilio of clients) if (twilio.isOpen) twilio.terminate();
      await worker.close();
      await fake.close();
      await registryStack.close();
    },
  };
}
