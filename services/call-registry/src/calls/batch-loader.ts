export interface BatchLoaderOptions {
  /** Most keys in one load. */
  maxBatch: number;
  /**
   * Keys waiting when loads are free to start are spread over as many loads as may start, each with at
   * least this many (and at most `maxBatch`), so that they overlap instead of moving as one convoy.
   * Defaults to `maxBatch`: one load takes all it may.
   */
  minBatch?: number;
  /** Most loads running at once; further keys wait and go out together in the next one. */
  maxInFlight: number;
}

export interface BatchLoaderStats {
  batches: number;
  keys: number;
  coalesced: number;
}

interface Waiting<V> {
  promise: Promise<V | undefined>;
  resolve: (value: V | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces and batches lookups: every key asked for in one tick of the event loop goes out in a single
 * `load`, and a key already pending or in flight is not asked for again. While `maxInFlight` loads run, new
 * keys gather and leave together as soon as one finishes, so batches grow with load instead of queries.
 */
export class BatchLoader<K, V> {
  private pending = new Map<K, Waiting<V>>();
  private readonly inFlight = new Map<K, Promise<V | undefined>>();
  private running = 0;
  private scheduled = false;
  readonly stats: BatchLoaderStats = { batches: 0, keys: 0, coalesced: 0 };

  constructor(
    private readonly load: (keys: K[]) => Promise<Map<K, V>>,
    private readonly options: BatchLoaderOptions,
    private readonly observeBatch?: (size: number) => void,
  ) {}

  get(key: K): Promise<V | undefined> {
    const existing = this.inFlight.get(key) ?? this.pending.get(key)?.promise;
    if (existing) {
      this.stats.coalesced++;
      return existing;
    }
    let resolve!: (value: V | undefined) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<V | undefined>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.pending.set(key, { promise, resolve, reject });
    this.schedule();
    return promise;
  }

  /**
   * Stops handing out the load in flight for `key`: call after writing it, so that a lookup made after the
   * write never joins a read that began before it.
   */
  forget(key: K): void {
    this.inFlight.delete(key);
  }

  /** `forget` for every key: after a change that may touch any of them (an agent every call may carry). */
  forgetAll(): void {
    this.inFlight.clear();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const { maxBatch, maxInFlight, minBatch = maxBatch } = this.options;
    while (this.pending.size > 0 && this.running < maxInFlight) {
      const spread = Math.ceil(this.pending.size / (maxInFlight - this.running));
      void this.run(this.takeBatch(Math.min(maxBatch, Math.max(minBatch, spread))));
    }
  }

  private takeBatch(size: number): Map<K, Waiting<V>> {
    if (this.pending.size <= size) {
      const all = this.pending;
      this.pending = new Map();
      return all;
    }
    const batch = new Map<K, Waiting<V>>();
    for (const [key, waiting] of this.pending) {
      if (batch.size === size) break;
      batch.set(key, waiting);
      this.pending.delete(key);
    }
    return batch;
  }

  private async run(batch: Map<K, Waiting<V>>): Promise<void> {
    this.running++;
    this.stats.batches++;
    this.stats.keys += batch.size;
    this.observeBatch?.(batch.size);
    for (const [key, waiting] of batch) this.inFlight.set(key, waiting.promise);
    try {
      const found = await this.load([...batch.keys()]);
      for (const [key, waiting] of batch) waiting.resolve(found.get(key));
    } catch (error) {
      for (const waiting of batch.values()) waiting.reject(error);
    } finally {
      for (const [key, waiting] of batch) {
        if (this.inFlight.get(key) === waiting.promise) this.inFlight.delete(key);
      }
      this.running--;
      this.flush();
    }
  }
}
