/** Something that holds a call's stream and can give it up to a newer one. */
export interface CallHolder {
  replace(): void;
}

/** The stream live on this worker for each callSid: a second stream for the same call replaces the first. */
export class LiveCalls<T extends CallHolder = CallHolder> {
  private readonly byCallSid = new Map<string, T>();

  get size(): number {
    return this.byCallSid.size;
  }

  /** Makes `holder` the call's stream; the one it replaces (if any) is told to go. */
  claim(callSid: string, holder: T): void {
    const previous = this.byCallSid.get(callSid);
    this.byCallSid.set(callSid, holder);
    if (previous !== undefined && previous !== holder) previous.replace();
  }

  /** Forgets `holder`, unless a newer stream has claimed the call since. */
  release(callSid: string, holder: T): void {
    if (this.byCallSid.get(callSid) === holder) this.byCallSid.delete(callSid);
  }

  get(callSid: string): T | undefined {
    return this.byCallSid.get(callSid);
  }
}
