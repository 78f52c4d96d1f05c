import { MULAW_BYTES_PER_MS } from '@switchboard/contracts';
import type { AudioBytes } from './types.js';

/**
 * DTMF ("touch-tone") keys as audio for Twilio's stream: each key is the sum of one row and one column
 * frequency (ITU-T Q.23), mu-law at 8 kHz like everything the stream carries. Q.24 asks receivers to take a
 * tone of 40 ms and a pause of 40 ms; phone menus commonly want about 70 and 50. These are longer.
 */
export const DTMF_TONE_MS = 100;
export const DTMF_GAP_MS = 80;
/** One chunk of tone audio: 20 ms, as Twilio's own media frames. */
const CHUNK_MS = 20;

const SAMPLE_RATE = 8_000;
const ROWS = [697, 770, 852, 941] as const;
const COLUMNS = [1209, 1336, 1477, 1633] as const;
const KEYS = ['123A', '456B', '789C', '*0#D'] as const;
/** Each of the two sines at a quarter of full scale: loud and clear, never clipping. */
const AMPLITUDE = 0.25 * 32_767;

/** The row and column frequency of a key (0-9, *, #, A-D). */
export function dtmfFrequencies(key: string): [number, number] {
  for (let row = 0; row < KEYS.length; row++) {
    const column = (KEYS[row] as string).indexOf(key);
    if (key.length === 1 && column >= 0) return [ROWS[row] as number, COLUMNS[column] as number];
  }
  throw new RangeError(`not a DTMF key: ${key}`);
}

/** G.711 mu-law of one 16-bit linear sample. */
export function mulawOf(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32_635;
  let value = Math.round(sample);
  const sign = value < 0 ? 0x80 : 0;
  if (sign) value = -value;
  if (value > CLIP) value = CLIP;
  value += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (value & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (value >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/**
 * The tones of `keys`, each followed by its pause, as 20 ms chunks of base64 mu-law (as the bytes of its
 * text, like all audio in the bridge); `key` is the index of the key a chunk belongs to.
 */
export function dtmfChunks(keys: string): Array<{ key: number; payload: AudioBytes }> {
  const toneSamples = DTMF_TONE_MS * MULAW_BYTES_PER_MS;
  const keySamples = (DTMF_TONE_MS + DTMF_GAP_MS) * MULAW_BYTES_PER_MS;
  const chunkSamples = CHUNK_MS * MULAW_BYTES_PER_MS;
  const chunks: Array<{ key: number; payload: AudioBytes }> = [];
  for (let k = 0; k < keys.length; k++) {
    const [low, high] = dtmfFrequencies(keys[k] as string);
    const audio = Buffer.alloc(keySamples, mulawOf(0));
    for (let n = 0; n < toneSamples; n++) {
      const t = n / SAMPLE_RATE;
      audio[n] = mulawOf(AMPLITUDE * (Math.sin(2 * Math.PI * low * t) + Math.sin(2 * Math.PI * high * t)));
    }
    for (let at = 0; at < keySamples; at += chunkSamples) {
      const chunk = audio.subarray(at, at + chunkSamples).toString('base64');
      chunks.push({ key: k, payload: Buffer.from(chunk, 'latin1') });
    }
  }
  return chunks;
}
