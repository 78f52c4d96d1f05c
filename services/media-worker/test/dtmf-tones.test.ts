import { decodeMulaw, detectDtmf } from '@switchboard/testkit';
import { describe, expect, it } from 'vitest';
import { DTMF_GAP_MS, DTMF_TONE_MS, dtmfChunks, dtmfFrequencies, mulawOf } from '../src/bridge/dtmf-tones.js';

/** The chunks as the audio Twilio would play: base64 text bytes → mu-law bytes. */
function played(keys: string): Uint8Array {
  const chunks = dtmfChunks(keys).map((c) =>
    Buffer.from(Buffer.from(c.payload).toString('latin1'), 'base64'),
  );
  return Buffer.concat(chunks);
}

describe('keypad tones (send_dtmf)', () => {
  it('are heard back as the keys pressed, by a Goertzel detector', () => {
    const tones = detectDtmf(played('0123456789*#'));
    expect(tones.map((t) => t.key).join('')).toBe('0123456789*#');
  });

  it(`last ${DTMF_TONE_MS} ms each (at least 70), with ${DTMF_GAP_MS} ms between them (at least 50)`, () => {
    const tones = detectDtmf(played('9#1'));
    for (const tone of tones) expect(tone.endMs - tone.startMs).toBe(DTMF_TONE_MS);
    for (let i = 1; i < tones.length; i++) {
      expect((tones[i]?.startMs ?? 0) - (tones[i - 1]?.endMs ?? 0)).toBe(DTMF_GAP_MS);
    }
    expect(DTMF_TONE_MS).toBeGreaterThanOrEqual(70);
    expect(DTMF_GAP_MS).toBeGreaterThanOrEqual(50);
  });

  it('come in 20 ms chunks of 8 kHz mu-law, each naming its key', () => {
    const chunks = dtmfChunks('12');
    const perKey = (DTMF_TONE_MS + DTMF_GAP_MS) / 20;
    expect(chunks).toHaveLength(2 * perKey);
    expect(chunks.map((c) => c.key)).toEqual([...Array(perKey).fill(0), ...Array(perKey).fill(1)]);
    for (const c of chunks)
      expect(Buffer.from(Buffer.from(c.payload).toString('latin1'), 'base64')).toHaveLength(160);
  });

  it('use the standard row and column frequencies', () => {
    expect(dtmfFrequencies('1')).toEqual([697, 1209]);
    expect(dtmfFrequencies('0')).toEqual([941, 1336]);
    expect(dtmfFrequencies('#')).toEqual([941, 1477]);
    expect(() => dtmfFrequencies('x')).toThrow(RangeError);
  });

  it('are G.711 mu-law: what an independent decoder reads back is the sample, within its quantization', () => {
    expect(mulawOf(0)).toBe(0xff);
    for (const sample of [-32_000, -8_000, -1_000, -100, -1, 1, 100, 1_000, 8_000, 32_000]) {
      const back = decodeMulaw(Uint8Array.of(mulawOf(sample)))[0] as number;
      expect(Math.abs(back - sample)).toBeLessThanOrEqual(Math.max(8, Math.abs(sample) / 16));
    }
  });
});
