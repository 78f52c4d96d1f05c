import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { detectDtmf, dtmfKeys } from './dtmf-detector.js';

// The detector checked on its own, with tones made here (alawmulaw's encoder), not by the worker.

const FREQUENCIES: Record<string, [number, number]> = {
  '1': [697, 1209],
  '5': [770, 1336],
  '9': [852, 1477],
  '#': [941, 1477],
  '0': [941, 1336],
};

function tones(keys: string, toneMs: number, gapMs: number, noise = 0): Uint8Array {
  const samples: number[] = [];
  for (const key of keys) {
    const [low, high] = FREQUENCIES[key] as [number, number];
    for (let n = 0; n < toneMs * 8; n++) {
      const t = n / 8000;
      samples.push(7000 * (Math.sin(2 * Math.PI * low * t) + Math.sin(2 * Math.PI * high * t)));
    }
    for (let n = 0; n < gapMs * 8; n++) samples.push(noise * (Math.random() - 0.5));
  }
  return alawmulaw.mulaw.encode(Int16Array.from(samples));
}

describe('the DTMF detector', () => {
  it('hears each key, and where each tone starts and ends', () => {
    expect(detectDtmf(tones('159#', 70, 50))).toEqual([
      { key: '1', startMs: 0, endMs: 70 },
      { key: '5', startMs: 120, endMs: 190 },
      { key: '9', startMs: 240, endMs: 310 },
      { key: '#', startMs: 360, endMs: 430 },
    ]);
  });

  it('hears keys under a little noise', () => {
    expect(dtmfKeys(tones('0190', 100, 60, 200))).toBe('0190');
  });

  it('hears nothing in silence, and no key in a single tone', () => {
    expect(detectDtmf(new Uint8Array(800).fill(0xff))).toEqual([]);
    const single = alawmulaw.mulaw.encode(
      Int16Array.from({ length: 800 }, (_, n) => 8000 * Math.sin((2 * Math.PI * 697 * n) / 8000)),
    );
    expect(dtmfKeys(single)).toBe('?');
  });
});
