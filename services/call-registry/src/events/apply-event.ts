import type { CallEvent } from '@switchboard/contracts';
import type pg from 'pg';
import { settleAfterStreamEnd, settleCallStatus } from '../batches/batch-attempts.js';
import { applyCallFacts } from '../calls/call-facts.js';
import { applyStreamEnd, clearEndedReason, lockCall, streamEndOf } from '../calls/call-status-sql.js';
import { withDbRetry } from '../db/retry.js';
import { inTransaction } from '../db/transaction.js';
import { noteWorkerStream } from '../workers/worker-streams-sql.js';

const RECORD_EVENT = {
  name: 'record_call_event',
  text: `
    INSERT INTO call_events (msg_id, call_sid, kind, payload, occurred_at)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (msg_id) DO NOTHING
    RETURNING id`,
};

const INSERT_SEGMENT = {
  name: 'insert_transcript_segment',
  text: `
    INSERT INTO transcript_segments (call_sid, item_id, role, text, started_at, tool)
    VALUES ($1, $2, $3::transcript_role, $4, $5, $6::jsonb)
    ON CONFLICT (call_sid, item_id, role) DO NOTHING`,
};

export type ApplyOutcome = 'applied' | 'duplicate';

/**
 * Records an event once (keyed by its message id) and applies it in the same transaction, so a redelivered
 * or republished event changes nothing. An event for a call not registered yet is kept; `createCall` folds
 * it in when the call arrives.
 */
export async function applyEvent(pool: pg.Pool, msgId: string, event: CallEvent): Promise<ApplyOutcome> {
  return withDbRetry(() =>
    inTransaction(pool, async (client) => {
      await lockCall(client, event.callSid);
      const recorded = await client.query({
        ...RECORD_EVENT,
        values: [msgId, event.callSid, event.kind, JSON.stringify(event), event.at],
      });
      if (recorded.rowCount === 0) return 'duplicate';
      await applyCallFacts(client, event);
      if (event.kind === 'status') await settleCallStatus(client, event.callSid, event.status, event.batch);
      if (event.kind === 'stream' && event.action === 'started')
        await clearEndedReason(client, event.callSid);
      if (event.kind === 'stream') await noteWorkerStream(client, event);
      const end = streamEndOf(event);
      if (end) {
        await applyStreamEnd(client, end);
        await settleAfterStreamEnd(client, event.callSid);
      }
      if (event.kind === 'transcript') {
        const tool = event.tool === undefined ? null : JSON.stringify(event.tool);
        await client.query({
          ...INSERT_SEGMENT,
          values: [event.callSid, event.itemId, event.role, event.text, event.at, tool],
        });
      }
      return 'applied';
    }),
  );
}
