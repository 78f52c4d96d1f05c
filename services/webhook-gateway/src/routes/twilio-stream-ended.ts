import { type CallEndReason, CallNotFoundError, CallSid } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayRegistry } from '../registry.js';
import { apologyTwiml, hangupTwiml, STREAM_FAILED_MESSAGE, TWIML_CONTENT_TYPE } from '../twiml.js';

/** How long Twilio's question waits for the registry to learn why the stream ended (DESIGN-10 §3). */
export const STREAM_ENDED_WAIT_MS = 1_500;
/** Between two looks at the call while waiting. */
export const STREAM_ENDED_POLL_MS = 100;

/** The endings after which the caller has heard goodbye already: the call just hangs up. */
const ENDED_ON_PURPOSE: ReadonlySet<CallEndReason> = new Set(['agent-ended', 'operator-ended']);

const StreamEndedParams = z.object({ CallSid: CallSid });

export interface StreamEndedDeps {
  registry: GatewayRegistry;
  registryTimeoutMs: number;
  waitMs?: number;
  metrics: GatewayMetrics;
  log: Logger;
}

export type StreamEndedAnswer = 'hangup' | 'apology';

/** What Twilio does once the stream has ended for `reason` (undefined: the registry could not tell). */
export function answerForEnding(reason: CallEndReason | null | undefined): StreamEndedAnswer {
  return reason !== null && reason !== undefined && ENDED_ON_PURPOSE.has(reason) ? 'hangup' : 'apology';
}

/**
 * `POST /twilio/stream-ended` (signature already checked): Twilio's `<Connect action>` request once the media
 * stream has ended with the call still up. An agent (or an operator) who ended the call said goodbye: hang
 * up, nothing more. Anything else — a failed stream, a worker shutting down, a reason not known within
 * STREAM_ENDED_WAIT_MS — gets the apology, then the hang-up. Always 200 TwiML: a 4xx or 5xx would make
 * Twilio play its own error message.
 */
export function twilioStreamEndedHandler(deps: StreamEndedDeps): RequestHandler {
  const hangup = hangupTwiml();
  const apology = apologyTwiml(STREAM_FAILED_MESSAGE);
  return async (req, res) => {
    const params = StreamEndedParams.safeParse(req.body ?? {});
    const reason = params.success ? await endedReason(deps, params.data.CallSid) : undefined;
    const answer = answerForEnding(reason);
    deps.metrics.streamEndings.inc({ reason: reason ?? 'unknown', answer });
    deps.log.info({ callSid: params.data?.CallSid, reason, answer }, 'stream ended, told Twilio what next');
    res
      .status(200)
      .type(TWIML_CONTENT_TYPE)
      .send(answer === 'hangup' ? hangup : apology);
  };
}

/**
 * Why the call's stream ended, as soon as the registry knows (the worker's `ended` event is usually stored
 * before Twilio asks): undefined when it still does not know once the wait is over. A reason of `transferred`
 * is a previous stream's, not yet replaced by this one's.
 */
async function endedReason(deps: StreamEndedDeps, callSid: string): Promise<CallEndReason | undefined> {
  const deadline = Date.now() + (deps.waitMs ?? STREAM_ENDED_WAIT_MS);
  let failure: unknown;
  for (;;) {
    const left = deadline - Date.now();
    try {
      const call = await deps.registry.callBySid(
        { callSid },
        { timeoutMs: Math.max(1, Math.min(deps.registryTimeoutMs, left)) },
      );
      if (call.endedReason !== null && call.endedReason !== 'transferred') return call.endedReason;
    } catch (err) {
      if (err instanceof CallNotFoundError) return undefined;
      failure = err;
    }
    const pause = Math.min(STREAM_ENDED_POLL_MS, deadline - Date.now());
    if (pause <= 0) {
      if (failure !== undefined)
        deps.log.warn({ err: failure, callSid }, 'registry did not say why a stream ended');
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
