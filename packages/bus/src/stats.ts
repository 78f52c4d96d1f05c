import type { Endpoint } from '@nats-io/services';

/** The per-endpoint figures `$SRV.STATS` reports. */
interface FrameworkEndpointStats {
  num_errors: number;
  last_error?: string;
  processing_time: number;
  average_processing_time: number;
}

/**
 * Processing time and errors of an async endpoint. The services framework measures a handler only until it
 * returns, which for an async handler is before any work is done, and never sees errors we answer ourselves.
 */
export class AsyncEndpointStats {
  private requests = 0;
  private errors = 0;
  private lastError: string | undefined;
  private totalNs = 0;

  recordLatency(durationMs: number): void {
    this.requests++;
    this.totalNs += Math.round(durationMs * 1e6);
  }

  recordError(error: Error): void {
    this.errors++;
    this.lastError = error.message;
  }

  /** Overwrites the framework's figures for this endpoint just before it reports them. */
  applyTo(endpoint: Endpoint): void {
    const target = (endpoint as Endpoint & { stats?: FrameworkEndpointStats }).stats;
    if (!target) return;
    target.num_errors = this.errors;
    if (this.lastError !== undefined) target.last_error = this.lastError;
    target.processing_time = this.totalNs;
    target.average_processing_time = this.requests === 0 ? 0 : Math.round(this.totalNs / this.requests);
  }
}
