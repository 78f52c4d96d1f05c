import type { CallEvent } from '@switchboard/contracts';
import type pg from 'pg';
import { applyStatus, statusReportOf } from './call-status-sql.js';
import { applyAnsweredBy, applyRecording } from './recording-sql.js';

/**
 * What an event says about its call's own row: its status and times, its recording, who answered. The one
 * list `applyEvent` applies and `call.create` folds in for the events that came before the call (so a kind
 * added here reaches both). Each step is idempotent and keyed by the call, so replaying events in the order
 * they were recorded gives the same row. The caller holds the call's lock.
 */
export async function applyCallFacts(client: pg.ClientBase, event: CallEvent): Promise<void> {
  const report = statusReportOf(event);
  if (report) await applyStatus(client, report);
  if (event.kind === 'recording') await applyRecording(client, event);
  if (event.kind === 'answered-by') await applyAnsweredBy(client, event);
}
