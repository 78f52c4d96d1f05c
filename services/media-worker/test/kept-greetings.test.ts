import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics.js';
import { KeptGreetings } from '../src/warm/kept-greetings.js';
import { audio } from './bridge-harness.js';

const greeting = (ms: number) => ({ chunks: [audio(ms)], text: 'Hello!', durationMs: ms });

describe('kept greetings', () => {
  const metrics = () => createMetrics(() => 0);

  it('keeps the first recording of a key, and drops the least recently played beyond the count', () => {
    const kept = new KeptGreetings(metrics(), 2);
    kept.keep('a', 'agent-a', greeting(20));
    kept.keep('a', 'agent-a', greeting(40));
    expect(kept.find('a')?.durationMs).toBe(20);
    kept.keep('b', 'agent-b', greeting(20));
    kept.find('a');
    kept.keep('c', 'agent-c', greeting(20));
    expect([kept.has('a'), kept.has('b'), kept.has('c')]).toEqual([true, false, true]);
  });

  it('stays within its bytes, and never keeps one larger than all of them', () => {
    const bytesOf20ms = audio(20).length;
    const kept = new KeptGreetings(metrics(), 100, 2 * bytesOf20ms);
    kept.keep('a', 'agent-a', greeting(20));
    kept.keep('b', 'agent-b', greeting(20));
    kept.keep('c', 'agent-c', greeting(20));
    expect([kept.has('a'), kept.has('b'), kept.has('c')]).toEqual([false, true, true]);
    kept.keep('d', 'agent-d', greeting(60));
    expect(kept.has('d')).toBe(false);
    expect(kept.size).toBe(2);
  });

  it("forgets an agent's greetings when it changes, and all of them when told so", () => {
    const kept = new KeptGreetings(metrics());
    kept.keep('a1', 'agent-a', greeting(20));
    kept.keep('a2', 'agent-a', greeting(20));
    kept.keep('b', 'agent-b', greeting(20));
    kept.forget('agent-a');
    expect([kept.has('a1'), kept.has('a2'), kept.has('b')]).toEqual([false, false, true]);
    kept.forgetAll();
    expect(kept.size).toBe(0);
  });
});
