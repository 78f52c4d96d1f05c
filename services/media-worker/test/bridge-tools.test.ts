import type { Agent } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { TOOL_RESULT_MAX_CHARS } from '../src/bridge/tool-output.js';
import {
  AGENT,
  BridgeHarness,
  CALL_SID,
  created,
  delta,
  done,
  echo,
  fnCall,
  OPTIONS,
  speech,
  speechStopped,
  toolResult,
} from './bridge-harness.js';

const BOOKING: Agent = {
  ...AGENT,
  id: 'front-desk',
  tools: [
    {
      name: 'find_slots',
      description: 'Free appointment slots on a day',
      parameters: { type: 'object', properties: { day: { type: 'string' } } },
      url: 'https://tools.example.com/slots',
    },
    {
      name: 'book',
      description: 'Book a slot',
      parameters: { type: 'object', properties: { slot: { type: 'string' } } },
      url: 'https://tools.example.com/book',
      timeoutMs: 2_000,
    },
  ],
};

const ok = (body: unknown) => ({ status: 'ok' as const, body: JSON.stringify(body) });

/** The model calls find_slots in response r1, which is then over. */
function called(h: BridgeHarness): string[] {
  return h.feed(created('r1'), fnCall('find_slots', { day: 'monday' }, 'call_1'), done('r1'));
}

describe("the agent's own tools", () => {
  it('a call becomes a request to the tool; its result the output, then one response.create', () => {
    const h = new BridgeHarness().quiet(BOOKING);
    expect(called(h)).toEqual(['tool find_slots {"day":"monday"}']);
    const request = h.outputs.find((o) => o.to === 'tool-request');
    expect(request).toEqual({
      to: 'tool-request',
      callId: 'call_1',
      url: 'https://tools.example.com/slots',
      timeoutMs: 5_000,
      body: {
        callSid: CALL_SID,
        agentId: 'front-desk',
        tool: 'find_slots',
        callId: 'call_1',
        arguments: { day: 'monday' },
      },
    });
    h.now += 240;
    expect(h.feed(toolResult('call_1', ok({ slots: ['10:00'] })))).toEqual([
      'rt1 output call_1: {"slots":["10:00"]}',
      'event tool find_slots ok: {"slots":["10:00"]}',
      'rt1 response.create',
    ]);
    const segment = h.outputs.find(
      (o) => o.to === 'publish' && o.event.kind === 'transcript' && o.event.tool,
    );
    expect(segment).toMatchObject({
      event: {
        role: 'tool',
        tool: { name: 'find_slots', callId: 'call_1', arguments: { day: 'monday' }, status: 'ok', ms: 240 },
      },
    });
  });

  it('the timeout of the tool goes with its request', () => {
    const h = new BridgeHarness().quiet(BOOKING);
    h.feed(created('r1'), fnCall('book', { slot: '10:00' }, 'call_b'));
    expect(h.outputs.find((o) => o.to === 'tool-request')).toMatchObject({ timeoutMs: 2_000 });
  });

  it('the API says a call twice (arguments done, output item done): it is made once', () => {
    const h = new BridgeHarness().quiet(BOOKING);
    expect(
      h.feed(
        created('r1'),
        fnCall('find_slots', {}, 'call_1'),
        fnCall('find_slots', {}, 'call_1'),
        done('r1'),
      ),
    ).toEqual(['tool find_slots {}']);
  });

  it('several calls of one response run at once; the model goes on once, when all are answered', () => {
    const h = new BridgeHarness().quiet(BOOKING);
    expect(
      h.feed(
        created('r1'),
        fnCall('find_slots', { day: 'mon' }, 'c1'),
        fnCall('find_slots', { day: 'tue' }, 'c2'),
        done('r1'),
      ),
    ).toEqual(['tool find_slots {"day":"mon"}', 'tool find_slots {"day":"tue"}']);
    expect(h.feed(toolResult('c2', ok([])))).toEqual(['rt1 output c2: []', 'event tool find_slots ok: []']);
    expect(h.feed(toolResult('c1', ok(['9:00'])))).toEqual([
      'rt1 output c1: ["9:00"]',
      'event tool find_slots ok: ["9:00"]',
      'rt1 response.create',
    ]);
  });

  it('a result before its response is over is given at once; the model goes on when the response is', () => {
    const h = new BridgeHarness().quiet(BOOKING);
    h.feed(created('r1'), fnCall('find_slots', {}, 'call_1'));
    expect(h.feed(toolResult('call_1', ok({})))).toEqual([
      'rt1 output call_1: {}',
      'event tool find_slots ok: {}',
    ]);
    expect(h.feed(done('r1'))).toEqual(['rt1 response.create']);
  });

  it.each([
    [
      { status: 'timeout' as const, message: 'the find_slots system did not answer within 5000 ms' },
      'timeout',
    ],
    [
      { status: 'error' as const, message: 'the find_slots system answered with an error (HTTP 503)' },
      'error',
    ],
  ])('%j becomes an error output the model can speak about', (result, status) => {
    const h = new BridgeHarness().quiet(BOOKING);
    called(h);
    expect(h.feed(toolResult('call_1', result))).toEqual([
      `rt1 output call_1: ${JSON.stringify({ error: result.message })}`,
      `event tool find_slots ${status}: ${result.message}`,
      'rt1 response.create',
    ]);
  });

  it(`a result over ${TOOL_RESULT_MAX_CHARS} characters is cut, and the output says so`, () => {
    const h = new BridgeHarness().quiet(BOOKING);
    called(h);
    const big = { rows: Array.from({ length: 3_000 }, (_, i) => ({ id: i, note: 'a "quoted" note' })) };
    h.feed(toolResult('call_1', ok(big)));
    const item = h.outputs.find((o) => o.to === 'realtime' && o.message.type === 'conversation.item.create');
    const output =
      item?.to === 'realtime' && item.message.type === 'conversation.item.create'
        ? item.message.item
        : undefined;
    expect(output?.type).toBe('function_call_output');
    const text = output?.type === 'function_call_output' ? output.output : '';
    expect(text.length).toBeLessThanOrEqual(TOOL_RESULT_MAX_CHARS);
    const parsed = JSON.parse(text) as { truncated: boolean; note: string; partial: string };
    expect(parsed.truncated).toBe(true);
    expect(parsed.note).toMatch(
      /^The result was \d+ characters of JSON, more than the 16384 you can be given: it is cut/,
    );
    expect(JSON.stringify(big).startsWith(parsed.partial)).toBe(true);
  });

  it('arguments that are not a JSON object are answered with an error, and nothing is sent', () => {
    const h = new BridgeHarness().quiet(BOOKING);
    expect(h.feed(created('r1'), fnCall('find_slots', '{"day": mon', 'call_1'), done('r1'))).toEqual([
      'rt1 output call_1: {"error":"the arguments were not a JSON object"}',
      'event tool find_slots error: the arguments were not a JSON object',
      'rt1 response.create',
    ]);
    expect(h.outputs.filter((o) => o.to === 'tool-request')).toEqual([]);
  });

  it('a tool the agent does not have is answered with an error', () => {
    const h = new BridgeHarness().quiet(BOOKING);
    expect(h.feed(created('r1'), fnCall('delete_everything', {}, 'call_x'), done('r1'))[0]).toBe(
      'rt1 output call_x: {"error":"there is no tool named delete_everything"}',
    );
  });

  it('a slow tool: once the agent is quiet for TOOL_FILLER_AFTER_MS, it says a holding line, once', () => {
    const h = new BridgeHarness().quiet(BOOKING);
    h.feed(created('r1'), delta('r1', 'i1'), fnCall('find_slots', {}, 'call_1'), done('r1'));
    // "Let me check" still plays: the silence has not begun.
    expect(h.advance(OPTIONS.toolFillerAfterMs * 2)).toEqual([]);
    h.feed(echo('1'));
    expect(h.advance(OPTIONS.toolFillerAfterMs - 1)).toEqual([]);
    expect(h.advance(1)).toEqual(['rt1 response.create (filler)']);
    h.feed(created('r2'), done('r2'));
    expect(h.advance(OPTIONS.toolFillerAfterMs * 3)).toEqual([]);
    expect(h.feed(toolResult('call_1', ok({})))).toContain('rt1 response.create');
  });

  it('a fast tool needs no holding line', () => {
    const h = new BridgeHarness().quiet(BOOKING);
    called(h);
    h.advance(OPTIONS.toolFillerAfterMs - 1);
    h.feed(toolResult('call_1', ok({})));
    expect(h.advance(OPTIONS.toolFillerAfterMs * 2)).toEqual([]);
  });

  it('a result that comes after the caller barged in is still given; the model goes on after its own answer', () => {
    const h = new BridgeHarness().quiet(BOOKING);
    called(h);
    // The caller speaks; server VAD starts a response for it.
    h.feed(speech('u1'), speechStopped('u1', 800), created('r2'), delta('r2', 'i2'));
    expect(h.feed(toolResult('call_1', ok({ slots: [] })))).toEqual([
      'rt1 output call_1: {"slots":[]}',
      'event tool find_slots ok: {"slots":[]}',
    ]);
    expect(h.feed(done('r2'))).toEqual(['rt1 response.create']);
  });
});
