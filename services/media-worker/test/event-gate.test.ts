import type { CallEvent } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { EventGate } from '../src/event-gate.js';

const callSid = `CA${'1'.repeat(32)}`;
const at = '2026-11-27T10:00:00.000Z';
const started: CallEvent = { kind: 'stream', action: 'started', streamSid: 'MZ1', callSid, at };
const dtmf: CallEvent = { kind: 'dtmf', digit: '5', streamSid: 'MZ1', callSid, at };
const stopped: CallEvent = { kind: 'stream', action: 'stopped', streamSid: 'MZ1', callSid, at };

function gate() {
  const published: string[] = [];
  return { gate: new EventGate((_event, msgId) => published.push(msgId)), published };
}

describe('EventGate', () => {
  it('holds events until the call is known, then sends the start first and the rest in order', () => {
    const { gate: g, published } = gate();
    g.send(dtmf, 'dtmf');
    g.send(stopped, 'stopped');
    expect(published).toEqual([]);
    g.open({ event: started, msgId: 'started' });
    g.send(dtmf, 'dtmf-2');
    expect(published).toEqual(['started', 'dtmf', 'stopped', 'dtmf-2']);
  });

  it('drops everything for a call the registry does not know', () => {
    const { gate: g, published } = gate();
    g.send(dtmf, 'dtmf');
    g.shut();
    g.send(stopped, 'stopped');
    expect(published).toEqual([]);
  });
});
