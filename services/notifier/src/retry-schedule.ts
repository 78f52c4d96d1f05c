/**
 * When a failed delivery is tried again (SPEC "Webhooks"): the first retry within seconds, the gap growing to
 * at most 60 s during the first 10 minutes and at most 5 minutes after that, until the retry budget (24 h by
 * default) is spent. Pure: the gap follows from how long ago the failures began and how old the delivery is,
 * so any replica can compute it from the message alone after a restart.
 */
export const FIRST_RETRY_MS = 1_000;
export const EARLY_PHASE_MS = 10 * 60_000;
export const EARLY_MAX_GAP_MS = 60_000;
export const LATE_MAX_GAP_MS = 5 * 60_000;

/**
 * The pause after a failed attempt: as long as the failures have lasted (so the gaps double: 1, 1, 2, 4, 8 s…),
 * at least FIRST_RETRY_MS, at most the phase's cap. `failingForMs`: since the first failed attempt this
 * replica knows of; `ageMs`: since the delivery was queued.
 */
export function retryGapMs(failingForMs: number, ageMs: number): number {
  const cap = ageMs < EARLY_PHASE_MS ? EARLY_MAX_GAP_MS : LATE_MAX_GAP_MS;
  return Math.min(cap, Math.max(FIRST_RETRY_MS, failingForMs));
}

/** Whether a delivery that just failed is given up on (then it becomes a dead letter). */
export function budgetSpent(ageMs: number, budgetMs: number): boolean {
  return ageMs >= budgetMs;
}

/** First and longest pause of a delivery waiting behind an earlier one of the same call and receiver. */
export const WAIT_FIRST_MS = 200;
export const WAIT_MAX_MS = 30_000;

/** How long a delivery waits before it looks again whether the one ahead of it is done. */
export function waitBehindMs(ageMs: number): number {
  return Math.min(WAIT_MAX_MS, Math.max(WAIT_FIRST_MS, Math.floor(ageMs / 4)));
}
