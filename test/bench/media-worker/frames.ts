// Stamped audio frames of the media-worker benchmark: each 20 ms frame (160 bytes of mu-law) carries in
// its first bytes when it was sent, by which call and in what order. The worker relays audio unchanged, so
// the receiving side, in another process, reads the stamp back.

import { Latencies } from '../lib/latency.js';

export const FRAME_MS = 20;
const FRAME_BYTES = 160;
/** The stamp's bytes: a multiple of 3, so its base64 stands on its own before the silence's. */
const STAMP_BYTES = 18;
const SILENCE_BASE64 = Buffer.alloc(FRAME_BYTES - STAMP_BYTES, 0xff).toString('base64');
const stamp = Buffer.alloc(STAMP_BYTES, 0xff);

/** Milliseconds since the epoch, sub-millisecond and comparable between processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function stampedFrame(sentAt: number, stream: number, seq: number): string {
  stamp.writeDoubleLE(sentAt, 0);
  stamp.writeUInt32LE(stream, 8);
  stamp.writeUInt32LE(seq, 12);
  return stamp.toString('base64') + SILENCE_BASE64;
}

export function readStamp(payload: string): { sentAt: number; stream: number; seq: number } {
  const bytes = Buffer.from(payload.slice(0, (STAMP_BYTES / 3) * 4), 'base64');
  return { sentAt: bytes.readDoubleLE(0), stream: bytes.readUInt32LE(8), seq: bytes.readUInt32LE(12) };
}

/** Frames of one direction of one call: sent, received, and how many arrived out of order. */
export class FrameTally {
  sent = 0;
  received = 0;
  reordered = 0;
  private next = 0;

  receive(seq: number): void {
    this.received++;
    if (seq < this.next) this.reordered++;
    else this.next = seq + 1;
  }
}

/** Latency samples, summarised where they were taken (percentiles by nearest rank). */
export function summarise(samples: number[]): { p50: number; p99: number; count: number } {
  const latencies = new Latencies();
  for (const sample of samples) latencies.record(sample);
  return { p50: latencies.percentile(50), p99: latencies.percentile(99), count: latencies.count };
}
