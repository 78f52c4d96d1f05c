import { describe, expect, it } from 'vitest';
import { BatchLoader, type BatchLoaderOptions } from '../src/calls/batch-loader.js';

function recordingLoader(options: BatchLoaderOptions = { maxBatch: 100, maxInFlight: 2 }) {
  const loads: string[][] = [];
  const gates: Array<() => void> = [];
  let gated = false;
  const loader = new BatchLoader<string, string>(async (keys) => {
    loads.push(keys);
    if (gated) await new Promise<void>((resolve) => gates.push(resolve));
    return new Map(keys.filter((k) => !k.startsWith('missing')).map((k) => [k, k.toUpperCase()]));
  }, options);
  return {
    loader,
    loads,
    gate: () => {
      gated = true;
    },
    openGates: () => {
      gated = false;
      for (const open of gates.splice(0)) open();
    },
  };
}

describe('BatchLoader', () => {
  it('sends every key asked for in one tick as one load, and each key once', async () => {
    const { loader, loads } = recordingLoader();
    const results = await Promise.all(['a', 'b', 'a', 'missing-1', 'c', 'b'].map((k) => loader.get(k)));
    expect(results).toEqual(['A', 'B', 'A', undefined, 'C', 'B']);
    expect(loads).toEqual([['a', 'b', 'missing-1', 'c']]);
    expect(loader.stats).toEqual({ batches: 1, keys: 4, coalesced: 2 });
  });

  it('splits a tick larger than maxBatch', async () => {
    const { loader, loads } = recordingLoader({ maxBatch: 3, maxInFlight: 10 });
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((k) => loader.get(k)));
    expect(loads.map((l) => l.length)).toEqual([3, 3, 1]);
  });

  it('spreads the keys of one tick over the loads free to start, each with at least minBatch', async () => {
    const { loader, loads } = recordingLoader({ maxBatch: 100, minBatch: 4, maxInFlight: 3 });
    await Promise.all('abcdefghij'.split('').map((k) => loader.get(k)));
    expect(loads.map((l) => l.length)).toEqual([4, 4, 2]);
    const few = recordingLoader({ maxBatch: 100, minBatch: 4, maxInFlight: 3 });
    await Promise.all('abcde'.split('').map((k) => few.loader.get(k)));
    expect(few.loads.map((l) => l.length)).toEqual([4, 1]);
  });

  it('joins a key already in flight, and gathers new keys while maxInFlight loads run', async () => {
    const { loader, loads, gate, openGates } = recordingLoader({ maxBatch: 100, maxInFlight: 1 });
    gate();
    const first = loader.get('a');
    await new Promise((r) => setImmediate(r));
    const joined = loader.get('a');
    const later = [loader.get('b'), loader.get('c')];
    await new Promise((r) => setImmediate(r));
    expect(loads).toEqual([['a']]);
    openGates();
    expect(await first).toBe('A');
    expect(await joined).toBe('A');
    expect(await Promise.all(later)).toEqual(['B', 'C']);
    expect(loads).toEqual([['a'], ['b', 'c']]);
  });

  it('after forget(key), a new get does not join the load already in flight', async () => {
    const { loader, loads, gate, openGates } = recordingLoader();
    gate();
    const before = loader.get('a');
    await new Promise((r) => setImmediate(r));
    loader.forget('a');
    const after = loader.get('a');
    await new Promise((r) => setImmediate(r));
    openGates();
    await Promise.all([before, after]);
    expect(loads).toEqual([['a'], ['a']]);
  });

  it('rejects every waiter of a failed load, and the next get tries again', async () => {
    let fail = true;
    const loader = new BatchLoader<string, string>(
      async (keys) => {
        if (fail) throw new Error('db down');
        return new Map(keys.map((k) => [k, k]));
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([loader.get('a'), loader.get('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await loader.get('a')).toBe('a');
  });
});
