import { describe, expect, it } from 'vitest';
import { WorkerLeases } from '../src/workers/worker-leases.js';

describe('workers’ leases', () => {
  it('a worker lapses once not heard for longer than its lease, and only then', () => {
    const leases = new WorkerLeases();
    expect(leases.heard('a', 4_000, 0)).toBe(true);
    expect(leases.heard('b', 1_000, 0)).toBe(true);
    expect(leases.heard('a', 4_000, 3_000)).toBe(false);
    expect(leases.lapse(1_000)).toEqual([]);
    expect(leases.lapse(1_001)).toEqual([{ workerId: 'b', lastHeardAt: 0 }]);
    expect(leases.lapse(7_000)).toEqual([]);
    expect(leases.lapse(7_001)).toEqual([{ workerId: 'a', lastHeardAt: 3_000 }]);
    expect(leases.size).toBe(0);
  });

  it('a changed lease is worth saving again', () => {
    const leases = new WorkerLeases();
    leases.heard('a', 4_000, 0);
    expect(leases.heard('a', 8_000, 1)).toBe(true);
    expect(leases.lapse(8_001)).toEqual([]);
  });

  it('a worker known only to hold streams gets one lease from when the registry began to wait', () => {
    const leases = new WorkerLeases();
    leases.expect('gone', 4_000, 10_000);
    // Expecting again (another stream of it) does not push its lease back.
    leases.expect('gone', 4_000, 12_000);
    expect(leases.lapse(14_000)).toEqual([]);
    expect(leases.lapse(14_001)).toEqual([{ workerId: 'gone', lastHeardAt: 10_000 }]);
    // Once heard, its own announcements rule.
    leases.expect('alive', 4_000, 0);
    leases.heard('alive', 1_000, 500);
    expect(leases.lapse(1_501)).toEqual([{ workerId: 'alive', lastHeardAt: 500 }]);
  });

  it('after the registry’s own connection was away, every lease runs again from its return', () => {
    const leases = new WorkerLeases();
    leases.heard('a', 4_000, 0);
    leases.restart(10_000);
    expect(leases.lapse(14_000)).toEqual([]);
    expect(leases.lapse(14_001)).toEqual([{ workerId: 'a', lastHeardAt: 10_000 }]);
  });

  it('judges no lease across a gap in its own checks (the registry was held up): they run again', () => {
    const leases = new WorkerLeases(1_000);
    leases.heard('a', 4_000, 0);
    expect(leases.lapse(500)).toEqual([]);
    // Checked again only 6 s later: the announcements of that time may still be unread.
    expect(leases.lapse(6_500)).toEqual([]);
    expect(leases.lapse(7_000)).toEqual([]);
    expect(leases.lapse(7_500)).toEqual([]);
    // Regular checks from then on: the lease runs from 6.5 s.
    for (let t = 8_000; t <= 10_500; t += 500) expect(leases.lapse(t)).toEqual([]);
    expect(leases.lapse(11_000)).toEqual([{ workerId: 'a', lastHeardAt: 6_500 }]);
  });
});
