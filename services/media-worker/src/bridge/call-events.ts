import type {
  CallEvent,
  StreamEndReason,
  StreamEvent,
  ToolCallRecord,
  TranscriptRole,
} from '@switchboard/contracts';
import type { BridgeOutput } from './types.js';

const MAX_TRANSCRIPT_CHARS = 20_000;

/**
 * The call events a stream owes the registry, each with its stable `Nats-Msg-Id`. They wait until the
 * registry has confirmed the call (the lookup) and are dropped if it never does: an unknown call's events
 * must not create history for it.
 */
export class CallEvents {
  private callSid = '';
  private streamSid = '';
  private startedAt = 0;
  private gate: 'pending' | 'open' | 'shut' = 'pending';
  private held: Array<{ event: CallEvent; msgId: string; confirm?: true }> = [];
  private dtmfCount = 0;
  /** The worker holding the stream, named in its `stream` events. */
  private workerId: string | undefined;

  /** The stream carries `callSid` from `startedAt` on, held by the worker `workerId`. */
  started(callSid: string, streamSid: string, startedAt: number, workerId?: string): void {
    this.workerId = workerId;
    this.callSid = callSid;
    this.streamSid = streamSid;
    this.startedAt = startedAt;
  }

  /** The registry knows the call: its stream's start is published, then what waited for it, in order. */
  open(): BridgeOutput[] {
    if (this.gate !== 'pending') return [];
    this.gate = 'open';
    const { callSid, streamSid } = this;
    const at = new Date(this.startedAt).toISOString();
    const out: BridgeOutput[] = [
      {
        to: 'publish',
        event: this.streamEvent('started', at),
        msgId: `stream:${callSid}:${streamSid}:started`,
      },
    ];
    for (const held of this.held.splice(0)) out.push({ to: 'publish', ...held });
    return out;
  }

  /** The registry does not know the call, or could not say. */
  shut(): void {
    this.gate = 'shut';
    this.held = [];
  }

  /** Whether what is published now will reach the registry (the call is known, or may still be). */
  get owed(): boolean {
    return this.gate !== 'shut';
  }

  /** A finished utterance, an `event` on the call, or a `tool` call with its record. */
  transcript(
    role: TranscriptRole,
    itemId: string,
    text: string,
    at: number,
    tool?: ToolCallRecord,
  ): BridgeOutput[] {
    const { callSid } = this;
    const event: CallEvent = {
      kind: 'transcript',
      callSid,
      at: new Date(at).toISOString(),
      role,
      itemId,
      text,
    };
    if (tool !== undefined) event.tool = tool;
    return this.publish(event, `transcript:${callSid}:${itemId}`);
  }

  /**
   * An `event` or `tool` segment of this stream: its item id is the stream's own (`<streamSid>:<name>`), so
   * a later stream of the same call (after a transfer that failed) does not repeat it.
   */
  streamSegment(
    role: 'event' | 'tool',
    name: string,
    text: string,
    at: number,
    tool?: ToolCallRecord,
  ): BridgeOutput[] {
    return this.transcript(role, `${this.streamSid}:${name}`, text, at, tool);
  }

  dtmf(digit: string, sequenceNumber: string | undefined, now: number): BridgeOutput[] {
    const { callSid, streamSid } = this;
    const msgId = `dtmf:${callSid}:${streamSid}:${sequenceNumber ?? `n${++this.dtmfCount}`}`;
    return this.publish({ kind: 'dtmf', callSid, streamSid, digit, at: new Date(now).toISOString() }, msgId);
  }

  /**
   * The stream is over, for `reason`; an `ended` event too when the worker ended the call, published with
   * `confirm` (Twilio's socket closes once it is stored). Returns its msgId with the outputs.
   */
  stopped(
    now: number,
    reason: StreamEndReason,
    ended?: { detail: string },
  ): { out: BridgeOutput[]; endedMsgId: string | undefined } {
    const { callSid, streamSid } = this;
    const at = new Date(now).toISOString();
    const out = this.publish(
      { ...this.streamEvent('stopped', at), reason },
      `stream:${callSid}:${streamSid}:stopped`,
    );
    if (ended === undefined) return { out, endedMsgId: undefined };
    const event: CallEvent = { kind: 'ended', callSid, reason, detail: ended.detail, at };
    const endedMsgId = `ended:${callSid}:${streamSid}`;
    return { out: out.concat(this.publish(event, endedMsgId, true)), endedMsgId };
  }

  private streamEvent(action: 'started' | 'stopped', at: string): StreamEvent {
    const event: StreamEvent = {
      kind: 'stream',
      action,
      callSid: this.callSid,
      streamSid: this.streamSid,
      at,
    };
    if (this.workerId !== undefined) event.workerId = this.workerId;
    return event;
  }

  private publish(event: CallEvent, msgId: string, confirm = false): BridgeOutput[] {
    const output: { event: CallEvent; msgId: string; confirm?: true } = { event, msgId };
    if (confirm) output.confirm = true;
    if (this.gate === 'open') return [{ to: 'publish', ...output }];
    if (this.gate === 'pending') this.held.push(output);
    return [];
  }
}

/** A transcript's text as published: trimmed, bounded; empty when there was nothing to say. */
export function transcriptText(text: string): string {
  return text.trim().slice(0, MAX_TRANSCRIPT_CHARS);
}
