import { AgentConflictError, AgentNotFoundError, DefaultAgentRequiredError } from '@switchboard/contracts';
import { fullAgent } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCallSid, type RegistryStack, startStack } from './support.js';

const FULL_AGENT = fullAgent();

describe('agents in the registry', () => {
  let stack: RegistryStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  const inbound = (to: string) => ({
    callSid: newCallSid(),
    direction: 'inbound' as const,
    from: '+15551230000',
    to,
  });

  it('stores every field and gives each back from agent.get, agent.list and call.bySid', async () => {
    const put = await stack.client.agentPut({ agent: FULL_AGENT });
    expect(put).toEqual({ agent: FULL_AGENT, created: true });
    expect(await stack.client.agentGet({ id: 'full' })).toEqual(FULL_AGENT);
    const listed = await stack.client.agentList({ limit: 200 });
    expect(listed.agents.find((a) => a.id === 'full')).toEqual(FULL_AGENT);
    const call = await stack.client.callCreate(inbound(FULL_AGENT.phoneNumber as string));
    expect(call.agent).toEqual(FULL_AGENT);
    expect(call.endedReason).toBeNull();
    expect((await stack.client.callBySid({ callSid: call.callSid })).agent).toEqual(FULL_AGENT);
    const page = await stack.client.callList({ limit: 1 });
    expect(page.calls[0]).toEqual(await stack.client.callBySid({ callSid: call.callSid }));
  });

  it('replaces an agent whole: a field left out is gone; created says whether it existed', async () => {
    const first = await stack.client.agentPut({
      agent: { ...FULL_AGENT, id: 'replaced', phoneNumber: null },
    });
    expect(first.created).toBe(true);
    const slim = { id: 'replaced', instructions: 'Only this.', voice: 'alloy', model: 'gpt-realtime' };
    expect(await stack.client.agentPut({ agent: slim })).toEqual({ agent: slim, created: false });
    expect(await stack.client.agentGet({ id: 'replaced' })).toEqual(slim);
    // agent.upsert is the same write, answering with the agent alone.
    expect(await stack.client.agentUpsert({ ...slim, language: 'fr' })).toEqual({ ...slim, language: 'fr' });
  });

  it('reports created for exactly one of many concurrent PUTs of a new id', async () => {
    const agent = { id: 'raced', instructions: 'x', voice: 'alloy', model: 'gpt-realtime' };
    const replies = await Promise.all(Array.from({ length: 8 }, () => stack.client.agentPut({ agent })));
    expect(replies.filter((r) => r.created)).toHaveLength(1);
  });

  it('lists live agents in id order, page by page', async () => {
    for (const id of ['p-c', 'p-a', 'p-e', 'p-b', 'p-d']) {
      await stack.client.agentPut({ agent: { id, instructions: 'x', voice: 'alloy', model: 'm' } });
    }
    await stack.client.agentDelete({ id: 'p-d' });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await stack.client.agentList({ limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.agents.length).toBeLessThanOrEqual(2);
      seen.push(...page.agents.map((a) => a.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toContain('default');
    expect(seen.filter((id) => id.startsWith('p-'))).toEqual(['p-a', 'p-b', 'p-c', 'p-e']);
  });

  it('deletes softly: gone from get and list, the number free, a call that used it keeps it', async () => {
    const agent = {
      id: 'leaving',
      phoneNumber: '+15550006666',
      instructions: 'x',
      voice: 'alloy',
      model: 'm',
    };
    await stack.client.agentPut({ agent });
    const live = await stack.client.callCreate(inbound(agent.phoneNumber));
    expect(live.agent.id).toBe('leaving');

    expect(await stack.client.agentDelete({ id: 'leaving' })).toEqual({ id: 'leaving', deleted: true });
    await expect(stack.client.agentGet({ id: 'leaving' })).rejects.toBeInstanceOf(AgentNotFoundError);
    await expect(stack.client.agentDelete({ id: 'leaving' })).rejects.toBeInstanceOf(AgentNotFoundError);
    expect((await stack.client.agentList({ limit: 200 })).agents.map((a) => a.id)).not.toContain('leaving');
    // The live call still reads the configuration it was routed with.
    expect((await stack.client.callBySid({ callSid: live.callSid })).agent).toEqual(agent);
    // The number now routes to the default agent, and another agent may take it.
    expect((await stack.client.callCreate(inbound(agent.phoneNumber))).agent.id).toBe('default');
    const taker = { ...agent, id: 'taker' };
    expect((await stack.client.agentPut({ agent: taker })).created).toBe(true);
    expect((await stack.client.callCreate(inbound(agent.phoneNumber))).agent.id).toBe('taker');
    // An outbound call may not name a deleted agent.
    await expect(
      stack.client.callCreate({ ...inbound('+15557770000'), direction: 'outbound', agentId: 'leaving' }),
    ).rejects.toBeInstanceOf(AgentNotFoundError);
    // PUT of the deleted id creates it afresh (its old number is the taker's now: a conflict).
    await expect(stack.client.agentPut({ agent })).rejects.toBeInstanceOf(AgentConflictError);
    const revived = await stack.client.agentPut({ agent: { ...agent, phoneNumber: null } });
    expect(revived.created).toBe(true);
    expect(await stack.client.agentGet({ id: 'leaving' })).toEqual({ ...agent, phoneNumber: undefined });
  });

  it('never deletes default', async () => {
    const err = await stack.client.agentDelete({ id: 'default' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DefaultAgentRequiredError);
    expect(err).toMatchObject({ status: 409, code: 'DEFAULT_AGENT_REQUIRED' });
    expect((await stack.client.agentGet({ id: 'default' })).id).toBe('default');
  });

  it('keeps a phone number to one live agent, whoever asks at once', async () => {
    const puts = await Promise.allSettled(
      ['n1', 'n2', 'n3', 'n4'].map((id) =>
        stack.client.agentPut({
          agent: { id, phoneNumber: '+15550007777', instructions: 'x', voice: 'alloy', model: 'm' },
        }),
      ),
    );
    expect(puts.filter((p) => p.status === 'fulfilled')).toHaveLength(1);
    for (const p of puts) {
      if (p.status === 'rejected') expect(p.reason).toBeInstanceOf(AgentConflictError);
    }
  });
});
