import { describe, expect, it } from 'vitest';
import { SlotBook } from '../src/placement/slot-book.js';

const A = 'CA0000000000000000000000000000000a';
const B = 'CA0000000000000000000000000000000b';
const C = 'CA0000000000000000000000000000000c';
const TTL = 10_000;

describe('a worker’s slots', () => {
  it('reserves while live + reserved stays under capacity, then refuses as full', () => {
    const book = new SlotBook(2, TTL);
    expect(book.reserve(A, 0)).toEqual({ ok: true, expiresAtMs: TTL, renewed: false });
    expect(book.start(C, 1)).toBe('free');
    expect(book.reserve(B, 2)).toEqual({ ok: false, reason: 'full' });
    expect({ live: book.live, reserved: book.reserved }).toEqual({ live: 1, reserved: 1 });
  });

  it('a second request for the same call extends its reservation without another slot', () => {
    const book = new SlotBook(1, TTL);
    book.reserve(A, 0);
    expect(book.reserve(A, 5_000)).toEqual({ ok: true, expiresAtMs: 15_000, renewed: true });
    expect(book.reserved).toBe(1);
    expect(book.expire(12_000)).toEqual([]);
    expect(book.expire(15_000)).toEqual([A]);
  });

  it('a stream with a reservation always has room; one without gets no slot promised to another call', () => {
    const book = new SlotBook(2, TTL);
    book.reserve(A, 0);
    book.reserve(B, 0);
    expect(book.start(C, 10)).toBe('full');
    expect(book.start(A, 10)).toBe('taken');
    expect(book.start(B, 10)).toBe('taken');
    expect({ live: book.live, reserved: book.reserved }).toEqual({ live: 2, reserved: 0 });
    book.ended();
    expect(book.start(C, 20)).toBe('free');
  });

  it('a reservation not taken in time lapses and frees its slot', () => {
    const book = new SlotBook(1, TTL);
    book.reserve(A, 0);
    expect(book.nextExpiryMs()).toBe(TTL);
    expect(book.expire(TTL - 1)).toEqual([]);
    expect(book.reserve(B, TTL - 1)).toEqual({ ok: false, reason: 'full' });
    expect(book.expire(TTL)).toEqual([A]);
    expect(book.nextExpiryMs()).toBeUndefined();
    expect(book.reserve(B, TTL)).toMatchObject({ ok: true });
    // The lapsed call's stream, late, is just a stream without a reservation: no room.
    expect(book.start(A, TTL + 1)).toBe('full');
  });

  it('draining drops every reservation and refuses reservations and streams', () => {
    const book = new SlotBook(3, TTL);
    book.reserve(A, 0);
    book.reserve(B, 0);
    expect(book.drain()).toEqual([A, B]);
    expect(book.isDraining).toBe(true);
    expect(book.reserve(C, 1)).toEqual({ ok: false, reason: 'draining' });
    expect(book.start(A, 1)).toBe('draining');
    expect(book.reserved).toBe(0);
  });
});
