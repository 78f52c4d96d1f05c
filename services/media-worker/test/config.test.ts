import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_OPENAI_REALTIME_URL, DEFAULT_PORT, loadConfig } from '../src/config.js';

const BASE = {
  OPENAI_API_KEY: 'sk-test',
  TWILIO_AUTH_TOKEN: 'token',
  PUBLIC_MEDIA_URL: 'wss://media.example.com/media-stream',
};

describe('worker settings', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(BASE);
    expect(config.port).toBe(DEFAULT_PORT);
    expect(config.host).toBe('127.0.0.1');
    expect(config.openai.realtimeUrl).toBe(DEFAULT_OPENAI_REALTIME_URL);
    expect(config.twilio).toEqual({
      authToken: 'token',
      skipSignature: false,
      publicMediaUrl: BASE.PUBLIC_MEDIA_URL,
    });
  });

  it('refuses to start without TWILIO_AUTH_TOKEN unless TWILIO_SKIP_SIGNATURE=true', () => {
    const { TWILIO_AUTH_TOKEN: _, ...withoutToken } = BASE;
    expect(() => loadConfig(withoutToken)).toThrow(ConfigError);
    expect(() => loadConfig(withoutToken)).toThrow(/TWILIO_AUTH_TOKEN/);
    expect(loadConfig({ ...withoutToken, TWILIO_SKIP_SIGNATURE: 'true' }).twilio.skipSignature).toBe(true);
  });

  it('needs PUBLIC_MEDIA_URL to check signatures', () => {
    const { PUBLIC_MEDIA_URL: _, ...withoutUrl } = BASE;
    expect(() => loadConfig(withoutUrl)).toThrow(/PUBLIC_MEDIA_URL/);
  });

  it.each([
    [{ OPENAI_API_KEY: '' }, /OPENAI_API_KEY/],
    [{ OPENAI_REALTIME_URL: 'https://api.openai.com/v1/realtime' }, /OPENAI_REALTIME_URL/],
    [{ PUBLIC_MEDIA_URL: 'https://media.example.com' }, /PUBLIC_MEDIA_URL/],
    [{ MAX_CONCURRENT_CALLS: '0' }, /MAX_CONCURRENT_CALLS/],
    [{ DRAIN_TIMEOUT_MS: 'soon' }, /DRAIN_TIMEOUT_MS/],
  ])('refuses %j', (override, message) => {
    expect(() => loadConfig({ ...BASE, ...override })).toThrow(message);
  });

  it('keeps no greeting audio unless KEEP_GREETING_AUDIO says so', () => {
    expect(loadConfig(BASE).keepGreetingAudio).toBe(false);
    expect(loadConfig({ ...BASE, KEEP_GREETING_AUDIO: 'true' }).keepGreetingAudio).toBe(true);
    expect(() => loadConfig({ ...BASE, KEEP_GREETING_AUDIO: 'sometimes' })).toThrow(/KEEP_GREETING_AUDIO/);
  });

  it('tools: no secret and no private URLs by default, a holding line after 1.5 s', () => {
    expect(loadConfig(BASE).tools).toEqual({
      signingSecret: undefined,
      allowPrivateUrls: false,
      fillerAfterMs: 1_500,
    });
    const secret = `whsec_${Buffer.from('a key of at least twenty bytes').toString('base64')}`;
    expect(
      loadConfig({
        ...BASE,
        TOOL_SIGNING_SECRET: secret,
        TOOL_ALLOW_PRIVATE_URLS: 'true',
        TOOL_FILLER_AFTER_MS: '900',
      }).tools,
    ).toEqual({ signingSecret: secret, allowPrivateUrls: true, fillerAfterMs: 900 });
  });

  it.each(['a-plain-password', 'whsec_not base64!', 'whsec_c2hvcnQ='])(
    'refuses TOOL_SIGNING_SECRET %s',
    (secret) => {
      expect(() => loadConfig({ ...BASE, TOOL_SIGNING_SECRET: secret })).toThrow(/TOOL_SIGNING_SECRET/);
    },
  );

  it('accepts ws:// for local sandboxes', () => {
    expect(
      loadConfig({ ...BASE, OPENAI_REALTIME_URL: 'ws://127.0.0.1:9000/v1/realtime' }).openai.realtimeUrl,
    ).toBe('ws://127.0.0.1:9000/v1/realtime');
  });
});
