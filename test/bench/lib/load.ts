import { setTimeout as sleep } from 'node:timers/promises';
import { Latencies } from './latency.js';

/**
 * One request of the system under test. `signal` aborts when the measured window is over: an operation
 * still queued (for a connection, say) may give up then instead of keeping the run waiting.
 */
export type Operation = (signal: AbortSignal) => Promise<void>;

export interface LoadResult {
  /** Answer times of the operations that succeeded inside the measured window, in ms. */
  latencies: Latencies;
  /** Operations completed inside the measured window. */
  completed: number;
  /** Operations that failed inside the measured window. */
  errors: number;
  firstError: string | undefined;
  /** Completed operations per second of the measured window. */
  throughput: number;
  /**
   * Open loop only: measured operations still unanswered when the run gave up on them. Their latency is
   * recorded as the time they had waited so far, so percentiles are lower bounds when this is not 0.
   */
  unfinished: number;
  /**
   * Open loop only: how late the generator itself sent requests after their scheduled time (its timer
   * granularity and event-loop stalls). It is part of the measured latency; this shows how much.
   */
  sendLag: Latencies | undefined;
}

export interface ClosedLoopOptions {
  /** Requesters, each sending its next request as soon as the previous one is answered. */
  concurrency: number;
  /** Run this long before measuring (connections open, JIT warm, batches settle). */
  warmupMs: number;
  durationMs: number;
}

/** Closed loop: `concurrency` requesters back to back; latency from send to answer. */
export async function closedLoop(op: Operation, options: ClosedLoopOptions): Promise<LoadResult> {
  const { concurrency, warmupMs, durationMs } = options;
  const controller = new AbortController();
  const latencies = new Latencies();
  const tally = new Tally();
  const measureFrom = performance.now() + warmupMs;
  const end = measureFrom + durationMs;
  const stop = setTimeout(() => controller.abort(), warmupMs + durationMs);

  const requester = async () => {
    while (performance.now() < end) {
      const sent = performance.now();
      let failure: unknown;
      try {
        await op(controller.signal);
      } catch (err) {
        failure = err;
      }
      const answered = performance.now();
      if (answered < measureFrom || answered > end) continue;
      if (failure === undefined) latencies.record(answered - sent);
      else tally.fail(failure);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, requester));
  clearTimeout(stop);
  return tally.result(latencies, latencies.count, durationMs, 0, undefined);
}

export interface OpenLoopOptions {
  /** Offered rate: requests are sent on this schedule whether or not earlier ones have been answered. */
  ratePerSecond: number;
  warmupMs: number;
  durationMs: number;
  /** After the last scheduled send, how long to wait for answers before giving up on them. */
  graceMs: number;
}

/**
 * Open loop at a fixed offered rate. Each request has a scheduled send time and its latency is measured
 * from that time, not from when it actually left: a stalled sender cannot hide its own queueing
 * (no coordinated omission).
 */
export async function openLoop(op: Operation, options: OpenLoopOptions): Promise<LoadResult> {
  const { ratePerSecond, warmupMs, durationMs, graceMs } = options;
  const controller = new AbortController();
  const latencies = new Latencies();
  const lags = new Latencies();
  const tally = new Tally();
  const intervalMs = 1_000 / ratePerSecond;
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  const outstanding = new Set<number>();
  let answered = 0;

  const send = (scheduled: number) => {
    const measured = scheduled >= measureFrom;
    if (measured) {
      outstanding.add(scheduled);
      lags.record(performance.now() - scheduled);
    }
    op(controller.signal).then(
      () => {
        if (!measured || !outstanding.delete(scheduled)) return;
        latencies.record(performance.now() - scheduled);
        answered++;
      },
      (err: unknown) => {
        if (measured && outstanding.delete(scheduled)) tally.fail(err);
      },
    );
  };

  for (let i = 0; ; ) {
    const now = performance.now();
    for (let at = start + i * intervalMs; at <= now && at < end; at = start + ++i * intervalMs) send(at);
    if (start + i * intervalMs >= end) break;
    await sleep(1);
  }
  const giveUpAt = performance.now() + graceMs;
  while (outstanding.size > 0 && performance.now() < giveUpAt) await sleep(5);
  controller.abort();
  const unfinished = outstanding.size;
  const now = performance.now();
  for (const scheduled of outstanding) latencies.record(now - scheduled);
  outstanding.clear();
  return tally.result(latencies, answered, durationMs, unfinished, lags);
}

/**
 * Several measurements of the same thing, taken in turns with other contenders so that a noisy
 * neighbour hits them all alike: the median throughput, and latency percentiles over every sample.
 */
export function combineRounds(rounds: readonly LoadResult[]): LoadResult {
  const latencies = new Latencies();
  const sendLag = rounds.some((r) => r.sendLag) ? new Latencies() : undefined;
  for (const round of rounds) {
    latencies.merge(round.latencies);
    if (round.sendLag) sendLag?.merge(round.sendLag);
  }
  const sum = (pick: (r: LoadResult) => number) => rounds.reduce((total, r) => total + pick(r), 0);
  const throughputs = rounds.map((r) => r.throughput).sort((a, b) => a - b);
  return {
    latencies,
    completed: sum((r) => r.completed),
    errors: sum((r) => r.errors),
    firstError: rounds.find((r) => r.firstError)?.firstError,
    throughput: throughputs[Math.floor((throughputs.length - 1) / 2)] ?? Number.NaN,
    unfinished: sum((r) => r.unfinished),
    sendLag,
  };
}

class Tally {
  errors = 0;
  firstError: string | undefined;

  fail(err: unknown): void {
    this.errors++;
    this.firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }

  result(
    latencies: Latencies,
    completed: number,
    durationMs: number,
    unfinished: number,
    sendLag: Latencies | undefined,
  ): LoadResult {
    return {
      latencies,
      completed,
      errors: this.errors,
      firstError: this.firstError,
      throughput: completed / (durationMs / 1_000),
      unfinished,
      sendLag,
    };
  }
}
