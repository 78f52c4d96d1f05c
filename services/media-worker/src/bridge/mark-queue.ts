/** One chunk of agent audio sent to Twilio, followed by the mark named `seq`. */
export interface MarkEntry {
  seq: number;
  itemId: string;
  /** Which Realtime connection produced the item (items do not survive a reconnect). */
  connection: number;
  /** Milliseconds of the item's audio up to the end of this chunk. */
  endMs: number;
}

/**
 * The marks sent to Twilio and not echoed yet, oldest first. Twilio echoes marks in the order they were
 * sent once the audio before each has played, so an echo pops every entry up to its own.
 */
export class MarkQueue {
  private entries: MarkEntry[] = [];
  private head = 0;

  get size(): number {
    return this.entries.length - this.head;
  }

  push(entry: MarkEntry): void {
    this.entries.push(entry);
  }

  /**
   * The entry of the echoed mark, after dropping it and every earlier one; undefined for a mark that is not
   * queued (echoed after a `clear`, or not ours).
   */
  popThrough(seq: number): MarkEntry | undefined {
    if (this.size === 0) return undefined;
    const first = this.entries[this.head];
    const last = this.entries[this.entries.length - 1];
    if (!first || !last || seq < first.seq || seq > last.seq) return undefined;
    let found: MarkEntry | undefined;
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head] as MarkEntry;
      if (entry.seq > seq) break;
      this.head++;
      found = entry;
    }
    this.compact();
    return found;
  }

  /** Items with audio still queued at Twilio, in order of their first queued chunk. */
  pendingItems(): Array<{ itemId: string; connection: number }> {
    const seen = new Set<string>();
    const items: Array<{ itemId: string; connection: number }> = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i] as MarkEntry;
      if (seen.has(entry.itemId)) continue;
      seen.add(entry.itemId);
      items.push({ itemId: entry.itemId, connection: entry.connection });
    }
    return items;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
  }

  private compact(): void {
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
