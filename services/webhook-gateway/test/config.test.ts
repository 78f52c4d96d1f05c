import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_PORT, loadConfig } from '../src/config.js';

const BASE = {
  PUBLIC_BASE_URL: 'https://gw.example.com/',
  MEDIA_STREAM_URL: 'wss://media.example.com/media-stream',
  TWILIO_AUTH_TOKEN: 'secret',
};

describe('loadConfig', () => {
  it('applies the defaults', () => {
    const config = loadConfig(BASE);
    expect(config).toMatchObject({
      port: DEFAULT_PORT,
      host: '127.0.0.1',
      publicBaseUrl: 'https://gw.example.com',
      nats: { url: 'nats://127.0.0.1:4222' },
      apiKeys: [],
      twilio: { authToken: 'secret', skipSignature: false, apiBaseUrl: undefined },
    });
  });

  it('refuses to start without TWILIO_AUTH_TOKEN unless TWILIO_SKIP_SIGNATURE=true', () => {
    const { TWILIO_AUTH_TOKEN: _, ...withoutToken } = BASE;
    expect(() => loadConfig(withoutToken)).toThrow(ConfigError);
    expect(() => loadConfig({ ...withoutToken, TWILIO_SKIP_SIGNATURE: 'false' })).toThrow(
      /TWILIO_AUTH_TOKEN/,
    );
    expect(loadConfig({ ...withoutToken, TWILIO_SKIP_SIGNATURE: 'true' }).twilio.skipSignature).toBe(true);
  });

  it('splits API_KEYS and reads the Twilio settings', () => {
    const config = loadConfig({
      ...BASE,
      PORT: '0',
      API_KEYS: ' k1, k2 ,,',
      TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
      TWILIO_FROM_NUMBER: '+15550001111',
      TWILIO_API_BASE_URL: 'http://127.0.0.1:9999/',
    });
    expect(config.port).toBe(0);
    expect(config.apiKeys).toEqual(['k1', 'k2']);
    expect(config.twilio).toMatchObject({
      accountSid: `AC${'a'.repeat(32)}`,
      fromNumber: '+15550001111',
      apiBaseUrl: 'http://127.0.0.1:9999',
    });
  });

  it('names every bad setting', () => {
    expect(() =>
      loadConfig({ ...BASE, MEDIA_STREAM_URL: 'https://x', TWILIO_FROM_NUMBER: '555', PORT: 'http' }),
    ).toThrow(/MEDIA_STREAM_URL.*TWILIO_FROM_NUMBER|PORT/);
    expect(() => loadConfig({ MEDIA_STREAM_URL: BASE.MEDIA_STREAM_URL, TWILIO_AUTH_TOKEN: 'x' })).toThrow(
      /PUBLIC_BASE_URL/,
    );
  });

  it('reads the batch settings, and refuses a dial lease no longer than a dial and its registration', () => {
    expect(loadConfig(BASE).batches).toEqual({
      replicas: 1,
      dispatchConcurrency: 16,
      ackWaitMs: 30_000,
      dialLeaseMs: 60_000,
      reconcileAfterMs: 900_000,
    });
    expect(
      loadConfig({
        ...BASE,
        BATCH_DISPATCH_CONCURRENCY: '4',
        BATCH_ACK_WAIT_MS: '5000',
        BATCH_DIAL_LEASE_MS: '20000',
        JETSTREAM_REPLICAS: '3',
      }).batches,
    ).toMatchObject({ replicas: 3, dispatchConcurrency: 4, ackWaitMs: 5_000, dialLeaseMs: 20_000 });
    expect(() => loadConfig({ ...BASE, BATCH_DIAL_LEASE_MS: '12000' })).toThrow(/BATCH_DIAL_LEASE_MS/);
    expect(() => loadConfig({ ...BASE, BATCH_DISPATCH_CONCURRENCY: '0' })).toThrow(
      /BATCH_DISPATCH_CONCURRENCY/,
    );
  });
});
