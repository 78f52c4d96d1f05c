import type { NatsConnection } from '@nats-io/nats-core';
import type { RegistryClient } from '@switchboard/bus';
import { type RegistryStack, startRegistryStack } from '@switchboard/call-registry/testing';
import type { ErrorBody } from '@switchboard/contracts';
import { createLogger, type Logger } from '@switchboard/logger';
import { FakeTwilioRest, signedTwilioRequest, type TwilioParams } from '@switchboard/testkit';
import { loadConfig } from '../src/config.js';
import { type Gateway, startGateway } from '../src/gateway.js';

export const log = createLogger({ name: 'gateway-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export const AUTH_TOKEN = 'test-auth-token';
export const ACCOUNT_SID = `AC${'7'.repeat(32)}`;
export const API_KEY = 'test-api-key-0123456789';
export const FROM_NUMBER = '+15550001111';
/** Where Twilio believes the gateway is: signatures are computed over this, not the test's local address. */
export const PUBLIC_BASE_URL = 'https://gateway.example.com';
export const MEDIA_STREAM_URL = 'wss://media.example.com/media-stream';

export { type CapturedLog, captureLog, eventually, newCallSid } from '@switchboard/testkit';

export interface GatewayStack {
  nats: RegistryStack['nats'];
  db: RegistryStack['db'];
  readonly registry: RegistryStack['registry'];
  twilio: FakeTwilioRest;
  gateway: Gateway;
  /** A client connection of its own, as another service would have. */
  nc: NatsConnection;
  client: RegistryClient;
  /** Stops the registry (its replacement starts with `restartRegistry`). */
  stopRegistry(): Promise<void>;
  /** Starts a new registry on the same database and NATS. */
  restartRegistry(): Promise<void>;
  /** Another gateway on the same NATS, with settings of its own. */
  startGateway(env?: Record<string, string>): Promise<Gateway>;
  close(): Promise<void>;
}

export function gatewayEnv(natsUrl: string, twilioUrl: string, env: Record<string, string> = {}) {
  return loadConfig({
    PORT: '0',
    NATS_URL: natsUrl,
    PUBLIC_BASE_URL,
    MEDIA_STREAM_URL,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_FROM_NUMBER: FROM_NUMBER,
    TWILIO_API_BASE_URL: twilioUrl,
    API_KEYS: `other-key,${API_KEY}`,
    ...env,
  });
}

/** nats-server, a migrated database, the real registry, a fake Twilio REST API and the gateway on port 0. */
export async function startStack(
  env: Record<string, string> = {},
  options: { log?: Logger } = {},
): Promise<GatewayStack> {
  // The registry's lines go to the same logger: a test reading it sees both services.
  const gatewayLog = options.log ?? log;
  const registry = await startRegistryStack({
    env: { DB_POOL_MIN: '1', DB_POOL_MAX: '5' },
    log: gatewayLog,
    clientName: 'gateway-test-client',
  });
  const twilio = await FakeTwilioRest.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const gateways: Gateway[] = [];
  const start = async (overrides: Record<string, string> = {}) => {
    const g = await startGateway({
      config: gatewayEnv(registry.nats.url, twilio.url, { ...env, ...overrides }),
      log: gatewayLog,
    });
    gateways.push(g);
    return g;
  };
  const gateway = await start();
  return {
    nats: registry.nats,
    db: registry.db,
    get registry() {
      return registry.registry;
    },
    twilio,
    gateway,
    nc: registry.nc,
    client: registry.client,
    stopRegistry: () => registry.stopRegistry(),
    restartRegistry: () => registry.restartRegistry(),
    startGateway: start,
    async close() {
      await Promise.allSettled(gateways.map((g) => g.close()));
      await twilio.close();
      await registry.close();
    },
  };
}

/** Posts a webhook as Twilio would: form-encoded, signed for PUBLIC_BASE_URL + path. */
export function postTwilio(
  gateway: Gateway,
  path: string,
  params: TwilioParams,
  { authToken = AUTH_TOKEN, signedFor = `${PUBLIC_BASE_URL}${path}` } = {},
): Promise<Response> {
  return fetch(`${gateway.url}${path}`, signedTwilioRequest(authToken, signedFor, params));
}

export function voiceParams(callSid: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CallSid: callSid,
    AccountSid: ACCOUNT_SID,
    From: '+15557654321',
    To: '+15559870000',
    Direction: 'inbound',
    CallStatus: 'ringing',
    ApiVersion: '2010-04-01',
    Caller: '+15557654321',
    Called: '+15559870000',
    ...overrides,
  };
}

export function statusParams(
  callSid: string,
  status: string,
  sequenceNumber: number,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    CallSid: callSid,
    AccountSid: ACCOUNT_SID,
    CallStatus: status,
    SequenceNumber: String(sequenceNumber),
    Timestamp: new Date(Date.UTC(2026, 10, 27, 10, 0, sequenceNumber)).toUTCString().replace('GMT', '+0000'),
    CallbackSource: 'call-progress-events',
    ApiVersion: '2010-04-01',
    ...overrides,
  };
}

/** An API request with the test's key. */
export function api(
  gateway: Gateway,
  path: string,
  init: RequestInit = {},
  key = API_KEY,
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  if (init.body !== undefined && !headers.has('content-type'))
    headers.set('content-type', 'application/json');
  return fetch(`${gateway.url}${path}`, { ...init, headers });
}

/** The `{"error": {code, message, details?}}` of an error response. */
export async function errorOf(res: Response): Promise<ErrorBody['error']> {
  return ((await res.json()) as ErrorBody).error;
}
