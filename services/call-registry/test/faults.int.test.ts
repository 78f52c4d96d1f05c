import { EventPublisher } from '@switchboard/bus';
import { DatabaseUnavailableError } from '@switchboard/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, log, newCallSid, type RegistryStack, startStack } from './support.js';

const POOL_MAX = 5;
const CONNECT_TIMEOUT_MS = 1_000;

describe('call-registry under load and faults', () => {
  let stack: RegistryStack;
  let admin: pg.Client;
  const sids: string[] = [];

  beforeAll(async () => {
    stack = await startStack(
      { DB_POOL_MAX: String(POOL_MAX), DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) },
      { proxyDatabase: true },
    );
    admin = new pg.Client({ connectionString: stack.db.url });
    await admin.connect();
    for (let i = 0; i < 50; i++) {
      const call = await stack.client.callCreate({
        callSid: newCallSid(),
        direction: 'inbound',
        from: '+15551230000',
        to: '+15559870000',
      });
      sids.push(call.callSid);
    }
  });
  afterAll(async () => {
    await admin?.end();
    await stack?.close();
  });

  const registryConnections = async () => {
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'switchboard-call-registry'`,
    );
    return rows[0].n as number;
  };

  it('never opens more than DB_POOL_MAX connections under 500 concurrent lookups', async () => {
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await registryConnections());
        const health = await stack.client.registryHealth({});
        peak = Math.max(peak, health.db.total);
      }
    })();
    const unknown = newCallSid();
    const results = await Promise.allSettled(
      Array.from({ length: 500 }, (_, i) =>
        i % 10 === 9
          ? stack.client.callBySid({ callSid: unknown })
          : stack.client.callBySid({ callSid: sids[i % 50]! }),
      ),
    );
    sampling = false;
    await sampler;
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const notFound = results.filter(
      (r) => r.status === 'rejected' && r.reason.code === 'CALL_NOT_FOUND',
    ).length;
    expect({ ok, notFound }).toEqual({ ok: 450, notFound: 50 });
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(POOL_MAX);
  });

  it('loses no lookup while backends are terminated every 200 ms (the db_termination of the incident)', async () => {
    let terminated = 0;
    let rounds = 0;
    let killing = true;
    const killer = (async () => {
      while (killing) {
        const { rowCount } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = 'switchboard-call-registry'`,
        );
        terminated += rowCount ?? 0;
        rounds++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const failures: unknown[] = [];
    let done = 0;
    await Promise.all(
      Array.from({ length: 32 }, async (_, worker) => {
        // Until the killer has struck ten times and at least 500 operations ran through it.
        for (let i = 0; rounds < 10 || done + failures.length < 500; i++) {
          const callSid = sids[(worker * 7 + i) % sids.length]!;
          try {
            // Lookups (pg), idempotent creates (pg, in a transaction) and list pages (through Prisma).
            if (i % 7 === 3) {
              const page = await stack.client.callList({ limit: 5 });
              expect(page.calls).toHaveLength(5);
            } else {
              const call =
                i % 5 === 0
                  ? await stack.client.callCreate({
                      callSid,
                      direction: 'inbound',
                      from: '+15551230000',
                      to: '+15559870000',
                    })
                  : await stack.client.callBySid({ callSid });
              expect(call.callSid).toBe(callSid);
            }
            done++;
          } catch (err) {
            failures.push(err);
          }
        }
      }),
    );
    killing = false;
    await killer;
    expect(terminated).toBeGreaterThan(5);
    expect(failures.map((e) => (e as Error).message)).toEqual([]);
  });

  it('answers 503 within the connect timeout while PostgreSQL is unreachable, and recovers by itself', async () => {
    stack.proxy!.cut();
    try {
      const started = Date.now();
      const err = await stack.client.callBySid({ callSid: newCallSid() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseUnavailableError);
      expect(err).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS * 4);
      const health = await stack.client.registryHealth({});
      expect(health.status).toBe('degraded');
      expect((await fetch(`http://127.0.0.1:${stack.registry.httpPort}/readyz`)).status).toBe(503);
    } finally {
      stack.proxy!.restore();
    }
    const call = await eventually(
      () => stack.client.callBySid({ callSid: sids[0]! }),
      (c) => c?.callSid === sids[0],
    );
    expect(call.callSid).toBe(sids[0]);
    expect((await stack.client.registryHealth({})).status).toBe('ok');
  });

  it('keeps events published while the database is down and applies them when it returns', async () => {
    const callSid = sids[1]!;
    stack.proxy!.cut();
    const publisher = new EventPublisher(stack.nc, log);
    for (const status of ['ringing', 'in-progress', 'completed'] as const) {
      await publisher.publish(
        {
          kind: 'status',
          callSid,
          status,
          at: new Date().toISOString(),
          ...(status === 'completed' ? { durationSeconds: 3 } : {}),
        },
        { msgId: `${callSid}:${status}` },
      );
    }
    await new Promise((r) => setTimeout(r, 1_500));
    stack.proxy!.restore();
    const call = await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c?.status === 'completed' && c.answeredAt !== null,
      20_000,
    );
    expect(call).toMatchObject({ status: 'completed', durationSeconds: 3 });
    expect(call.answeredAt).not.toBeNull();
  });
});
