import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  envBoolean,
  envString,
  jetstreamEnv,
  natsEnv,
  natsServers,
  natsSettings,
  parseEnv,
  serviceEnv,
} from './index.js';

describe('parseEnv', () => {
  const Schema = z.object({ ...serviceEnv(3000), ...natsEnv, FLAG: envBoolean, NAME: envString });

  it('applies the shared defaults', () => {
    const e = parseEnv(Schema, {}, 'test');
    expect(e).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', LOG_LEVEL: 'info', FLAG: false });
    expect(natsSettings(e)).toEqual({
      url: 'nats://127.0.0.1:4222',
      user: undefined,
      password: undefined,
      credsFile: undefined,
    });
  });

  it('reads booleans and blank strings the same way in every service', () => {
    for (const [raw, flag] of [
      ['true', true],
      ['1', true],
      ['yes', true],
      ['false', false],
      ['', false],
    ] as const) {
      expect(parseEnv(Schema, { FLAG: raw }, 'test').FLAG).toBe(flag);
    }
    expect(parseEnv(Schema, { NAME: '  ' }, 'test').NAME).toBeUndefined();
  });

  it('names every bad setting in one error', () => {
    const error = (() => {
      try {
        parseEnv(Schema, { PORT: 'x', LOG_LEVEL: 'loud', FLAG: 'maybe' }, 'test');
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/invalid test settings: PORT.*LOG_LEVEL.*FLAG/);
  });

  it('says plainly which required setting is missing', () => {
    const Required = z.object({ DATABASE_URL: z.string().min(1) });
    expect(() => parseEnv(Required, {}, 'registry')).toThrow(
      'invalid registry settings: DATABASE_URL is required',
    );
  });
});

describe('a NATS cluster', () => {
  const Schema = z.object({ ...natsEnv, ...jetstreamEnv });

  it('takes a comma-separated server list, blanks and spaces dropped', () => {
    const e = parseEnv(Schema, { NATS_URL: ' nats://a:4222, nats://b:4222 ,,nats://c:4222' }, 'test');
    expect(natsServers(e.NATS_URL)).toEqual(['nats://a:4222', 'nats://b:4222', 'nats://c:4222']);
    expect(() => parseEnv(Schema, { NATS_URL: ' , ' }, 'test')).toThrow(/NATS_URL: lists no server/);
  });

  it("reads JETSTREAM_REPLICAS: 1 unless set, 1 to 5 (JetStream's own limit)", () => {
    expect(parseEnv(Schema, {}, 'test').JETSTREAM_REPLICAS).toBe(1);
    expect(parseEnv(Schema, { JETSTREAM_REPLICAS: '3' }, 'test').JETSTREAM_REPLICAS).toBe(3);
    for (const bad of ['0', '6', '2.5', 'three']) {
      expect(() => parseEnv(Schema, { JETSTREAM_REPLICAS: bad }, 'test')).toThrow(/JETSTREAM_REPLICAS/);
    }
  });
});
