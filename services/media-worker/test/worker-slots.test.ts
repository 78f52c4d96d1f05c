import type { Call } from '@switchboard/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReservationHooks } from '../src/placement/reservation-hooks.js';
import { SlotBook } from '../src/placement/slot-book.js';
import { type ReservationOutcome, WorkerSlots } from '../src/placement/worker-slots.js';
import { log } from './support.js';

const TTL = 10_000;

function call(callSid: string): Call {
  return { callSid } as Call;
}

function recordingHooks() {
  const seen: string[] = [];
  const hooks: ReservationHooks = {
    reserved: (c, expiresAtMs) => seen.push(`reserved ${c.callSid} ${expiresAtMs}`),
    expired: (callSid) => seen.push(`expired ${callSid}`),
    taken: (callSid) => seen.push(`taken ${callSid}`),
  };
  const outcomes: ReservationOutcome[] = [];
  return { seen, hooks, outcomes, observe: (outcome: ReservationOutcome) => outcomes.push(outcome) };
}

describe('reservations on time, told to the hooks', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a reservation lapses on its own after the TTL, frees its slot, and its hooks hear it', () => {
    const { seen, hooks, outcomes, observe } = recordingHooks();
    const slots = new WorkerSlots(new SlotBook(1, TTL), hooks, log, observe);
    expect(slots.reserve(call('CA1'))).toMatchObject({ ok: true, expiresAtMs: TTL });
    vi.advanceTimersByTime(TTL - 1);
    expect(slots.reserved).toBe(1);
    vi.advanceTimersByTime(1);
    expect(slots.reserved).toBe(0);
    expect(seen).toEqual([`reserved CA1 ${TTL}`, 'expired CA1']);
    expect(outcomes).toEqual(['reserved', 'expired']);
    slots.close();
  });

  it('a stream taking its reservation tells the hooks, holds its slot until released (once)', () => {
    const { seen, hooks, outcomes, observe } = recordingHooks();
    const slots = new WorkerSlots(new SlotBook(1, TTL), hooks, log, observe);
    slots.reserve(call('CA1'));
    slots.reserve(call('CA1'));
    expect(slots.reserve(call('CA2'))).toEqual({ ok: false, reason: 'full' });
    vi.advanceTimersByTime(100);
    const release = slots.admit('CA1');
    expect(release).toBeTypeOf('function');
    expect(slots.admit('CA2')).toBeUndefined();
    vi.advanceTimersByTime(TTL);
    expect(seen).toEqual([`reserved CA1 ${TTL}`, `reserved CA1 ${TTL}`, 'taken CA1']);
    expect(outcomes).toEqual(['reserved', 'renewed', 'full', 'taken']);
    release?.();
    release?.();
    expect(slots.live).toBe(0);
    expect(slots.admit('CA2')).toBeTypeOf('function');
    slots.close();
  });

  it('draining drops the reservations (expired to the hooks) and refuses new ones', () => {
    const { seen, hooks } = recordingHooks();
    const slots = new WorkerSlots(new SlotBook(2, TTL), hooks, log);
    slots.reserve(call('CA1'));
    slots.drain();
    expect(slots.reserve(call('CA2'))).toEqual({ ok: false, reason: 'draining' });
    expect(slots.admit('CA1')).toBeUndefined();
    expect(seen).toEqual([`reserved CA1 ${TTL}`, 'expired CA1']);
    slots.close();
  });

  it('keeps no timer once nothing is reserved', () => {
    const slots = new WorkerSlots(new SlotBook(2, TTL), recordingHooks().hooks, log);
    slots.reserve(call('CA1'));
    expect(vi.getTimerCount()).toBe(1);
    slots.admit('CA1');
    expect(vi.getTimerCount()).toBe(0);
  });
});
