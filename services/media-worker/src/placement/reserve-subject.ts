import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { parseMessage, respondWithError } from '@switchboard/bus';
import {
  InvalidRequestError,
  WorkerDrainingError,
  WorkerFullError,
  type WorkerReserveReply,
  WorkerReserveRequest,
  workerReserveSubject,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { WorkerSlots } from './worker-slots.js';

/**
 * `worker.reserve.<workerId>`: a plain subscription (only this worker serves it), so that a gateway asking a
 * worker that has gone finds no responder at once. A valid request reserves a slot and is answered with the
 * worker's own media URL; a full or draining worker answers 503 `WORKER_FULL` / `WORKER_DRAINING`, a
 * malformed request 400, all as the services framework's errors (`respondWithError`).
 */
export function serveReservations(
  nc: NatsConnection,
  workerId: string,
  mediaUrl: string,
  slots: WorkerSlots,
  log: Logger,
): Subscription {
  return nc.subscribe(workerReserveSubject(workerId), {
    callback: (err, msg) => {
      if (err !== null) {
        log.warn({ err }, 'reservation subscription failed');
        return;
      }
      const parsed = parseMessage(msg.data, WorkerReserveRequest);
      if (!parsed.ok) {
        respondWithError(msg, new InvalidRequestError(`invalid reservation request: ${parsed.reason}`));
        return;
      }
      const { call } = parsed.value;
      const outcome = slots.reserve(call);
      if (!outcome.ok) {
        const { callSid } = call;
        respondWithError(
          msg,
          outcome.reason === 'draining'
            ? new WorkerDrainingError(`media worker ${workerId} is draining`, { callSid })
            : new WorkerFullError(
                `media worker ${workerId} has no free slot (${slots.live} live, ${slots.reserved} reserved, capacity ${slots.capacity})`,
                { callSid },
              ),
        );
        return;
      }
      const reply: WorkerReserveReply = {
        workerId,
        callSid: call.callSid,
        mediaUrl,
        expiresAt: new Date(outcome.expiresAtMs).toISOString(),
      };
      msg.respond(JSON.stringify(reply));
    },
  });
}
