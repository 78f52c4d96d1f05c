import type { Call } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { GatewayMetrics } from '../metrics.js';
import type { PlaceCall } from './placement.js';

/** Where a call's `<Stream url>` points: a placed worker's own URL, `MEDIA_STREAM_URL`, or nowhere. */
export type StreamTarget = (call: Call) => Promise<string | undefined>;

export interface StreamTargetDeps {
  place: PlaceCall;
  /** `MEDIA_STREAM_URL` (a load balancer in front of the workers), when set. */
  fallbackUrl: string | undefined;
  metrics: Pick<GatewayMetrics, 'placements'>;
  log: Logger;
}

/**
 * A worker that reserved a slot for the call first; without one in time, `MEDIA_STREAM_URL`; with neither,
 * undefined (the caller hears the apology rather than a stream no worker has room for).
 */
export function streamTarget({ place, fallbackUrl, metrics, log }: StreamTargetDeps): StreamTarget {
  return async (call) => {
    let placed: string | undefined;
    try {
      placed = await place(call);
    } catch (err) {
      log.error({ err, callSid: call.callSid }, 'placement failed');
    }
    const outcome = placed !== undefined ? 'placed' : fallbackUrl !== undefined ? 'fallback' : 'none';
    metrics.placements.inc({ outcome });
    if (outcome !== 'placed') log.info({ callSid: call.callSid, outcome }, 'no worker reserved a slot');
    return placed ?? fallbackUrl;
  };
}
