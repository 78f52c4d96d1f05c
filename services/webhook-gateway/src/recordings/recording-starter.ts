import type { EventSink } from '@switchboard/bus';
import { CallEndedError, type RecordingEvent, SwitchboardError } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { GatewayMetrics } from '../metrics.js';
import type { TwilioRecordings } from '../twilio-recordings.js';

/** The first retry's pause; each one after doubles, up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 2_000;
/** How long a start's failure is offered to JetStream (the gateway's stop waits for it). */
const FAILURE_PUBLISH_DEADLINE_MS = 30_000;

export interface RecordingStarterDeps {
  /** Undefined without Twilio credentials: every start fails (and says so). */
  recordings: TwilioRecordings | undefined;
  /** `PUBLIC_BASE_URL/twilio/recording`. */
  statusCallback: string;
  events: EventSink;
  /** How long to keep asking while Twilio says the call is not in progress yet (RECORDING_START_BUDGET_MS). */
  budgetMs: number;
  /** Whether the registry knows the call has ended (a caller who hung up before the recording could start). */
  callEnded: (callSid: string) => Promise<boolean>;
  metrics: GatewayMetrics;
  log: Logger;
}

/**
 * Starts the dual-channel recording of a call whose agent has `record`, once `/twilio/voice` has answered.
 * Twilio records only a call in progress: an outbound call is when its voice webhook comes, an inbound one
 * only once Twilio runs the TwiML the webhook answered (`<Connect>` answers it). So the first attempt goes
 * right after the TwiML is sent, and while Twilio answers 21220 (not in progress) — or fails — it is asked
 * again, the pause doubling, within the budget. A start that never succeeds is logged as an error, counted
 * (`gateway_recording_starts_total{outcome="failed"}`) and stored as a `recording` event with status
 * `start-failed` (the call's timeline shows it); the call itself goes on untouched either way. A call the
 * registry knows has ended meanwhile is no failure (`outcome="call-ended"`, logged at info).
 */
export class RecordingStarter {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: RecordingStarterDeps) {}

  start(callSid: string): void {
    const task: Promise<void> = this.run(callSid).finally(() => this.running.delete(task));
    this.running.add(task);
  }

  /** Lets the starts under way finish (each within its budget). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async run(callSid: string): Promise<void> {
    const { recordings, statusCallback, budgetMs, metrics } = this.deps;
    const log = this.deps.log.child({ callSid });
    const deadline = Date.now() + budgetMs;
    let pause = RETRY_FIRST_MS;
    let attempts = 0;
    let failure: unknown;
    while (recordings !== undefined) {
      attempts++;
      try {
        const { recordingSid } = await recordings.start(callSid, statusCallback);
        metrics.recordingStarts.inc({ outcome: 'started' });
        log.info({ recordingSid, attempts }, 'recording started');
        return;
      } catch (err) {
        failure = err;
        if (!retryable(err) || Date.now() + pause > deadline) break;
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, RETRY_MAX_MS);
    }
    // A call that ended meanwhile (the caller hung up while it rang) has nothing left to record: no alarm.
    if (failure instanceof CallEndedError && (await this.deps.callEnded(callSid).catch(() => false))) {
      metrics.recordingStarts.inc({ outcome: 'call-ended' });
      log.info({ attempts }, 'call ended before its recording could start');
      return;
    }
    const detail =
      recordings === undefined
        ? 'Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN'
        : `Twilio did not start the recording after ${attempts} attempts: ${messageOf(failure)}`;
    metrics.recordingStarts.inc({ outcome: 'failed' });
    log.error({ err: failure, attempts }, 'recording not started');
    const event: RecordingEvent = {
      kind: 'recording',
      callSid,
      at: new Date().toISOString(),
      status: 'start-failed',
      detail: detail.slice(0, 500),
    };
    await this.deps.events
      .publish(event, { msgId: `recording.${callSid}.start-failed`, deadlineMs: FAILURE_PUBLISH_DEADLINE_MS })
      .catch((err: unknown) => log.error({ err }, 'recording start failure not stored'));
  }
}

/** Twilio says the call is not in progress yet, or Twilio failed (5xx, unreachable): worth asking again. */
function retryable(err: unknown): boolean {
  if (err instanceof CallEndedError) return true;
  if (!(err instanceof SwitchboardError) || err.code !== 'TWILIO_ERROR') return false;
  const status = twilioStatusOf(err);
  return status === undefined || status >= 500;
}

function twilioStatusOf(err: SwitchboardError): number | undefined {
  const details = err.details as { twilioStatus?: number } | undefined;
  return details?.twilioStatus;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
