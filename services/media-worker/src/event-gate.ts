import type { CallEvent } from '@switchboard/contracts';

/**
 * Holds a stream's events until the registry has confirmed its call: published in order once it has,
 * dropped if it never does (an unknown call's events must not create history for it).
 */
export class EventGate {
  private state: 'pending' | 'open' | 'shut' = 'pending';
  private held: Array<{ event: CallEvent; msgId: string }> = [];

  constructor(private readonly publish: (event: CallEvent, msgId: string) => void) {}

  send(event: CallEvent, msgId: string): void {
    if (this.state === 'open') this.publish(event, msgId);
    else if (this.state === 'pending') this.held.push({ event, msgId });
  }

  /** The call is known: what was held goes out, after `first` (the stream's start). */
  open(first: { event: CallEvent; msgId: string }): void {
    this.state = 'open';
    this.publish(first.event, first.msgId);
    for (const { event, msgId } of this.held.splice(0)) this.publish(event, msgId);
  }

  shut(): void {
    this.state = 'shut';
    this.held = [];
  }
}
