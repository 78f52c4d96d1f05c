import { type RegistryClient, registryClient } from '@switchboard/bus';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCallSid, type RegistryStack, spawnRegistry, startStack } from './support.js';

describe('call-registry replicas and shutdown (separate processes)', () => {
  let stack: RegistryStack;
  let client: RegistryClient;
  let env: Record<string, string>;
  const sids: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    client = registryClient(stack.nc, { timeoutMs: 3_000 });
    env = { DATABASE_URL: stack.db.url, NATS_URL: stack.nats.url };
    for (let i = 0; i < 20; i++) {
      const call = await client.callCreate({
        callSid: newCallSid(),
        direction: 'inbound',
        from: '+15551230000',
        to: '+15559870000',
      });
      sids.push(call.callSid);
    }
    // The in-process registry steps aside: only the spawned replicas serve from here on.
    await stack.registry.close();
  });
  afterAll(() => stack?.close());

  it('shares load between two replicas; killing one mid-burst fails at most what it held', async () => {
    const a = await spawnRegistry(env);
    const b = await spawnRegistry(env);
    try {
      const concurrency = 16;
      let answered = 0;
      const failed: unknown[] = [];
      const completedAfterKill: boolean[] = [];
      let killedAt = 0;
      let stop = false;
      const burst = Promise.all(
        Array.from({ length: concurrency }, async (_, w) => {
          for (let i = 0; !stop; i++) {
            const startedAfterKill = killedAt > 0;
            try {
              await client.callBySid({ callSid: sids[(w + i) % sids.length]! }, { timeoutMs: 1_000 });
              answered++;
              if (startedAfterKill) completedAfterKill.push(true);
            } catch (err) {
              failed.push(err);
              if (startedAfterKill) completedAfterKill.push(false);
            }
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 1_000));
      const stats = (await stack.nc.request('$SRV.STATS.call-registry', '', { timeout: 1_000 })).json<{
        id: string;
      }>();
      expect(stats.id).toBeTruthy();
      a.kill('SIGKILL');
      expect(await a.exited).toBeNull();
      killedAt = Date.now();
      // Requests routed to the replica before the server saw it die wait out their timeout; then the
      // survivor takes everything.
      await new Promise((r) => setTimeout(r, 2_500));

      stop = true;
      await burst;
      expect(answered).toBeGreaterThan(200);
      expect(failed.length).toBeLessThanOrEqual(concurrency);
      // Once the killed replica's requests have timed out, the survivor answers everything.
      const afterKill = completedAfterKill.slice(concurrency);
      expect(afterKill.length).toBeGreaterThan(50);
      expect(afterKill.slice(-50)).not.toContain(false);

      // Both replicas served: a fresh pair splits a burst between them.
      const c = await spawnRegistry(env);
      try {
        await Promise.all(
          Array.from({ length: 400 }, (_, i) => client.callBySid({ callSid: sids[i % sids.length]! })),
        );
        const served = await collectStats(stack);
        expect(served.length).toBe(2);
        for (const requests of served) expect(requests).toBeGreaterThan(0);
      } finally {
        c.kill('SIGTERM');
        await c.exited;
      }
    } finally {
      a.kill('SIGKILL');
      b.kill('SIGTERM');
      await b.exited;
    }
  });

  it('on SIGTERM answers the requests in flight, then exits 0', async () => {
    const replica = await spawnRegistry(env);
    const locker = new pg.Client({ connectionString: stack.db.url });
    await locker.connect();
    try {
      // Hold the calls table so lookups are in flight inside the registry when the signal comes.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE calls IN ACCESS EXCLUSIVE MODE');
      const inFlight = sids
        .slice(0, 10)
        .map((callSid) => client.callBySid({ callSid }, { timeoutMs: 10_000 }));
      await new Promise((r) => setTimeout(r, 300));
      replica.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      await locker.query('COMMIT');
      const answers = await Promise.all(inFlight);
      expect(answers.map((c) => c.callSid)).toEqual(sids.slice(0, 10));
      expect(await replica.exited).toBe(0);
    } finally {
      await locker.end();
      replica.kill('SIGKILL');
    }
  });
});

/** Requests each live replica of call-registry has answered on call.bySid. */
async function collectStats(stack: RegistryStack): Promise<number[]> {
  const inbox = stack.nc.subscribe('_INBOX.stats-probe', { timeout: 1_000 });
  const counts: number[] = [];
  stack.nc.publish('$SRV.STATS.call-registry', '', { reply: '_INBOX.stats-probe' });
  const collected = (async () => {
    for await (const msg of inbox) {
      const stats = msg.json<{ endpoints: { subject: string; num_requests: number }[] }>();
      counts.push(stats.endpoints.find((e) => e.subject === 'call.bySid')?.num_requests ?? 0);
    }
  })().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500));
  inbox.unsubscribe();
  await collected;
  return counts;
}
