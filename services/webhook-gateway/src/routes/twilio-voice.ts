import { withRetry } from '@switchboard/bus';
import { SwitchboardError } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { RequestHandler, Response } from 'express';
import type { GatewayMetrics } from '../metrics.js';
import { batchRefFromQuery } from '../outbound.js';
import type { StreamTarget } from '../placement/stream-target.js';
import type { GatewayRegistry } from '../registry.js';
import { callCreateFromVoice, VoiceWebhookParams } from '../twilio-params.js';
import { apologyTwiml, connectStreamTemplates, TWIML_CONTENT_TYPE } from '../twiml.js';

export interface VoiceRouteDeps {
  registry: GatewayRegistry;
  /** Where the registered call's stream goes: a placed worker, MEDIA_STREAM_URL, or nowhere (the apology). */
  streamTarget: StreamTarget;
  /** `PUBLIC_BASE_URL/twilio/stream-ended`: the `<Connect action>` Twilio asks once the stream ends. */
  streamEndedUrl: string;
  /** One registry request. */
  registryTimeoutMs: number;
  /** All the registry gets, retries included, before the caller hears the apology. */
  voiceBudgetMs: number;
  metrics: GatewayMetrics;
  log: Logger;
  /** Starts the recording of a call whose agent has `record`, once the TwiML is sent. */
  recordCall: (callSid: string) => void;
}

/**
 * `POST /twilio/voice` (signature already checked): registers the call and connects it to a media worker — one
 * that reserved a slot for it, else `MEDIA_STREAM_URL`; with neither, the caller hears the apology.
 * Whatever goes wrong, Twilio gets 200 and TwiML: a 4xx or 5xx would make it play its own error message.
 */
export function twilioVoiceHandler(deps: VoiceRouteDeps): RequestHandler {
  const { registry, registryTimeoutMs, voiceBudgetMs, metrics, log } = deps;
  const connectStream = connectStreamTemplates(deps.streamEndedUrl);
  const apology = apologyTwiml();
  const apologise = (res: Response, reason: string) => {
    metrics.voiceApologies.inc({ reason });
    res.status(200).type(TWIML_CONTENT_TYPE).send(apology);
  };
  return async (req, res) => {
    const params = VoiceWebhookParams.safeParse(req.body ?? {});
    if (!params.success) {
      log.warn({ issues: params.error.issues.map((i) => i.path.join('.')) }, 'voice webhook params invalid');
      apologise(res, 'INVALID_REQUEST');
      return;
    }
    const batch = batchRefFromQuery(req.query);
    const create = { ...callCreateFromVoice(params.data), ...(batch ? { batch } : {}) };
    const { callSid } = create;
    try {
      const call = await withRetry((timeoutMs) => registry.callCreate(create, { timeoutMs }), {
        budgetMs: voiceBudgetMs,
        attemptTimeoutMs: registryTimeoutMs,
      });
      log.info({ callSid, direction: call.direction, agentId: call.agent.id }, 'call registered');
      const url = await deps.streamTarget(call);
      if (url === undefined) {
        apologise(res, 'NO_WORKER');
        return;
      }
      // Twilio can record a call only once it is in progress: an inbound one is when it runs this TwiML.
      if (call.agent.record === true) res.once('finish', () => deps.recordCall(call.callSid));
      res.status(200).type(TWIML_CONTENT_TYPE).send(connectStream(url, call.callSid));
    } catch (err) {
      const code = err instanceof SwitchboardError ? err.code : 'INTERNAL';
      // The registry refusing the call (a 4xx: say, its callSid known with other parties) is the request's
      // doing, not a fault here.
      if (err instanceof SwitchboardError && err.status < 500) {
        log.warn({ callSid, code }, 'call refused by the registry, apologising to the caller');
      } else {
        log.error({ err, callSid, code }, 'call not registered, apologising to the caller');
      }
      apologise(res, code);
    }
  };
}
