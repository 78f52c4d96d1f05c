import type { WorkerAnnouncement } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { WorkerDirectory } from '../src/placement/worker-directory.js';

function announcement(workerId: string, fields: Partial<WorkerAnnouncement> = {}): WorkerAnnouncement {
  return {
    workerId,
    mediaUrl: `wss://${workerId}.example.com/media-stream`,
    live: 0,
    reserved: 0,
    capacity: 2,
    draining: false,
    leaseMs: 4_000,
    at: new Date(0).toISOString(),
    ...fields,
  };
}

const ids = (directory: WorkerDirectory, now: number) => directory.candidates(now).map((c) => c.workerId);

describe('choosing a worker', () => {
  it('least loaded first: by the share of capacity in use, then the most free slots, then the id', () => {
    const directory = new WorkerDirectory();
    directory.heard(announcement('a', { live: 1, capacity: 2 }), 0);
    directory.heard(announcement('b', { live: 1, reserved: 1, capacity: 10 }), 0);
    directory.heard(announcement('c', { capacity: 1 }), 0);
    directory.heard(announcement('d', { capacity: 3 }), 0);
    expect(ids(directory, 0)).toEqual(['d', 'c', 'b', 'a']);
    expect(directory.candidates(0)[0]).toEqual({
      workerId: 'd',
      mediaUrl: 'wss://d.example.com/media-stream',
      load: 0,
      capacity: 3,
    });
  });

  it('leaves out workers that are full, draining, or have no media URL of their own', () => {
    const directory = new WorkerDirectory();
    directory.heard(announcement('full', { live: 1, reserved: 1 }), 0);
    directory.heard(announcement('draining', { draining: true }), 0);
    directory.heard(announcement('behind-lb', { mediaUrl: null }), 0);
    directory.heard(announcement('ok'), 0);
    expect(ids(directory, 0)).toEqual(['ok']);
  });

  it('counts its own reservations until the next announcement, so a burst spreads', () => {
    const directory = new WorkerDirectory();
    directory.heard(announcement('a'), 0);
    directory.heard(announcement('b'), 0);
    directory.reserved('a');
    expect(ids(directory, 1)).toEqual(['b', 'a']);
    directory.reserved('b');
    directory.reserved('a');
    expect(ids(directory, 1)).toEqual(['b']);
    directory.heard(announcement('a', { reserved: 2 }), 2);
    expect(ids(directory, 2)).toEqual(['b']);
    directory.heard(announcement('a', { live: 1 }), 3);
    expect(ids(directory, 3)).toEqual(['a', 'b']);
  });

  it('a refusal keeps the worker out until it announces itself again', () => {
    const directory = new WorkerDirectory();
    directory.heard(announcement('a'), 0);
    directory.refused('a');
    expect(ids(directory, 1)).toEqual([]);
    directory.heard(announcement('a'), 2);
    expect(ids(directory, 2)).toEqual(['a']);
  });

  it('forgets a worker not heard within its lease, or one nobody answered for', () => {
    const directory = new WorkerDirectory();
    directory.heard(announcement('a', { leaseMs: 4_000 }), 0);
    directory.heard(announcement('b', { leaseMs: 8_000 }), 0);
    expect(directory.known(4_000)).toBe(2);
    expect(ids(directory, 4_000)).toEqual(['a', 'b']);
    expect(ids(directory, 4_001)).toEqual(['b']);
    expect(directory.size).toBe(1);
    directory.unreachable('b');
    expect(ids(directory, 4_002)).toEqual([]);
  });
});
