import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { connectBus, EventPublisher, registryClient, ServiceHost } from '@switchboard/bus';
import { loadConfig, type Registry, startRegistry } from '@switchboard/call-registry';
import {
  CALL_EVENTS_CONSUMER,
  CALL_EVENTS_STREAM,
  callControlSubject,
  ENDPOINTS,
  inboxPrefixFor,
  TWILIO_SUBJECTS,
} from '@switchboard/contracts';
import { type TestDatabase, TestNatsServer } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  log,
  NATS_AUTH_CONF,
  NATS_USERS,
  newCallSid,
  setNatsPasswordsInEnv,
  testDatabase,
} from '../support.js';

// infra/nats/auth.conf on a real nats-server: the registry does all it needs with its own user; the gateway
// and the worker can ask and publish events, and cannot serve the registry's subjects or read the stream.

type Role = keyof typeof NATS_USERS;

let nats: TestNatsServer;
let db: TestDatabase;
let registry: Registry;
const connections: NatsConnection[] = [];

const INBOX_PREFIXES: Record<Role, string> = {
  registry: inboxPrefixFor('call-registry'),
  gateway: inboxPrefixFor('webhook-gateway'),
  worker: inboxPrefixFor('media-worker'),
  ops: '_INBOX.ops',
};

async function connectAs(role: Role): Promise<NatsConnection> {
  const { user, password } = NATS_USERS[role];
  const nc = await connectBus({
    url: nats.url,
    name: `permissions-test-${role}`,
    user,
    password,
    inboxPrefix: INBOX_PREFIXES[role],
  });
  connections.push(nc);
  return nc;
}

/** Resolves with the first error the server reports on this connection that matches. */
function serverError(nc: NatsConnection, pattern: RegExp): Promise<string> {
  return (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error' && pattern.test(String(status.error))) return String(status.error);
    }
    return 'connection closed';
  })();
}

beforeAll(async () => {
  setNatsPasswordsInEnv();
  nats = await TestNatsServer.start({ configFile: NATS_AUTH_CONF });
  db = await testDatabase();
  const { user, password } = NATS_USERS.registry;
  registry = await startRegistry({
    config: loadConfig({
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      NATS_USER: user,
      NATS_PASSWORD: password,
      PORT: '0',
      MIGRATE_ON_START: 'false',
    }),
    log,
  });
});

afterAll(async () => {
  for (const nc of connections) await nc.close();
  await registry?.close();
  await nats?.close();
  await db?.drop();
});

describe('infra/nats/auth.conf', () => {
  it('refuses a connection without a user, and one with a wrong password', async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(
      connect({ servers: nats.url, user: 'gateway', pass: 'wrong', reconnect: false }),
    ).rejects.toThrow(/authorization/i);
  });

  it('lets the gateway register a call and publish its events, which the registry applies', async () => {
    const nc = await connectAs('gateway');
    const client = registryClient(nc, { timeoutMs: 5_000 });
    const callSid = newCallSid();
    await client.callCreate({ callSid, direction: 'inbound', from: '+15551230000', to: '+15559870000' });
    await new EventPublisher(nc, log).publish(
      { kind: 'status', callSid, status: 'in-progress', at: new Date().toISOString() },
      { msgId: `${callSid}:status:in-progress`, deadlineMs: 10_000 },
    );
    await expect
      .poll(async () => (await client.callBySid({ callSid })).status, { timeout: 10_000 })
      .toBe('in-progress');
  });

  it('lets the worker look a call up and publish transcript events', async () => {
    const nc = await connectAs('worker');
    const client = registryClient(nc, { timeoutMs: 5_000 });
    const callSid = newCallSid();
    await client.callCreate({ callSid, direction: 'inbound', from: '+15551230000', to: '+15559870000' });
    expect((await client.callBySid({ callSid })).callSid).toBe(callSid);
    expect((await client.registryHealth({})).status).toBe('ok');
  });

  it('keeps the gateway from answering call.bySid: every request still reaches the registry', async () => {
    const gateway = await connectAs('gateway');
    const denied = serverError(gateway, /permissions violation for subscription to "call\.bySid"/i);
    // A service on the gateway's connection that would answer every call.bySid with a call of its own.
    const rogue = await ServiceHost.start(
      gateway,
      { name: 'rogue', version: '0.0.1', description: 'pretends to be the registry' },
      { log },
    );
    const forged = newCallSid();
    rogue.addEndpoint('bySid', ENDPOINTS.callBySid, async () => ({
      callSid: forged,
      direction: 'inbound' as const,
      from: '+15550000000',
      to: '+15550000001',
      status: 'completed' as const,
      agent: { id: 'rogue', instructions: 'x', voice: 'alloy', model: 'gpt-realtime' },
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      answeredAt: null,
      endedAt: null,
      durationSeconds: null,
    }));
    await gateway.flush();

    const worker = registryClient(await connectAs('worker'), { timeoutMs: 5_000 });
    const callSid = newCallSid();
    await worker.callCreate({ callSid, direction: 'inbound', from: '+15551230000', to: '+15559870000' });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => worker.callBySid({ callSid }).then((call) => call.callSid)),
    );
    expect(new Set(answers)).toEqual(new Set([callSid]));
    await denied;
  });

  it("keeps the worker and the gateway from subscribing to registry subjects or anyone else's replies", async () => {
    for (const role of ['worker', 'gateway'] as const) {
      const nc = await connectAs(role);
      const others = [
        '_INBOX.>',
        '_INBOX.call-registry.>',
        INBOX_PREFIXES[role === 'worker' ? 'gateway' : 'worker'],
      ];
      for (const subject of [
        'call.>',
        'agent.upsert',
        'registry.health',
        '$SRV.PING',
        'events.call.>',
        ...others,
      ]) {
        const sub = nc.subscribe(subject);
        // The server answers the SUB (with -ERR when denied) before the PONG of this flush.
        await nc.flush();
        expect(sub.isClosed(), `${role} subscribed to ${subject}`).toBe(true);
        expect(String(await sub.closed)).toMatch(/permissions violation for subscription/i);
      }
    }
  });

  it('keeps the worker from reading the CALL_EVENTS stream', async () => {
    const nc = await connectAs('worker');
    const callSid = newCallSid();
    await new EventPublisher(nc, log).publish(
      { kind: 'ended', callSid, reason: 'drained', at: new Date().toISOString() },
      { msgId: `${callSid}:ended`, deadlineMs: 10_000 },
    );
    const denied = /permissions violation for publish to "\$JS\.API\./i;

    // Its own consumer, the registry's durable consumer, a pull from it, a direct read of a message.
    await expect(jetstreamManager(nc)).rejects.toThrow(denied);
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    await expect(
      jsm.consumers.add(CALL_EVENTS_STREAM, { durable_name: 'snoop', ack_policy: AckPolicy.Explicit }),
    ).rejects.toThrow(denied);
    await expect(jetstream(nc).consumers.get(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER)).rejects.toThrow(
      denied,
    );
    await expect(
      nc.request(`$JS.API.CONSUMER.MSG.NEXT.${CALL_EVENTS_STREAM}.${CALL_EVENTS_CONSUMER}`, '{"batch":1}'),
    ).rejects.toThrow(denied);
    await expect(jsm.streams.getMessage(CALL_EVENTS_STREAM, { seq: 1 })).rejects.toThrow(denied);
    // Nor delete the stream.
    await expect(jsm.streams.delete(CALL_EVENTS_STREAM)).rejects.toThrow(denied);
  });

  it("keeps the gateway from changing the stream or the registry's consumer", async () => {
    const jsm = await jetstreamManager(await connectAs('gateway'), { checkAPI: false });
    const denied = /permissions violation for publish to "\$JS\.API\./i;
    await expect(jsm.streams.purge(CALL_EVENTS_STREAM)).rejects.toThrow(denied);
    await expect(jsm.consumers.delete(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER)).rejects.toThrow(denied);
  });

  it('lets the worker serve call.control.<callSid> for the gateway, and ask the gateway on twilio.>', async () => {
    const worker = await connectAs('worker');
    const gateway = await connectAs('gateway');
    const callSid = newCallSid();
    const sub = worker.subscribe(callControlSubject(callSid), {
      callback: (_err, msg) => {
        msg.respond(JSON.stringify({ callSid, accepted: true }));
      },
    });
    await worker.flush();
    expect(sub.isClosed()).toBe(false);
    const reply = await gateway.request(callControlSubject(callSid), '{"action":"hangup"}', {
      timeout: 5_000,
    });
    expect(reply.json()).toEqual({ callSid, accepted: true });
    // Publishing to twilio.> is allowed: nobody serves it here, so the request finds no responder (a denied
    // publish would be a permissions violation instead).
    await expect(worker.request(TWILIO_SUBJECTS.callTransfer, '{}', { timeout: 5_000 })).rejects.toThrow(
      /no responders/i,
    );
    sub.unsubscribe();
  });

  it("keeps the worker from serving twilio.> (the gateway's)", async () => {
    const nc = await connectAs('worker');
    for (const subject of ['twilio.>', TWILIO_SUBJECTS.callTransfer]) {
      const sub = nc.subscribe(subject);
      await nc.flush();
      expect(sub.isClosed(), `worker subscribed to ${subject}`).toBe(true);
      expect(String(await sub.closed)).toMatch(/permissions violation for subscription/i);
    }
  });

  it('lets ops discover the registry and see its consumer, and nothing more', async () => {
    const nc = await connectAs('ops');
    const ping = await nc.request('$SRV.PING.call-registry', '', { timeout: 5_000 });
    expect(ping.json<{ name: string }>().name).toBe('call-registry');
    const jsm = await jetstreamManager(nc);
    const consumer = await jsm.consumers.info(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER);
    expect(consumer.config.durable_name).toBe(CALL_EVENTS_CONSUMER);

    const denied = /permissions violation for publish to "\$JS\.API\./i;
    await expect(
      nc.request(`$JS.API.CONSUMER.MSG.NEXT.${CALL_EVENTS_STREAM}.${CALL_EVENTS_CONSUMER}`, '{"batch":1}'),
    ).rejects.toThrow(denied);
    await expect(jsm.streams.getMessage(CALL_EVENTS_STREAM, { seq: 1 })).rejects.toThrow(denied);
    await expect(registryClient(nc).callList({})).rejects.toThrow(/permissions violation/i);
  });
});
