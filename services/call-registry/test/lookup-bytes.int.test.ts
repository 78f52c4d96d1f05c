import { ServiceErrorCodeHeader } from '@nats-io/services';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RegistryStack, startStack } from './support.js';

// The bytes call.bySid sends for a row are a contract of their own: callers cache them, compare them and
// sign them. They are pinned here as the registry sent them before its lookup path was reworked
// (test/bench/README.md), for rows that exercise every field: nulls, escaping, fractions of a second, an
// agent with and without its optional fields.

const AGENTS = [
  `('sales', '+15550001111', 'Sell things.', 'verse', 'gpt-realtime', 'Sales, hello!', '{}')`,
  `('quirky', NULL, E'Line one\\nline "two"\\t\\\\ é 📞 \\u2028 \\u0001 </script>', 'alloy', 'gpt-realtime-mini', '', '{}')`,
  `('tooled', NULL, 'Book tables.', 'alloy', 'gpt-realtime', NULL,
    '{"language": "es", "noiseReduction": null, "tools": [{"name": "book", "description": "Book \\"it\\"", "parameters": {"type": "object"}, "url": "https://example.com/book"}]}')`,
  `('reminder', NULL, 'Remind {{name}} at {{ time }}; {{missing}} stays.', 'alloy', 'gpt-realtime', 'Hi {{name}}!', '{}')`,
];

const CALLS = [
  // call_sid, direction, from, to, status, agent, created, updated, answered, ended, duration
  `('CA00000000000000000000000000000001', 'inbound', '+15551230000', '+15559870000', 'completed', 'default',
    '2026-11-27 10:00:00.5+00', '2026-11-27 10:01:00.123+00', '2026-11-27 10:00:02.05+00',
    '2026-11-27 10:01:00+00', 0)`,
  `('CA00000000000000000000000000000002', 'outbound', '+15550001111', '+15557770000', 'ringing', 'sales',
    '1999-12-31 23:59:59.999+00', '2000-01-01 00:00:00+00', NULL, NULL, NULL)`,
  `('CA00000000000000000000000000000003', 'inbound', E'client:alice "q" \\\\ \\n', 'anonymous', 'in-progress',
    'quirky', '2026-01-01 00:00:00.1+00', '2026-01-01 00:00:00.12+00', '2026-01-01 00:00:00.001+00', NULL, NULL)`,
  `('CA00000000000000000000000000000004', 'outbound', '+15550001111', '+441234567890', 'no-answer', 'sales',
    '2026-06-30 23:59:59.9+00', '2026-07-01 00:00:09.99+00', NULL, '2026-07-01 00:00:10+00', 2147483647)`,
  `('CA00000000000000000000000000000005', 'inbound', '+15551230000', '+15559870000', 'completed', 'tooled',
    '2026-11-27 10:00:00+00', '2026-11-27 10:05:00+00', '2026-11-27 10:00:01+00', '2026-11-27 10:05:00+00', 299)`,
  `('CA00000000000000000000000000000006', 'outbound', '+15550001111', '+15557770000', 'completed', 'default',
    '2026-12-22 09:00:00+00', '2026-12-22 09:02:00+00', '2026-12-22 09:00:05+00', '2026-12-22 09:02:00+00', 115)`,
  `('CA00000000000000000000000000000007', 'outbound', '+15550001111', '+15557770001', 'ringing', 'reminder',
    '2026-12-01 09:00:00+00', '2026-12-01 09:00:01+00', NULL, NULL, NULL)`,
];

describe('call.bySid reply bytes', () => {
  let stack: RegistryStack;
  let db: pg.Client;

  beforeAll(async () => {
    stack = await startStack();
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    await db.query(
      `INSERT INTO agents (id, phone_number, instructions, voice, model, greeting, settings)
       VALUES ${AGENTS.join(', ')}`,
    );
    await db.query(
      `INSERT INTO calls (call_sid, direction, from_number, to_number, status, agent_id, created_at, updated_at,
                          answered_at, ended_at, duration_seconds) VALUES ${CALLS.join(', ')}`,
    );
    await db.query(
      `UPDATE calls SET ended_reason = 'agent-ended' WHERE call_sid IN ('CA00000000000000000000000000000005',
        'CA00000000000000000000000000000006')`,
    );
    // Issue 11: a call with its recording and what answered it.
    await db.query(
      `UPDATE calls SET recording_sid = 'RE0123456789abcdef0123456789abcdef', recording_duration_seconds = 114,
        recording_channels = 2, answered_by = 'machine_end_beep' WHERE call_sid = 'CA00000000000000000000000000000006'`,
    );
    // A batch call: its variables in its agent's instructions and greeting (values that need escaping).
    await db.query(`UPDATE calls SET variables = $1 WHERE call_sid = 'CA00000000000000000000000000000007'`, [
      JSON.stringify({ name: 'Zoë "Z" \\\n', time: '9:00 📞' }),
    ]);
  });
  afterAll(async () => {
    await db?.end();
    await stack?.close();
  });

  const replyBytes = async (callSid: string) => {
    const msg = await stack.nc.request('call.bySid', JSON.stringify({ callSid }), { timeout: 5_000 });
    expect(msg.headers?.get(ServiceErrorCodeHeader)).toBeUndefined();
    return msg.string();
  };

  it('are the same as before the lookup path changed, for every kind of row', async () => {
    const sids = CALLS.map((_, i) => `CA${String(i + 1).padStart(32, '0')}`);
    // One at a time, then all in one batch: both paths must give the same bytes.
    const alone = [];
    for (const sid of sids) alone.push(await replyBytes(sid));
    const together = await Promise.all(sids.map(replyBytes));
    expect(together).toEqual(alone);
    expect(alone).toEqual(GOLDEN);
  });

  it('are what JSON.stringify makes of the same call read through call.list (Prisma, another path)', async () => {
    // Raw, not through the typed client: its schema would reorder the keys.
    const listed = await stack.nc.request('call.list', JSON.stringify({ limit: 200 }), { timeout: 5_000 });
    const { calls } = listed.json<{ calls: { callSid: string }[] }>();
    expect(calls.length).toBe(CALLS.length);
    for (const call of calls) expect(await replyBytes(call.callSid)).toBe(JSON.stringify(call));
  });
});

/**
 * What the registry answered for CALLS at commit 4c8a724, before issue 14 — with `endedReason`, which issue 10
 * added to the Call after them (the fifth row, with an agent's settings and an ended reason, came with it), and
 * `recording` and `answeredBy`, which issue 11 added (the sixth row has both); the seventh, a batch call
 * (issue 11), has its variables in its agent's instructions and greeting.
 */
const GOLDEN = [
  '{"callSid":"CA00000000000000000000000000000001","direction":"inbound","from":"+15551230000","to":"+15559870000","status":"completed","agent":{"id":"default","instructions":"You are a friendly, concise phone assistant. Keep answers short: this is a phone call.","voice":"alloy","model":"gpt-realtime","greeting":"Hello! How can I help you today?"},"createdAt":"2026-11-27T10:00:00.500Z","updatedAt":"2026-11-27T10:01:00.123Z","answeredAt":"2026-11-27T10:00:02.050Z","endedAt":"2026-11-27T10:01:00.000Z","durationSeconds":0,"endedReason":null,"recording":null,"answeredBy":null}',
  '{"callSid":"CA00000000000000000000000000000002","direction":"outbound","from":"+15550001111","to":"+15557770000","status":"ringing","agent":{"id":"sales","instructions":"Sell things.","voice":"verse","model":"gpt-realtime","phoneNumber":"+15550001111","greeting":"Sales, hello!"},"createdAt":"1999-12-31T23:59:59.999Z","updatedAt":"2000-01-01T00:00:00.000Z","answeredAt":null,"endedAt":null,"durationSeconds":null,"endedReason":null,"recording":null,"answeredBy":null}',
  '{"callSid":"CA00000000000000000000000000000003","direction":"inbound","from":"client:alice \\"q\\" \\\\ \\n","to":"anonymous","status":"in-progress","agent":{"id":"quirky","instructions":"Line one\\nline \\"two\\"\\t\\\\ \u00e9 \ud83d\udcde \u2028 \\u0001 </script>","voice":"alloy","model":"gpt-realtime-mini","greeting":""},"createdAt":"2026-01-01T00:00:00.100Z","updatedAt":"2026-01-01T00:00:00.120Z","answeredAt":"2026-01-01T00:00:00.001Z","endedAt":null,"durationSeconds":null,"endedReason":null,"recording":null,"answeredBy":null}',
  '{"callSid":"CA00000000000000000000000000000004","direction":"outbound","from":"+15550001111","to":"+441234567890","status":"no-answer","agent":{"id":"sales","instructions":"Sell things.","voice":"verse","model":"gpt-realtime","phoneNumber":"+15550001111","greeting":"Sales, hello!"},"createdAt":"2026-06-30T23:59:59.900Z","updatedAt":"2026-07-01T00:00:09.990Z","answeredAt":null,"endedAt":"2026-07-01T00:00:10.000Z","durationSeconds":2147483647,"endedReason":null,"recording":null,"answeredBy":null}',
  '{"callSid":"CA00000000000000000000000000000005","direction":"inbound","from":"+15551230000","to":"+15559870000","status":"completed","agent":{"id":"tooled","instructions":"Book tables.","voice":"alloy","model":"gpt-realtime","language":"es","noiseReduction":null,"tools":[{"url":"https://example.com/book","name":"book","parameters":{"type":"object"},"description":"Book \\"it\\""}]},"createdAt":"2026-11-27T10:00:00.000Z","updatedAt":"2026-11-27T10:05:00.000Z","answeredAt":"2026-11-27T10:00:01.000Z","endedAt":"2026-11-27T10:05:00.000Z","durationSeconds":299,"endedReason":"agent-ended","recording":null,"answeredBy":null}',
  '{"callSid":"CA00000000000000000000000000000006","direction":"outbound","from":"+15550001111","to":"+15557770000","status":"completed","agent":{"id":"default","instructions":"You are a friendly, concise phone assistant. Keep answers short: this is a phone call.","voice":"alloy","model":"gpt-realtime","greeting":"Hello! How can I help you today?"},"createdAt":"2026-12-22T09:00:00.000Z","updatedAt":"2026-12-22T09:02:00.000Z","answeredAt":"2026-12-22T09:00:05.000Z","endedAt":"2026-12-22T09:02:00.000Z","durationSeconds":115,"endedReason":"agent-ended","recording":{"sid":"RE0123456789abcdef0123456789abcdef","durationSeconds":114,"channels":2},"answeredBy":"machine_end_beep"}',
  '{"callSid":"CA00000000000000000000000000000007","direction":"outbound","from":"+15550001111","to":"+15557770001","status":"ringing","agent":{"id":"reminder","instructions":"Remind Zo\u00eb \\"Z\\" \\\\\\n at 9:00 \ud83d\udcde; {{missing}} stays.","voice":"alloy","model":"gpt-realtime","greeting":"Hi Zo\u00eb \\"Z\\" \\\\\\n!"},"createdAt":"2026-12-01T09:00:00.000Z","updatedAt":"2026-12-01T09:00:01.000Z","answeredAt":null,"endedAt":null,"durationSeconds":null,"endedReason":null,"recording":null,"answeredBy":null}',
];
