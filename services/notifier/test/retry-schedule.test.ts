import { describe, expect, it } from 'vitest';
import { budgetSpent, retryGapMs, waitBehindMs } from '../src/retry-schedule.js';

const MINUTE = 60_000;

/** The attempt times a delivery that always fails gets, from its first failure on, until `budgetMs`. */
function attempts(budgetMs: number): number[] {
  const times = [0];
  for (let now = 0; ; ) {
    if (budgetSpent(now, budgetMs)) return times;
    now += retryGapMs(now, now);
    times.push(now);
  }
}

describe('the retry schedule (SPEC "Webhooks")', () => {
  const day = 24 * 60 * MINUTE;
  const times = attempts(day);
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number));

  it('retries first within seconds, the gap doubling', () => {
    expect(gaps.slice(0, 6)).toEqual([1_000, 1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it('keeps gaps at most 60 s during the first 10 minutes and at most 5 minutes after', () => {
    times.slice(1).forEach((t, i) => {
      const gap = gaps[i] as number;
      const startedAt = t - gap;
      expect(gap).toBeLessThanOrEqual(startedAt < 10 * MINUTE ? MINUTE : 5 * MINUTE);
      expect(gap).toBeGreaterThanOrEqual(1_000);
    });
    expect(Math.max(...gaps)).toBe(5 * MINUTE);
  });

  it('goes on for at least the budget, then gives up', () => {
    expect(times.at(-1)).toBeGreaterThanOrEqual(day);
    expect(times.at(-2)).toBeLessThan(day);
    // About 12 attempts an hour once past the first phase: a day is a few hundred, not thousands.
    expect(times.length).toBeGreaterThan(250);
    expect(times.length).toBeLessThan(320);
  });

  it('restarts short after a restart forgot the failures, but never above the phase cap', () => {
    expect(retryGapMs(0, 3 * 60 * MINUTE)).toBe(1_000);
    expect(retryGapMs(3 * 60 * MINUTE, 3 * 60 * MINUTE)).toBe(5 * MINUTE);
    expect(retryGapMs(9 * MINUTE, 9 * MINUTE)).toBe(MINUTE);
  });

  it('lets a delivery behind another look again soon at first, then less often', () => {
    expect(waitBehindMs(0)).toBe(200);
    expect(waitBehindMs(2_000)).toBe(500);
    expect(waitBehindMs(10 * MINUTE)).toBe(30_000);
  });
});
