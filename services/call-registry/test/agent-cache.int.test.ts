import { AGENT_CHANGED_SUBJECT } from '@switchboard/call-registry';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, newCallSid, type RegistryStack, startStack } from './support.js';

// call.bySid reads the call alone; each replica holds the agents' replies (src/agents/agent-cache.ts) and
// forgets one when any replica announces that it wrote it.

describe('agents held by registry replicas', () => {
  let stack: RegistryStack;
  let db: pg.Client;
  const callSid = newCallSid();
  const agent = { id: 'cached', instructions: 'First.', voice: 'alloy', model: 'gpt-realtime' };

  beforeAll(async () => {
    stack = await startStack();
    await stack.startRegistry();
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    await stack.client.agentUpsert(agent);
    await stack.client.callCreate({
      callSid,
      direction: 'outbound',
      from: '+15551230000',
      to: '+15559870000',
      agentId: agent.id,
    });
  });
  afterAll(async () => {
    await db?.end();
    await stack?.close();
  });

  /** Instructions seen by 40 lookups at once: both replicas answer some of them. */
  const instructionsSeen = async () =>
    new Set(
      await Promise.all(
        Array.from({ length: 40 }, () =>
          stack.client.callBySid({ callSid }).then((call) => call.agent.instructions),
        ),
      ),
    );

  it('answers with an agent written through either replica from the next lookup on', async () => {
    expect(await instructionsSeen()).toEqual(new Set(['First.']));
    for (const instructions of ['Second.', 'Third.', 'Fourth.']) {
      await stack.client.agentUpsert({ ...agent, instructions });
      expect(await instructionsSeen()).toEqual(new Set([instructions]));
    }
  });

  it('forgets every agent when a notice cannot be read', async () => {
    await db.query(`UPDATE agents SET instructions = 'Written behind its back.' WHERE id = $1`, [agent.id]);
    stack.nc.publish(AGENT_CHANGED_SUBJECT, 'not json');
    await stack.nc.flush();
    expect(await instructionsSeen()).toEqual(new Set(['Written behind its back.']));
  });

  it('forgets every agent when its NATS connection drops: a notice may have been missed', async () => {
    await stack.client.agentUpsert({ ...agent, instructions: 'Before the outage.' });
    expect(await instructionsSeen()).toEqual(new Set(['Before the outage.']));
    await stack.nats.stop();
    // A change no replica hears of: written while NATS is away.
    await db.query(`UPDATE agents SET instructions = 'During the outage.' WHERE id = $1`, [agent.id]);
    await stack.nats.start();
    await eventually(
      () => stack.client.callBySid({ callSid }, { timeoutMs: 1_000 }),
      (call) => call?.agent?.instructions === 'During the outage.',
    );
    expect(await instructionsSeen()).toEqual(new Set(['During the outage.']));
  });
});
