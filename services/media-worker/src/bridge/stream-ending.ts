import type { StreamEndReason } from '@switchboard/contracts';
import type { CallControl } from './call-control.js';
import type { CallEvents } from './call-events.js';
import { STREAM_ENDINGS } from './endings.js';
import type { BridgeInput, BridgeOutput } from './types.js';

/** How long Twilio's socket stays open for JetStream to acknowledge the `ended` event. */
export const ENDED_ACK_WAIT_MS = 1_000;

/**
 * How a stream ends, once the bridge has decided it does (DESIGN-10 §3): the events the ending owes, and,
 * when one is an `ended` event, Twilio's socket kept open (`closing`) until JetStream has it — or
 * ENDED_ACK_WAIT_MS — so that the registry knows why the stream ended when the gateway asks.
 */
export class StreamEnding {
  private closing: { reason: StreamEndReason; detail: string; msgId: string } | undefined;

  constructor(
    private readonly events: CallEvents,
    private readonly control: CallControl,
  ) {}

  /**
   * The stream ends for `reason`: what to publish, then either `end` (`closing` false) or the wait for the
   * `ended` event (the bridge closes the Realtime sockets and runs `ended-ack`).
   */
  end(
    reason: StreamEndReason,
    detail: string,
    claimed: boolean,
    now: number,
  ): { out: BridgeOutput[]; closing: boolean } {
    const out: BridgeOutput[] = this.control
      .takeEarly()
      .map(({ requestId }) => ({ to: 'control-reply', requestId, answer: this.control.ended('ended') }));
    const owesEnded = STREAM_ENDINGS[reason].publishEnded;
    const stopped = claimed
      ? this.events.stopped(now, reason, owesEnded ? { detail } : undefined)
      : undefined;
    if (stopped !== undefined) out.push(...stopped.out);
    if (stopped?.endedMsgId !== undefined && this.events.owed) {
      this.closing = { reason, detail, msgId: stopped.endedMsgId };
      out.push({ to: 'set-timer', timer: 'ended-ack', at: now + ENDED_ACK_WAIT_MS });
      return { out, closing: true };
    }
    out.push({ to: 'end', reason, detail });
    return { out, closing: false };
  }

  /**
   * An input after the end (or while closing): the lookup may still open the event gate; closing is over
   * when the `ended` event is stored, its wait is up, or Twilio's side goes (`finished`).
   */
  afterEnd(input: BridgeInput): { out: BridgeOutput[]; finished: boolean } {
    switch (input.kind) {
      case 'call-found':
        // It says whether the ended stream's events are owed to the registry.
        return { out: this.events.open(), finished: false };
      case 'lookup-failed':
        this.events.shut();
        return this.finish();
      case 'control':
        return {
          out: [{ to: 'control-reply', requestId: input.requestId, answer: this.control.ended('ended') }],
          finished: false,
        };
      case 'event-stored':
        return input.msgId === this.closing?.msgId ? this.finish() : { out: [], finished: false };
      case 'timer-fired':
        return input.timer === 'ended-ack' ? this.finish() : { out: [], finished: false };
      case 'twilio-stopped':
      case 'twilio-closed':
      case 'replaced':
      case 'drained':
        return this.finish();
      default:
        return { out: [], finished: false };
    }
  }

  /** Closing is over: Twilio's socket closes with the ending's code. */
  private finish(): { out: BridgeOutput[]; finished: boolean } {
    const closing = this.closing;
    if (closing === undefined) return { out: [], finished: false };
    this.closing = undefined;
    return {
      out: [
        { to: 'clear-timer', timer: 'ended-ack' },
        { to: 'end', reason: closing.reason, detail: closing.detail },
      ],
      finished: true,
    };
  }
}
