import { describe, expect, it } from 'vitest';
import { StreamSlot } from '../src/placement/stream-slot.js';

describe('StreamSlot', () => {
  const slotsWith = (room: boolean) => {
    const asked: string[] = [];
    let released = 0;
    const slots = {
      admit: (callSid: string) => {
        asked.push(callSid);
        return room ? () => released++ : undefined;
      },
    };
    return { slots, asked, released: () => released };
  };

  it('takes a slot once at start and gives it back once', () => {
    const { slots, asked, released } = slotsWith(true);
    const slot = new StreamSlot(slots);
    expect(slot.admit('CA1')).toBe(true);
    expect(slot.admit('CA1')).toBe(true);
    expect(asked).toEqual(['CA1']);
    slot.release();
    expect(released()).toBe(1);
  });

  it('stays refused when the worker had no room, and gives back nothing', () => {
    const { slots, asked, released } = slotsWith(false);
    const slot = new StreamSlot(slots);
    expect(slot.admit('CA1')).toBe(false);
    expect(slot.admit('CA1')).toBe(false);
    expect(asked).toEqual(['CA1']);
    slot.release();
    expect(released()).toBe(0);
  });

  it('gives back nothing for a stream that never started', () => {
    const { slots, released } = slotsWith(true);
    new StreamSlot(slots).release();
    expect(released()).toBe(0);
  });
});
