/** Latency samples in milliseconds; percentiles by sorting once at the end (nearest-rank). */
export class Latencies {
  private values = new Float64Array(4_096);
  private size = 0;

  get count(): number {
    return this.size;
  }

  record(ms: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = ms;
  }

  /** Adds every sample of `other`. */
  merge(other: Latencies): void {
    for (let i = 0; i < other.size; i++) this.record(other.values[i] as number);
  }

  /** The p-th percentile (0–100) by nearest rank, or NaN with no samples. */
  percentile(p: number): number {
    if (this.size === 0) return Number.NaN;
    const sorted = this.values.subarray(0, this.size).sort();
    const rank = Math.min(this.size - 1, Math.max(0, Math.ceil((p / 100) * this.size) - 1));
    return sorted[rank] ?? Number.NaN;
  }

  summary(): LatencySummary {
    return { p50: this.percentile(50), p99: this.percentile(99), max: this.percentile(100) };
  }
}

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}
