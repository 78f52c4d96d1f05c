import type { Call } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { GatewayMetrics } from '../metrics.js';
import type { Placer } from './placement.js';

/**
 * Where a call's `<Stream url>` points: a placed worker's own URL, `MEDIA_STREAM_URL`, or nowhere. The call
 * may be given as a way to get it (the dial-result reconnect looks it up): it is asked for only when some
 * worker could take it, so without placement nothing more happens than before.
 */
export type StreamTarget = (call: Call | (() => Promise<Call>)) => Promise<string | undefined>;

export interface StreamTargetDeps {
  placer: Placer;
  /** `MEDIA_STREAM_URL` (a load balancer in front of the workers), when set. */
  fallbackUrl: string | undefined;
  metrics: Pick<GatewayMetrics, 'placements'>;
  log: Logger;
}

/**
 * A worker that reserved a slot for the call first; without one in time, `MEDIA_STREAM_URL`; with neither,
 * undefined (the caller hears the apology rather than a stream no worker has room for).
 */
export function streamTarget({ placer, fallbackUrl, metrics, log }: StreamTargetDeps): StreamTarget {
  return async (callOrLookup) => {
    let placed: string | undefined;
    let callSid: string | undefined;
    if (placer.hasCandidates()) {
      try {
        const call = typeof callOrLookup === 'function' ? await callOrLookup() : callOrLookup;
        callSid = call.callSid;
        placed = await placer.place(call);
      } catch (err) {
        log.warn({ err, callSid }, 'call not placed');
      }
    }
    const outcome = placed !== undefined ? 'placed' : fallbackUrl !== undefined ? 'fallback' : 'none';
    metrics.placements.inc({ outcome });
    if (outcome !== 'placed') log.debug({ callSid, outcome }, 'no worker reserved a slot');
    return placed ?? fallbackUrl;
  };
}
