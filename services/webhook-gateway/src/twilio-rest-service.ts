import type { NatsConnection } from '@nats-io/nats-core';
import { ServiceHost } from '@switchboard/bus';
import { TWILIO_ENDPOINTS, TWILIO_REST_SERVICE_NAME } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { TwilioError } from './errors.js';
import { targetForLog } from './log-fields.js';
import type { GatewayMetrics } from './metrics.js';
import type { TwilioCalls } from './twilio-client.js';
import { DIAL_RESULT_PATH, dialTwiml } from './twiml.js';

export const TWILIO_REST_SERVICE_VERSION = '0.1.0';
/** How long a transfer's `<Dial>` lets the other side ring when the request names no timeout (Twilio's own). */
export const DEFAULT_TRANSFER_TIMEOUT_SECONDS = 30;

export interface TwilioRestServiceDeps {
  nc: NatsConnection;
  /** Undefined without Twilio credentials: every request is then refused (502 TWILIO_ERROR), never unserved. */
  calls: TwilioCalls | undefined;
  publicBaseUrl: string;
  metrics: GatewayMetrics;
  log: Logger;
}

/** The `<Dial action>` of a transfer: the dial-result callback, told which target was dialled. */
export function dialResultUrl(publicBaseUrl: string, target: string): string {
  return `${publicBaseUrl}${DIAL_RESULT_PATH}?target=${encodeURIComponent(target)}`;
}

/**
 * Service `twilio-rest` (DESIGN-10 §1): Twilio's REST API for the services that hold no Twilio credentials,
 * over the services framework like the registry (`$SRV.PING|INFO|STATS.twilio-rest`, queue group shared by
 * every gateway replica). `twilio.call.transfer` redirects the live call to `<Dial>` the target, its `action`
 * the gateway's `/twilio/dial-result`: 404 CALL_NOT_FOUND when Twilio has no such call, 409 CALL_ENDED when it
 * is no longer in progress, 502 TWILIO_ERROR for anything else Twilio refused or failed.
 */
export async function startTwilioRestService(deps: TwilioRestServiceDeps): Promise<ServiceHost> {
  const { calls, publicBaseUrl, metrics, log } = deps;
  const host = await ServiceHost.start(
    deps.nc,
    {
      name: TWILIO_REST_SERVICE_NAME,
      version: TWILIO_REST_SERVICE_VERSION,
      description: "Twilio's REST API for the services without Twilio credentials",
    },
    {
      log,
      observe: (endpoint, outcome) => metrics.twilioRequests.inc({ endpoint, outcome: String(outcome) }),
    },
  );
  host.addEndpoint('callTransfer', TWILIO_ENDPOINTS.callTransfer, async (request) => {
    if (calls === undefined) {
      throw new TwilioError(
        'Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
        503,
        {},
      );
    }
    const twiml = dialTwiml({
      to: request.to,
      actionUrl: dialResultUrl(publicBaseUrl, request.target),
      timeoutSeconds: request.timeoutSeconds ?? DEFAULT_TRANSFER_TIMEOUT_SECONDS,
    });
    const { status } = await calls.redirectCall(request.callSid, twiml);
    log.info(
      { callSid: request.callSid, target: targetForLog(request.target), status },
      'call handed to <Dial>',
    );
    return { callSid: request.callSid, status };
  });
  // Its subscriptions are on the server before the service counts as started: a request sent right after,
  // on another connection, finds a responder (nats.js sends SUB with its next write, not at once).
  await deps.nc.flush();
  return host;
}
