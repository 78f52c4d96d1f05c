import type { AsyncEndpointFigures } from '@switchboard/bus';
import {
  AgentConflictError,
  AgentNotFoundError,
  CallConflictError,
  CallNotFoundError,
  InvalidRequestError,
} from '@switchboard/contracts';
import { metricValue } from '@switchboard/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCallSid, type RegistryStack, startStack } from './support.js';

describe('call-registry endpoints', () => {
  let stack: RegistryStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  const inbound = (callSid = newCallSid(), to = '+15559870000') => ({
    callSid,
    direction: 'inbound' as const,
    from: '+15551230000',
    to,
  });

  it('creates a call with the default agent and finds it by sid', async () => {
    const created = await stack.client.callCreate(inbound());
    expect(created).toMatchObject({
      status: 'queued',
      direction: 'inbound',
      agent: { id: 'default', voice: 'alloy', model: 'gpt-realtime' },
      answeredAt: null,
      endedAt: null,
      durationSeconds: null,
      endedReason: null,
    });
    expect(await stack.client.callBySid({ callSid: created.callSid })).toEqual(created);
  });

  it('routes an inbound call to the agent answering the dialled number', async () => {
    const agent = await stack.client.agentUpsert({
      id: 'sales',
      phoneNumber: '+15550001111',
      instructions: 'Sell things.',
      voice: 'verse',
      model: 'gpt-realtime',
      greeting: 'Sales, hello!',
    });
    expect(agent).toMatchObject({ id: 'sales', phoneNumber: '+15550001111' });
    expect(await stack.client.agentGet({ id: 'sales' })).toEqual(agent);
    await expect(stack.client.agentGet({ id: 'nobody' })).rejects.toBeInstanceOf(AgentNotFoundError);
    const call = await stack.client.callCreate(inbound(newCallSid(), '+15550001111'));
    expect(call.agent).toEqual(agent);
    const outbound = await stack.client.callCreate({
      callSid: newCallSid(),
      direction: 'outbound',
      from: '+15550001111',
      to: '+15557770000',
      agentId: 'sales',
      status: 'initiated',
    });
    expect(outbound).toMatchObject({ agent: { id: 'sales' }, status: 'initiated' });
  });

  it('updates an agent in place and refuses a phone number another agent has', async () => {
    await stack.client.agentUpsert({
      id: 'a1',
      phoneNumber: '+15550002222',
      instructions: 'x',
      voice: 'alloy',
      model: 'm',
    });
    const updated = await stack.client.agentUpsert({ id: 'a1', instructions: 'y', voice: 'ash', model: 'm' });
    expect(updated).toEqual({ id: 'a1', instructions: 'y', voice: 'ash', model: 'm' });
    await stack.client.agentUpsert({
      id: 'a2',
      phoneNumber: '+15550003333',
      instructions: 'x',
      voice: 'alloy',
      model: 'm',
    });
    const err = await stack.client
      .agentUpsert({ id: 'a1', phoneNumber: '+15550003333', instructions: 'x', voice: 'alloy', model: 'm' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentConflictError);
    expect(err).toMatchObject({ status: 409, code: 'AGENT_CONFLICT' });
  });

  it('is idempotent: the same create returns the stored call; different parties are a 409', async () => {
    const request = inbound();
    const first = await stack.client.callCreate({ ...request, status: 'ringing' });
    const again = await stack.client.callCreate({ ...request, status: 'ringing' });
    expect(again).toEqual(first);
    const concurrent = await Promise.all(
      Array.from({ length: 10 }, () => stack.client.callCreate(inbound())),
    );
    expect(new Set(concurrent.map((c) => c.callSid)).size).toBe(10);
    const conflict = await stack.client
      .callCreate({ ...request, from: '+15550009999' })
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(CallConflictError);
    expect(conflict).toMatchObject({ status: 409, code: 'CALL_CONFLICT' });
  });

  it('answers an unknown callSid with 404 CALL_NOT_FOUND and a bad one with 400', async () => {
    const sid = newCallSid();
    await expect(stack.client.callBySid({ callSid: sid })).rejects.toBeInstanceOf(CallNotFoundError);
    await expect(stack.client.callTranscript({ callSid: sid })).rejects.toMatchObject({
      code: 'CALL_NOT_FOUND',
    });
    for (const bad of ['CA123', `CA${'A'.repeat(32)}`, `XX${'0'.repeat(32)}`]) {
      await expect(stack.client.callBySid({ callSid: bad })).rejects.toBeInstanceOf(InvalidRequestError);
    }
    await expect(stack.client.callCreate({ ...inbound(), agentId: 'nobody' })).rejects.toBeInstanceOf(
      AgentNotFoundError,
    );
  });

  it('rejects malformed requests with 400 on the wire, without holding a connection', async () => {
    const cases: Array<[string, string]> = [
      ['call.bySid', '{not json'],
      ['call.bySid', '[]'],
      ['call.create', JSON.stringify({ ...inbound(), direction: 'sideways' })],
      ['call.create', JSON.stringify({ ...inbound(), status: 'exploded' })],
      ['call.list', JSON.stringify({ limit: 500 })],
      ['call.list', JSON.stringify({ cursor: 'garbage' })],
      ['agent.upsert', JSON.stringify({ id: 'x' })],
      // PostgreSQL refuses NUL in text: the contracts refuse it first, with any other control character.
      ['call.create', JSON.stringify({ ...inbound(), from: '+1555\u00001230000' })],
      ['call.create', JSON.stringify({ ...inbound(), to: '+15559870000\r\n' })],
      ['agent.put', JSON.stringify({ agent: { id: 'x', instructions: 'a\u0000', voice: 'v', model: 'm' } })],
      ['agent.list', JSON.stringify({ cursor: 'not an id' })],
      ['agent.delete', JSON.stringify({ id: '' })],
    ];
    for (const [subject, body] of cases) {
      const reply = await stack.nc.request(subject, body, { timeout: 2_000 });
      expect(reply.headers?.get('Nats-Service-Error-Code'), `${subject} ${body}`).toBe('400');
      expect(reply.json()).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.any(String) } });
    }
    const health = await stack.client.registryHealth({});
    expect(health.db.waiting).toBe(0);
    expect(health.db.idle).toBe(health.db.total);
  });

  it('lists calls newest first, page by page, without duplicates or gaps', async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 23; i++)
      mine.add((await stack.client.callCreate({ ...inbound(), status: 'ringing' })).callSid);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await stack.client.callList({ limit: 7, ...(cursor ? { cursor } : {}) });
      expect(page.calls.length).toBeLessThanOrEqual(7);
      seen.push(...page.calls.map((c) => c.callSid));
      // A call created while paging must not shift later pages.
      if (!cursor) await stack.client.callCreate(inbound());
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const sid of mine) expect(seen).toContain(sid);
    const ringing = await stack.client.callList({ status: 'ringing', limit: 200 });
    expect(ringing.calls.every((c) => c.status === 'ringing')).toBe(true);
    expect(ringing.calls.length).toBeGreaterThanOrEqual(23);
    const times = ringing.calls.map((c) => c.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect((await stack.client.callList({})).calls.length).toBeLessThanOrEqual(50);
  });

  it('reports health with the pool figures', async () => {
    const health = await stack.client.registryHealth({});
    expect(health).toMatchObject({ status: 'ok', db: { max: 20 } });
    expect(health.db.total).toBeGreaterThanOrEqual(2);
  });

  it('is discoverable through $SRV.PING, INFO and STATS', async () => {
    const ping = await stack.nc.request('$SRV.PING.call-registry', '', { timeout: 2_000 });
    expect(ping.json()).toMatchObject({ name: 'call-registry', type: 'io.nats.micro.v1.ping_response' });
    const info = (await stack.nc.request('$SRV.INFO.call-registry', '', { timeout: 2_000 })).json<{
      endpoints: { subject: string; queue_group: string }[];
    }>();
    expect(info.endpoints.map((e) => e.subject).sort()).toEqual(
      [
        'agent.delete',
        'agent.get',
        'agent.list',
        'agent.put',
        'agent.upsert',
        'batch.addCalls',
        'batch.attemptFailed',
        'batch.cancel',
        'batch.claim',
        'batch.create',
        'batch.get',
        'call.activity',
        'call.bySid',
        'call.create',
        'call.list',
        'call.machineDetection',
        'call.report',
        'call.transcript',
        'registry.health',
        'webhook.active',
        'webhook.create',
        'webhook.delete',
        'webhook.failed.add',
        'webhook.failed.list',
        'webhook.failed.remove',
        'webhook.get',
        'webhook.list',
      ].sort(),
    );
    expect(info.endpoints.every((e) => e.queue_group === 'q')).toBe(true);

    // Each endpoint's `data` holds the figures of the whole (async) handling, database included.
    const bySidFigures = async () => {
      const stats = (await stack.nc.request('$SRV.STATS.call-registry', '', { timeout: 2_000 })).json<{
        endpoints: { subject: string; data: AsyncEndpointFigures }[];
      }>();
      const figures = stats.endpoints.find((e) => e.subject === 'call.bySid')?.data;
      if (!figures) throw new Error('no call.bySid figures');
      return figures;
    };
    const before = await bySidFigures();
    const known = await stack.client.callCreate(inbound());
    await stack.client.callBySid({ callSid: known.callSid });
    await stack.client.callBySid({ callSid: newCallSid() }).catch(() => undefined);
    const after = await bySidFigures();
    expect(after.num_requests - before.num_requests).toBe(2);
    expect(after.num_errors - before.num_errors).toBe(1);
    expect(after.last_error).toMatch(/no call with callSid/);
    expect(after.processing_time).toBeGreaterThan(before.processing_time);
  });

  const scrape = async () => (await fetch(`http://127.0.0.1:${stack.registry.httpPort}/metrics`)).text();

  it('serves /healthz, /readyz and /metrics with the pool figures', async () => {
    const base = `http://127.0.0.1:${stack.registry.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const found = { endpoint: 'bySid', outcome: 'ok' };
    const missing = { endpoint: 'bySid', outcome: '404' };
    const before = await scrape();
    const call = await stack.client.callCreate(inbound());
    await stack.client.callBySid({ callSid: call.callSid });
    await stack.client.callBySid({ callSid: newCallSid() }).catch(() => undefined);
    const after = await scrape();
    const count = (text: string, labels: Record<string, string>) =>
      metricValue(text, 'registry_request_duration_seconds_count', labels) ?? 0;
    expect(count(after, found) - count(before, found)).toBe(1);
    expect(count(after, missing) - count(before, missing)).toBe(1);
    // The pool's own figures: DB_POOL_MIN connections were opened at start.
    expect(metricValue(after, 'registry_db_pool_total')).toBeGreaterThanOrEqual(2);
    expect(metricValue(after, 'registry_db_pool_max')).toBe(20);
  });

  it('batches concurrent lookups: 100 call.bySid at once are read in fewer queries', async () => {
    const calls = await Promise.all(Array.from({ length: 100 }, () => stack.client.callCreate(inbound())));
    const before = await scrape();
    const found = await Promise.all(calls.map((c) => stack.client.callBySid({ callSid: c.callSid })));
    expect(found.map((c) => c.callSid)).toEqual(calls.map((c) => c.callSid));
    const after = await scrape();
    const delta = (name: string) => (metricValue(after, name) ?? 0) - (metricValue(before, name) ?? 0);
    const queries = delta('registry_lookup_batch_size_count');
    // Every callSid was read once, in batches of more than one on average.
    expect(delta('registry_lookup_batch_size_sum')).toBe(100);
    expect(queries).toBeGreaterThan(0);
    expect(100 / queries).toBeGreaterThan(1);
  });

  it('names its connections and keeps DB_POOL_MIN of them open', async () => {
    const admin = new pg.Client({ connectionString: stack.db.url });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'switchboard-call-registry'`,
      );
      expect(rows[0].n).toBeGreaterThanOrEqual(2);
    } finally {
      await admin.end();
    }
  });
});
