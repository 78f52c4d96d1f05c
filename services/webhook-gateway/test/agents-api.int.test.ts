import { Agent, AgentListReply, Call } from '@switchboard/contracts';
import { fullAgent } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  errorOf,
  type GatewayStack,
  newCallSid,
  postTwilio,
  startStack,
  voiceParams,
} from './support.js';

describe('agents over HTTP (SPEC "Agents over HTTP")', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  const put = (id: string, body: unknown) =>
    api(stack.gateway, `/api/agents/${id}`, { method: 'PUT', body: JSON.stringify(body) });

  it('creates with 201, replaces with 200, and gives every field back', async () => {
    const { id: _id, ...body } = fullAgent('bookings');
    const created = await put('bookings', body);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/agents/bookings');
    expect(Agent.parse(await created.json())).toEqual(fullAgent('bookings'));
    const read = await api(stack.gateway, '/api/agents/bookings');
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(fullAgent('bookings'));

    // The same id in the body is fine; the replacement is whole.
    const replaced = await put('bookings', {
      id: 'bookings',
      instructions: 'New.',
      voice: 'ash',
      model: 'm',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('location')).toBeNull();
    expect(await replaced.json()).toEqual({ id: 'bookings', instructions: 'New.', voice: 'ash', model: 'm' });
  });

  it('routes a call to the number of an agent put over HTTP, with its whole configuration', async () => {
    const { id: _id, ...body } = fullAgent('frontline', { phoneNumber: '+15550008888' });
    expect((await put('frontline', body)).status).toBe(201);
    const callSid = newCallSid();
    await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid, { To: '+15550008888' }));
    const call = Call.parse(await (await api(stack.gateway, `/api/calls/${callSid}`)).json());
    expect(call.agent).toEqual(fullAgent('frontline', { phoneNumber: '+15550008888' }));
  });

  it('answers 400 naming the bad field, in the message and in details', async () => {
    const cases: Array<[unknown, string[]]> = [
      [{ instructions: 'x', voice: 'alloy' }, ['model']],
      [{ instructions: 'x', voice: 'alloy', model: 'm', phoneNumber: '555' }, ['phoneNumber']],
      [{ instructions: 'x', voice: 'alloy', model: 'm', colour: 'blue' }, ['colour']],
      [{ instructions: 'x', voice: 'alloy', model: 'm', id: 'other' }, ['id']],
      [
        {
          instructions: 'x',
          voice: 'alloy',
          model: 'm',
          tools: [
            { name: 'end_call', description: 'd', parameters: { type: 'object' }, url: 'https://t.example' },
          ],
        },
        ['tools', '0', 'name'],
      ],
      [
        {
          instructions: 'x',
          voice: 'alloy',
          model: 'm',
          tools: [{ name: 't', description: 'd', parameters: { type: 'object' }, url: 'ftp://t.example' }],
        },
        ['tools', '0', 'url'],
      ],
      [
        {
          instructions: 'x',
          voice: 'alloy',
          model: 'm',
          turnDetection: { type: 'server_vad', threshold: 2 },
        },
        ['turnDetection', 'threshold'],
      ],
      [
        {
          instructions: 'x',
          voice: 'alloy',
          model: 'm',
          transferTargets: [{ name: 'a', description: 'd', to: '12' }],
        },
        ['transferTargets', '0', 'to'],
      ],
      [{ instructions: 'x\u0000', voice: 'alloy', model: 'm' }, ['instructions']],
    ];
    for (const [body, path] of cases) {
      const res = await put('checked', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.details).toContainEqual(expect.objectContaining({ path }));
      expect(error.message).toContain(path.join('.'));
    }
    // The id in the path is checked too, undecodable percent-encoding included.
    for (const id of ['bad%20id', 'x'.repeat(65), '%E0%A4%A']) {
      const res = await put(id, { instructions: 'x', voice: 'alloy', model: 'm' });
      expect(res.status, id).toBe(400);
      expect((await errorOf(res)).code).toBe('INVALID_REQUEST');
    }
    expect((await api(stack.gateway, '/api/agents/checked')).status).toBe(404);
  });

  it('answers 409 when the phone number is another agent’s', async () => {
    expect(
      (await put('owner', { phoneNumber: '+15550009999', instructions: 'x', voice: 'a', model: 'm' })).status,
    ).toBe(201);
    const res = await put('thief', {
      phoneNumber: '+15550009999',
      instructions: 'x',
      voice: 'a',
      model: 'm',
    });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe('AGENT_CONFLICT');
    expect((await api(stack.gateway, '/api/agents/thief')).status).toBe(404);
  });

  it('deletes with 204, then 404; never default (409); a deleted id is created afresh', async () => {
    await put('temp', { instructions: 'x', voice: 'a', model: 'm' });
    expect((await api(stack.gateway, '/api/agents/temp', { method: 'DELETE' })).status).toBe(204);
    expect((await api(stack.gateway, '/api/agents/temp')).status).toBe(404);
    const again = await api(stack.gateway, '/api/agents/temp', { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect((await errorOf(again)).code).toBe('AGENT_NOT_FOUND');
    const deflt = await api(stack.gateway, '/api/agents/default', { method: 'DELETE' });
    expect(deflt.status).toBe(409);
    expect((await errorOf(deflt)).code).toBe('DEFAULT_AGENT_REQUIRED');
    expect((await put('temp', { instructions: 'back', voice: 'a', model: 'm' })).status).toBe(201);
  });

  it('lists agents by id, page by page, with limits checked', async () => {
    for (const id of ['l-3', 'l-1', 'l-2']) await put(id, { instructions: 'x', voice: 'a', model: 'm' });
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`;
      const res = await api(stack.gateway, `/api/agents${query}`);
      expect(res.status).toBe(200);
      const page = AgentListReply.parse(await res.json());
      ids.push(...page.agents.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(['default', 'l-1', 'l-2', 'l-3']));
    for (const query of [
      '?limit=0',
      '?limit=201',
      '?limit=x',
      '?cursor=a%20b',
      '?limit=1&limit=2',
      '?sort=id',
    ]) {
      expect((await api(stack.gateway, `/api/agents${query}`)).status, query).toBe(400);
    }
  });

  it('needs an API key', async () => {
    expect((await fetch(`${stack.gateway.url}/api/agents`)).status).toBe(401);
    expect((await fetch(`${stack.gateway.url}/api/agents/default`, { method: 'DELETE' })).status).toBe(401);
    expect((await api(stack.gateway, '/api/agents/default')).status).toBe(200);
  });
});
