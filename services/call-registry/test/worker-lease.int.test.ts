import { EventPublisher } from '@switchboard/bus';
import { type CallEvent, WORKER_SUBJECTS, type WorkerAnnouncement } from '@switchboard/contracts';
import { metricValue, TcpProxy } from '@switchboard/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, log, newCallSid, type RegistryStack, startStack } from './support.js';

// The lease on media workers (SPEC: Scale-out), with two registry replicas on a real nats-server and
// PostgreSQL: a worker that stops announcing itself has its live calls ended with `worker-lost`; a call
// whose stream moved to another worker, or that is being transferred, is left alone; and a registry that
// starts after a worker died still ends that worker's calls.

const LEASE_MS = 800;

describe('the lease on media workers', () => {
  let stack: RegistryStack;
  let publisher: EventPublisher;
  let db: pg.Pool;
  let replica: Awaited<ReturnType<RegistryStack['startRegistry']>>;
  const announcing = new Map<string, NodeJS.Timeout>();

  beforeAll(async () => {
    stack = await startStack();
    replica = await stack.startRegistry();
    publisher = new EventPublisher(stack.nc, log);
    db = new pg.Pool({ connectionString: stack.db.url, max: 2 });
  });
  afterAll(async () => {
    for (const timer of announcing.values()) clearInterval(timer);
    await db?.end();
    await stack?.close();
  });

  /** Announces `workerId` every LEASE_MS / 4, as a worker does, until `silence`. */
  function announce(workerId: string): void {
    const send = () => {
      const announcement: WorkerAnnouncement = {
        workerId,
        mediaUrl: null,
        live: 0,
        reserved: 0,
        capacity: 10,
        draining: false,
        leaseMs: LEASE_MS,
        at: new Date().toISOString(),
      };
      stack.nc.publish(WORKER_SUBJECTS.announce, JSON.stringify(announcement));
    };
    send();
    announcing.set(workerId, setInterval(send, LEASE_MS / 4));
  }
  const silence = (workerId: string) => clearInterval(announcing.get(workerId));

  const publish = (event: CallEvent, msgId: string) => publisher.publish(event, { msgId });
  async function liveCall(): Promise<string> {
    const { callSid } = await stack.client.callCreate({
      callSid: newCallSid(),
      direction: 'inbound',
      from: '+15551230000',
      to: '+15559870000',
      status: 'ringing',
    });
    return callSid;
  }
  const streamStarted = (callSid: string, streamSid: string, workerId: string) =>
    publish(
      { kind: 'stream', action: 'started', callSid, streamSid, workerId, at: new Date().toISOString() },
      `stream:${callSid}:${streamSid}:started`,
    );
  const transferred = (callSid: string, streamSid: string, workerId: string) =>
    publish(
      {
        kind: 'stream',
        action: 'stopped',
        callSid,
        streamSid,
        workerId,
        reason: 'transferred',
        at: new Date().toISOString(),
      },
      `stream:${callSid}:${streamSid}:stopped`,
    );
  const call = (callSid: string) => stack.client.callBySid({ callSid });
  const holder = async (callSid: string) =>
    (await db.query('SELECT worker_id FROM worker_streams WHERE call_sid = $1', [callSid])).rows[0]
      ?.worker_id;

  it('ends the calls of a worker that stops announcing itself, and only those', async () => {
    announce('w-lost');
    announce('w-alive');
    const [lost, alive, moved, transferring] = await Promise.all([
      liveCall(),
      liveCall(),
      liveCall(),
      liveCall(),
    ]);
    await streamStarted(lost, 'MZ1', 'w-lost');
    await streamStarted(alive, 'MZ2', 'w-alive');
    await streamStarted(moved, 'MZ3', 'w-lost');
    await streamStarted(transferring, 'MZ5', 'w-lost');
    await eventually(
      () => holder(transferring),
      (h) => h === 'w-lost',
    );
    // A newer stream of `moved` on the other worker; `transferring` handed to a person.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await streamStarted(moved, 'MZ4', 'w-alive');
    await transferred(transferring, 'MZ5', 'w-lost');
    await eventually(
      () => holder(moved),
      (h) => h === 'w-alive',
    );
    await eventually(
      () => holder(transferring),
      (h) => h === undefined,
    );
    expect((await call(lost)).status).toBe('in-progress');

    silence('w-lost');
    const ended = await eventually(
      () => call(lost),
      (c) => c.status === 'completed',
      LEASE_MS * 5,
    );
    expect(ended).toMatchObject({ status: 'completed', endedReason: 'worker-lost' });
    expect(ended.endedAt).not.toBeNull();
    expect(ended.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(await holder(lost)).toBeUndefined();

    // The ending is on CALL_EVENTS once (the notifier's call.ended, the console), at the stored endedAt;
    // the registry's own consumer applied it without changing the call.
    const endedEvents = (callSid: string) =>
      db.query<{ msg_id: string; payload: CallEvent }>(
        "SELECT msg_id, payload FROM call_events WHERE call_sid = $1 AND kind = 'ended' ORDER BY id",
        [callSid],
      );
    const recorded = await eventually(
      () => endedEvents(lost),
      (r) => r.rows.length > 0,
    );
    expect(recorded.rows).toEqual([
      {
        msg_id: `worker-lost:${lost}:MZ1`,
        payload: {
          kind: 'ended',
          callSid: lost,
          at: ended.endedAt,
          reason: 'worker-lost',
          detail: 'media worker w-lost was lost',
        },
      },
    ]);
    expect(await call(lost)).toEqual(ended);
    // Applied again (another message id, a later time), it changes nothing either.
    await publish(
      { kind: 'ended', callSid: lost, reason: 'worker-lost', at: new Date().toISOString() },
      `worker-lost:${lost}:again`,
    );
    await eventually(
      () => endedEvents(lost),
      (r) => r.rows.length === 2,
    );
    expect(await call(lost)).toEqual(ended);
    for (const callSid of [alive, moved, transferring]) {
      expect((await endedEvents(callSid)).rows).toEqual([]);
    }

    // Both replicas saw the lapse and one of them ended the call, once.
    const endedBy = await Promise.all(
      [stack.registry, replica].map(async ({ httpPort }) => {
        const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
        return metricValue(text, 'registry_worker_lost_calls_total') ?? 0;
      }),
    );
    expect(endedBy.reduce((a, b) => a + b, 0)).toBe(1);
    // The others' calls are as they were.
    for (const callSid of [alive, moved]) {
      expect(await call(callSid)).toMatchObject({ status: 'in-progress', endedReason: null });
    }
    expect(await call(transferring)).toMatchObject({ status: 'in-progress', endedReason: 'transferred' });
  });

  it('gives a call that had ended already only the reason, and publishes no ending for it', async () => {
    announce('w-late');
    const callSid = await liveCall();
    await streamStarted(callSid, 'MZ8', 'w-late');
    await eventually(
      () => holder(callSid),
      (h) => h === 'w-late',
    );
    // Twilio's final callback came; the worker dies before its stream's stop.
    await publish(
      { kind: 'status', callSid, status: 'completed', durationSeconds: 3, at: new Date().toISOString() },
      `status:${callSid}:completed`,
    );
    const completed = await eventually(
      () => call(callSid),
      (c) => c.status === 'completed',
    );
    silence('w-late');
    await eventually(
      () => holder(callSid),
      (h) => h === undefined,
      LEASE_MS * 5,
    );
    expect(await call(callSid)).toMatchObject({
      status: 'completed',
      endedAt: completed.endedAt,
      durationSeconds: completed.durationSeconds,
      endedReason: 'worker-lost',
    });
    const kinds = await db.query('SELECT kind FROM call_events WHERE call_sid = $1 ORDER BY id', [callSid]);
    expect(kinds.rows.map((r) => r.kind)).toEqual(['stream', 'status']);
  });

  it('a registry that starts after a worker died ends its calls within one lease', async () => {
    announce('w-doomed');
    const callSid = await liveCall();
    await streamStarted(callSid, 'MZ6', 'w-doomed');
    await eventually(
      () => holder(callSid),
      (h) => h === 'w-doomed',
    );
    // Every registry goes; the worker dies while none is running; a new registry starts.
    await stack.stopRegistry();
    await replica.close();
    silence('w-doomed');
    await stack.restartRegistry();
    const ended = await eventually(
      () => call(callSid),
      (c) => c.status === 'completed',
      LEASE_MS * 10,
    );
    expect(ended.endedReason).toBe('worker-lost');
  });

  it('a registry that could not hear for longer than a lease ends nobody’s calls', async () => {
    // The only registry reaches NATS through a proxy that is cut, while the worker goes on announcing.
    await stack.stopRegistry();
    const proxy = await TcpProxy.start({ port: Number(new URL(stack.nats.url).port) });
    const deaf = await stack.startRegistry({ NATS_URL: `nats://127.0.0.1:${proxy.port}` });
    try {
      announce('w-steady');
      const callSid = await liveCall();
      await streamStarted(callSid, 'MZ7', 'w-steady');
      await eventually(
        () => holder(callSid),
        (h) => h === 'w-steady',
      );
      proxy.cut();
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 3));
      proxy.restore();
      // Its own event loop held up for longer than a lease, too: no lease is judged across the gap.
      const until = Date.now() + LEASE_MS * 3;
      while (Date.now() < until) {
        // busy: nothing of this process runs meanwhile, the announcements wait in the socket
      }
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
      expect(await call(callSid)).toMatchObject({ status: 'in-progress', endedReason: null });
      expect(await holder(callSid)).toBe('w-steady');
    } finally {
      silence('w-steady');
      await deaf.close();
      await proxy.close();
    }
  });
});
