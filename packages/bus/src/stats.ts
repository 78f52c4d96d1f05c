/**
 * The figures of one async endpoint, in the framework's own units and names (nanoseconds), reported as the
 * endpoint's `data` in `$SRV.STATS`: the one field the services framework lets a service fill in (its
 * `statsHandler`'s answer). The framework's own figures beside them time only the synchronous dispatch of
 * a request and count no error a handler answers itself.
 */
export interface AsyncEndpointFigures {
  num_requests: number;
  num_errors: number;
  last_error?: string;
  processing_time: number;
  average_processing_time: number;
}

/** Processing time and errors of an async endpoint, from a request's arrival to its answer. */
export class AsyncEndpointStats {
  constructor(private readonly extra?: () => Record<string, unknown>) {}

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

  figures(): AsyncEndpointFigures & Record<string, unknown> {
    return {
      ...this.extra?.(),
      num_requests: this.requests,
      num_errors: this.errors,
      ...(this.lastError === undefined ? {} : { last_error: this.lastError }),
      processing_time: this.totalNs,
      average_processing_time: this.requests === 0 ? 0 : Math.round(this.totalNs / this.requests),
    };
  }
}
