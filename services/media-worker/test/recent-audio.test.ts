import { describe, expect, it } from 'vitest';
import { RecentAudio } from '../src/bridge/recent-audio.js';

/** A base64 frame of `chars` characters, distinct per `n`. */
const frame = (n: number, chars = 216) => `${n}`.padStart(chars, 'A/+');

describe('RecentAudio', () => {
  it('gives back the last frames, oldest first, exactly as pushed, and is empty afterwards', () => {
    const recent = new RecentAudio(3);
    for (let n = 1; n <= 5; n++) recent.push(frame(n), n * 20);
    expect(recent.drain()).toEqual({ payloads: [frame(3), frame(4), frame(5)], timestamps: [60, 80, 100] });
    expect(recent.drain()).toEqual({ payloads: [], timestamps: [] });
    recent.push(frame(6), 120);
    expect(recent.drain()).toEqual({ payloads: [frame(6)], timestamps: [120] });
  });

  it('keeps frames of any size, a shorter frame never showing a longer one it replaced', () => {
    const recent = new RecentAudio(2);
    const big = frame(1, 4_000);
    recent.push(big, 0);
    recent.push(frame(2, 256), 20);
    recent.push(frame(3, 8), 40);
    recent.push(big, 60);
    expect(recent.drain().payloads).toEqual([frame(3, 8), big]);
    recent.push(frame(4, 4), 80);
    recent.push(frame(5, 200), 100);
    recent.push(frame(6, 2), 120);
    expect(recent.drain().payloads).toEqual([frame(5, 200), frame(6, 2)]);
  });
});
