import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ASSETS,
  FRAME_BYTES,
  loadStackSettings,
  MULAW_SILENCE,
  mulawFrames,
  mulawRms,
  mulawToLinear,
  mulawWav,
  parseStreamTwiml,
  prepareEnv,
  readDotEnv,
  readMulawAu,
  sayText,
  setInEnvFile,
} from '@switchboard/scripts';
import { apologyTwiml, connectStreamTwiml } from '@switchboard/webhook-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The pieces of `pnpm start` and `pnpm demo` that need no servers.

describe('the TwiML Twilio reads', () => {
  it("finds the gateway's stream URL and parameters, entities decoded", () => {
    const twiml = connectStreamTwiml('wss://media.example.com/media-stream?a=1&b=2', 'CA0123', {
      actionUrl: 'https://gw.example.com/twilio/stream-ended?x=1&y=2',
      parameters: { transferFailed: 'busy' },
    });
    expect(parseStreamTwiml(twiml)).toEqual({
      url: 'wss://media.example.com/media-stream?a=1&b=2',
      parameters: { callSid: 'CA0123', transferFailed: 'busy' },
      action: 'https://gw.example.com/twilio/stream-ended?x=1&y=2',
    });
  });

  it('finds no stream in an apology, and reads what it says', () => {
    const twiml = apologyTwiml();
    expect(parseStreamTwiml(twiml)).toBeUndefined();
    expect(sayText(twiml)).toMatch(/^Sorry/);
  });
});

describe('mu-law audio', () => {
  it('decodes G.711 mu-law', () => {
    expect(mulawToLinear(0xff)).toBe(0);
    expect(mulawToLinear(0x7f)).toBe(0);
    expect(mulawToLinear(0x80)).toBe(32_124);
    expect(mulawToLinear(0x00)).toBe(-32_124);
    expect(mulawRms(Buffer.alloc(FRAME_BYTES, MULAW_SILENCE))).toBe(0);
  });

  it('reads the shipped samples as 8 kHz mu-law, with speech in the caller sample', () => {
    const caller = readMulawAu(ASSETS.caller);
    expect(caller.length / 8_000).toBeGreaterThan(2);
    expect(caller.length / 8_000).toBeLessThan(10);
    const loud = mulawFrames(caller).filter((f) => mulawRms(Buffer.from(f, 'base64')) > 500);
    expect(loud.length).toBeGreaterThan(50);
    expect(readMulawAu(ASSETS.sandboxGreeting).length).toBeGreaterThan(0);
  });

  it('cuts 20 ms frames, padding the last one with silence', () => {
    const frames = mulawFrames(Buffer.alloc(FRAME_BYTES + 10, 0x00));
    expect(frames).toHaveLength(2);
    const last = Buffer.from(frames[1] as string, 'base64');
    expect(last).toHaveLength(FRAME_BYTES);
    expect(last[9]).toBe(0x00);
    expect(last[10]).toBe(MULAW_SILENCE);
  });

  it('writes a mu-law WAV file: RIFF, format 7, 8 kHz mono, fact and data chunks', () => {
    const wav = mulawWav(Buffer.from([1, 2, 3]));
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt16LE(34)]).toEqual([
      7, 1, 8_000, 8,
    ]);
    expect(wav.toString('ascii', 38, 42)).toBe('fact');
    expect(wav.readUInt32LE(46)).toBe(3);
    expect(wav.toString('ascii', 50, 54)).toBe('data');
    expect(wav.readUInt32LE(54)).toBe(3);
    expect([...wav.subarray(58, 61)]).toEqual([1, 2, 3]);
    expect(wav.length % 2).toBe(0);
  });
});

describe('the runner settings', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-env-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates .env from the example and writes a dev auth token and API key into it', () => {
    const example = join(dir, 'example');
    writeFileSync(example, '# comment\nTWILIO_AUTH_TOKEN=\n#API_KEYS=\nLOG_LEVEL=info\n');
    const env = join(dir, 'created.env');
    const prepared = prepareEnv(env, example, { LOG_LEVEL: 'debug' });
    expect(prepared.createdFromExample).toBe(true);
    expect(prepared.written).toEqual(['TWILIO_AUTH_TOKEN', 'API_KEYS']);
    const file = readDotEnv(env);
    expect(file.TWILIO_AUTH_TOKEN).toMatch(/^[0-9a-f]{32}$/);
    expect(file.API_KEYS).toMatch(/^dev-[0-9a-f]{24}$/);
    expect(readFileSync(env, 'utf8').match(/API_KEYS=/g)).toHaveLength(1);
    // The environment wins over the file.
    expect(prepared.env.LOG_LEVEL).toBe('debug');
    expect(prepared.env.TWILIO_AUTH_TOKEN).toBe(file.TWILIO_AUTH_TOKEN);
  });

  it('keeps what .env or the environment already has', () => {
    const env = join(dir, 'kept.env');
    writeFileSync(env, 'TWILIO_AUTH_TOKEN=mine\n');
    const prepared = prepareEnv(env, join(dir, 'missing'), { API_KEYS: 'from-env' });
    expect(prepared.written).toEqual([]);
    expect(readFileSync(env, 'utf8')).toBe('TWILIO_AUTH_TOKEN=mine\n');
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('sets a key by replacing its line, or appends one', () => {
    const env = join(dir, 'set.env');
    writeFileSync(env, 'A=1\n# B=old\nC=3');
    setInEnvFile(env, 'B', 'new');
    setInEnvFile(env, 'D', '4');
    expect(readFileSync(env, 'utf8')).toBe('A=1\nB=new\nC=3\nD=4\n');
  });

  it('derives the URLs Twilio and the demo use from the ports, unless told', () => {
    const settings = loadStackSettings({ GATEWAY_PORT: '8000', WORKER_PORT: '8001', DATABASE_URL: '' });
    expect(settings.databaseUrl).toBeUndefined();
    expect(settings.publicBaseUrl).toBe('http://127.0.0.1:8000');
    expect(settings.mediaStreamUrl).toBe('ws://127.0.0.1:8001/media-stream');
    expect(settings.natsPasswords.NATS_GATEWAY_PASSWORD).toBe('gateway-dev');
    expect(settings.drainTimeoutMs).toBe('10000');
    const told = loadStackSettings({ PUBLIC_BASE_URL: 'https://gw.example.com/', HOST: '0.0.0.0' });
    expect(told.publicBaseUrl).toBe('https://gw.example.com');
    expect(told.mediaStreamUrl).toBe('ws://127.0.0.1:3001/media-stream');
    expect(() => loadStackSettings({ GATEWAY_PORT: 'http' })).toThrow(/GATEWAY_PORT/);
  });
});
