import type { Logger } from '@switchboard/logger';
import type { WorkerMetrics } from './metrics.js';

/** A stream's frames that cannot be used: each counted, and logged once per source and reason. */
export class IgnoredFrames {
  private readonly warned = new Set<string>();

  constructor(private readonly metrics: Pick<WorkerMetrics, 'badFrames'>) {}

  note(source: 'twilio' | 'realtime', reason: string, log: Logger): void {
    this.metrics.badFrames.inc({ source });
    const key = `${source}:${reason}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    log.warn({ source, reason }, 'frame ignored');
  }
}
