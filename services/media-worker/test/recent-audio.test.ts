import { describe, expect, it } from 'vitest';
import { RecentAudio } from '../src/bridge/recent-audio.js';

/** A base64 frame of `chars` characters (as bytes), distinct per `n`. */
const frame = (n: number, chars = 216) => Buffer.from(`${n}`.padStart(chars, 'A/+'), 'latin1');
const texts = (frames: Array<{ payload: Buffer }>) => frames.map((f) => f.payload.toString('latin1'));

describe('RecentAudio', () => {
  it('gives back the last frames, oldest first, exactly as pushed, and is empty afterwards', () => {
    const recent = new RecentAudio(3);
    for (let n = 1; n <= 5; n++) recent.push(frame(n), n * 20);
    const drained = recent.drain();
    expect(texts(drained)).toEqual([frame(3), frame(4), frame(5)].map((f) => f.toString('latin1')));
    expect(drained.map((f) => f.timestampMs)).toEqual([60, 80, 100]);
    expect(recent.drain()).toEqual([]);
    recent.push(frame(6), 120);
    expect(recent.drain().map((f) => f.timestampMs)).toEqual([120]);
  });

  it('keeps frames of any size, a shorter frame never showing a longer one it replaced', () => {
    const recent = new RecentAudio(2);
    const big = frame(1, 4_000);
    recent.push(big, 0);
    recent.push(frame(2, 256), 20);
    recent.push(frame(3, 8), 40);
    recent.push(big, 60);
    expect(texts(recent.drain())).toEqual([frame(3, 8), big].map((f) => f.toString('latin1')));
    recent.push(frame(4, 4), 80);
    recent.push(frame(5, 200), 100);
    recent.push(frame(6, 2), 120);
    expect(texts(recent.drain())).toEqual([frame(5, 200), frame(6, 2)].map((f) => f.toString('latin1')));
  });

  it('gives back copies, not views of a slot a later frame overwrites', () => {
    const recent = new RecentAudio(1);
    recent.push(frame(1), 0);
    const [first] = recent.drain();
    recent.push(frame(2), 20);
    expect(first?.payload.toString('latin1')).toBe(frame(1).toString('latin1'));
  });

  it('after a point in time, keeps only the frames that end later', () => {
    const recent = new RecentAudio(10);
    // 216 base64 characters are 160 bytes: 20 ms of mu-law.
    for (let n = 0; n < 5; n++) recent.push(frame(n), n * 20);
    expect(recent.drain(50).map((f) => f.timestampMs)).toEqual([40, 60, 80]);
  });
});
