import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { connectBus, EventPublisher, registryClient, request, ServiceHost } from '@switchboard/bus';
import { AGENT_CHANGED_SUBJECT, loadConfig, type Registry, startRegistry } from '@switchboard/call-registry';
import {
  BatchNotFoundError,
  batchWorkSubject,
  CALL_BATCH_WORK_CONSUMER,
  CALL_BATCH_WORK_STREAM,
  CALL_EVENTS_CONSUMER,
  CALL_EVENTS_STREAM,
  CallControlReply,
  CallControlRequest,
  callControlSubject,
  ENDPOINTS,
  inboxPrefixFor,
  TWILIO_ENDPOINTS,
  TWILIO_REST_SERVICE_NAME,
  TWILIO_SUBJECTS,
  WEBHOOK_DELIVERIES_STREAM,
  WORKER_SUBJECTS,
  workerReserveSubject,
} from '@switchboard/contracts';
import { loadConfig as loadNotifierConfig, startNotifier } from '@switchboard/notifier';
import { type TestDatabase, TestNatsServer } from '@switchboard/testkit';
import { ensureBatchWork } from '@switchboard/webhook-gateway';
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
// and the worker can ask and publish events, and cannot serve the registry's subjects or read the stream. The
// gateway alone serves Twilio's REST API (`twilio-rest`), the worker alone serves a call's live control.

type Role = keyof typeof NATS_USERS;

let nats: TestNatsServer;
let db: TestDatabase;
let registry: Registry;
const replicas: Registry[] = [];
const connections: NatsConnection[] = [];

const INBOX_PREFIXES: Record<Role, string> = {
  registry: inboxPrefixFor('call-registry'),
  gateway: inboxPrefixFor('webhook-gateway'),
  worker: inboxPrefixFor('media-worker'),
  notifier: inboxPrefixFor('notifier'),
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

/** A registry with its own NATS user, on the shared server and database. */
function startRegistryAsItsUser(): Promise<Registry> {
  const { user, password } = NATS_USERS.registry;
  return startRegistry({
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
}

beforeAll(async () => {
  setNatsPasswordsInEnv();
  nats = await TestNatsServer.start({ configFile: NATS_AUTH_CONF });
  db = await testDatabase();
  registry = await startRegistryAsItsUser();
});

afterAll(async () => {
  for (const nc of connections) await nc.close();
  for (const replica of replicas) await replica.close();
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

  it("lets registry replicas tell each other of an agent's change, and no other user", async () => {
    replicas.push(await startRegistryAsItsUser());
    const gateway = await connectAs('gateway');
    const client = registryClient(gateway, { timeoutMs: 5_000 });
    const agent = { id: 'permissions', instructions: 'First.', voice: 'alloy', model: 'gpt-realtime' };
    await client.agentUpsert(agent);
    const callSid = newCallSid();
    await client.callCreate({
      callSid,
      direction: 'outbound',
      from: '+15551230000',
      to: '+15559870000',
      agentId: agent.id,
    });
    // Enough lookups that both replicas serve some, and hold the agent.
    const lookups = () =>
      Promise.all(
        Array.from({ length: 40 }, () => client.callBySid({ callSid }).then((c) => c.agent.instructions)),
      );
    expect(new Set(await lookups())).toEqual(new Set(['First.']));
    await client.agentUpsert({ ...agent, instructions: 'Second.' });
    expect(new Set(await lookups())).toEqual(new Set(['Second.']));

    const denied = serverError(
      gateway,
      /permissions violation for publish to "call-registry\.agent\.changed"/i,
    );
    gateway.publish(AGENT_CHANGED_SUBJECT, JSON.stringify({ id: agent.id }));
    await gateway.flush();
    await denied;
  });

  it("lets the registry publish a lost worker's call's `ended` event, and no other call event", async () => {
    const nc = await connectAs('registry');
    const callSid = newCallSid();
    await new EventPublisher(nc, log).publish(
      { kind: 'ended', callSid, reason: 'worker-lost', at: new Date().toISOString() },
      { msgId: `worker-lost:${callSid}:MZ-permissions`, deadlineMs: 10_000 },
    );
    const denied = serverError(nc, /permissions violation for publish to "events\.call\..+\.status"/i);
    nc.publish(
      `events.call.${callSid}.status`,
      JSON.stringify({ kind: 'status', callSid, status: 'completed', at: new Date().toISOString() }),
    );
    await nc.flush();
    await denied;
  });

  it("lets the worker hear an agent's change, and not announce one", async () => {
    const worker = await connectAs('worker');
    const sub = worker.subscribe(AGENT_CHANGED_SUBJECT, { max: 1 });
    await worker.flush();
    expect(sub.isClosed()).toBe(false);
    const denied = serverError(
      worker,
      /permissions violation for publish to "call-registry\.agent\.changed"/i,
    );
    worker.publish(AGENT_CHANGED_SUBJECT, JSON.stringify({ id: 'default' }));
    await worker.flush();
    await denied;
    sub.unsubscribe();
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
      endedReason: null,
      recording: null,
      answeredBy: null,
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
      // The gateway serves twilio-rest, so it answers the framework's discovery of every service, but it may not
      // answer for the registry by name.
      const discovery =
        role === 'worker' ? ['$SRV.PING'] : ['$SRV.PING.call-registry', '$SRV.INFO.call-registry.>'];
      for (const subject of [
        'call.>',
        'agent.upsert',
        'registry.health',
        'batch.claim',
        'batches.work.>',
        // The worker hears agent changes (what it prepared or kept for an agent goes); the gateway does not.
        ...(role === 'gateway' ? [AGENT_CHANGED_SUBJECT] : []),
        ...discovery,
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

  it('lets workers announce themselves to the gateway and the registry, and serve their reservations', async () => {
    const worker = await connectAs('worker');
    const gateway = await connectAs('gateway');
    const registryNc = await connectAs('registry');
    const heard = (nc: NatsConnection) => {
      const sub = nc.subscribe(WORKER_SUBJECTS.announce, { max: 1 });
      return (async () => {
        for await (const msg of sub) return msg.string();
        return 'closed';
      })();
    };
    const byGateway = heard(gateway);
    const byRegistry = heard(registryNc);
    await Promise.all([gateway.flush(), registryNc.flush()]);
    worker.publish(WORKER_SUBJECTS.announce, '{"workerId":"w-1"}');
    expect(await byGateway).toBe('{"workerId":"w-1"}');
    expect(await byRegistry).toBe('{"workerId":"w-1"}');

    const reserve = worker.subscribe(workerReserveSubject('w-1'), {
      callback: (_err, msg) => {
        msg.respond('{"reserved":true}');
      },
    });
    await worker.flush();
    const reply = await gateway.request(workerReserveSubject('w-1'), '{}', { timeout: 5_000 });
    expect(reply.string()).toBe('{"reserved":true}');
    reserve.unsubscribe();
  });

  it('keeps the gateway from announcing a worker, and workers from asking one another for slots', async () => {
    const publishes: Array<[Role, string]> = [
      ['gateway', WORKER_SUBJECTS.announce],
      ['registry', WORKER_SUBJECTS.announce],
      ['ops', WORKER_SUBJECTS.announce],
      ['worker', workerReserveSubject('w-other')],
      ['registry', workerReserveSubject('w-other')],
    ];
    for (const [role, subject] of publishes) {
      const nc = await connectAs(role);
      const denied = serverError(nc, /permissions violation for publish/i);
      nc.publish(subject, '{}');
      await nc.flush();
      expect(await denied, `${role} published to ${subject}`).toContain(`"${subject}"`);
    }
    const subscriptions: Array<[Role, string]> = [
      ['gateway', workerReserveSubject('w-1')],
      ['registry', 'worker.reserve.*'],
      ['ops', WORKER_SUBJECTS.announce],
    ];
    for (const [role, subject] of subscriptions) {
      const nc = await connectAs(role);
      const sub = nc.subscribe(subject);
      await nc.flush();
      expect(sub.isClosed(), `${role} subscribed to ${subject}`).toBe(true);
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

  it('lets the gateway serve twilio-rest to the worker, discoverable by ops', async () => {
    const gateway = await connectAs('gateway');
    const host = await ServiceHost.start(
      gateway,
      { name: TWILIO_REST_SERVICE_NAME, version: '0.0.1', description: 'the gateway' },
      { log },
    );
    host.addEndpoint('callTransfer', TWILIO_ENDPOINTS.callTransfer, async ({ callSid }) => ({
      callSid,
      status: 'in-progress',
    }));
    await gateway.flush();
    const worker = await connectAs('worker');
    const callSid = newCallSid();
    const reply = await request(
      worker,
      TWILIO_ENDPOINTS.callTransfer,
      { callSid, to: '+15550005555', target: 'front_desk' },
      { timeoutMs: 5_000 },
    );
    expect(reply).toEqual({ callSid, status: 'in-progress' });
    const ping = await (await connectAs('ops')).request(`$SRV.PING.${TWILIO_REST_SERVICE_NAME}`, '', {
      timeout: 5_000,
    });
    expect(ping.json<{ name: string }>().name).toBe(TWILIO_REST_SERVICE_NAME);
    await host.drain();
  });

  it("lets the worker serve a call's live control to the gateway", async () => {
    const worker = await connectAs('worker');
    const callSid = newCallSid();
    const sub = worker.subscribe(callControlSubject(callSid), {
      callback: (_err, msg) => {
        CallControlRequest.parse(msg.json());
        msg.respond(JSON.stringify({ callSid, accepted: true }));
      },
    });
    await worker.flush();
    const gateway = await connectAs('gateway');
    const spec = {
      subject: callControlSubject(callSid),
      request: CallControlRequest,
      reply: CallControlReply,
    };
    expect(await request(gateway, spec, { action: 'hangup' }, { timeoutMs: 5_000 })).toEqual({
      callSid,
      accepted: true,
    });
    sub.unsubscribe();
  });

  it('keeps everyone else from serving twilio.> or call.control.*, and the worker from controlling calls', async () => {
    const cases: Array<[Role, string]> = [
      ['worker', 'twilio.call.transfer'],
      ['worker', 'twilio.>'],
      ['registry', 'twilio.call.transfer'],
      ['ops', 'twilio.>'],
      ['gateway', callControlSubject(newCallSid())],
      ['gateway', 'call.control.*'],
      ['ops', 'call.control.*'],
    ];
    for (const [role, subject] of cases) {
      const nc = await connectAs(role);
      const sub = nc.subscribe(subject);
      await nc.flush();
      expect(sub.isClosed(), `${role} subscribed to ${subject}`).toBe(true);
      expect(String(await sub.closed)).toMatch(/permissions violation for subscription/i);
    }

    // The registry's `call.>` stops short of call.control: a control request reaches no registry.
    const registryNc = await connectAs('registry');
    const snoop = registryNc.subscribe('call.>');
    const seen: string[] = [];
    void (async () => {
      for await (const msg of snoop) seen.push(msg.subject);
    })();
    await registryNc.flush();
    const gateway = await connectAs('gateway');
    const callSid = newCallSid();
    const spec = {
      subject: callControlSubject(callSid),
      request: CallControlRequest,
      reply: CallControlReply,
    };
    await expect(request(gateway, spec, { action: 'hangup' }, { timeoutMs: 2_000 })).rejects.toThrow();
    gateway.publish('call.bySid', '{}');
    await gateway.flush();
    await expect.poll(() => seen, { timeout: 5_000 }).toContain('call.bySid');
    expect(seen.filter((subject) => subject.startsWith('call.control.'))).toEqual([]);
    snoop.unsubscribe();

    const worker = await connectAs('worker');
    const denied = serverError(worker, /permissions violation for publish to "call\.control\./i);
    worker.publish(callControlSubject(callSid), '{"action":"hangup"}');
    await worker.flush();
    await denied;
  });
});

// The console's part of the gateway's rights: its own ordered consumers on CALL_EVENTS and the system page's
// figures, never the registry's durable consumer.
describe("infra/nats/auth.conf: the gateway's console rights", () => {
  const denied = /permissions violation for publish to "\$JS\.API\./i;

  it('lets the gateway read CALL_EVENTS in order from a sequence, with an ordered consumer of its own', async () => {
    const nc = await connectAs('gateway');
    const callSid = newCallSid();
    await new EventPublisher(nc, log).publish(
      { kind: 'status', callSid, status: 'ringing', at: new Date().toISOString() },
      { msgId: `${callSid}:status:ringing`, deadlineMs: 10_000 },
    );
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const last = (await jsm.streams.info(CALL_EVENTS_STREAM)).state.last_seq;
    const consumer = await jetstream(nc, { checkAPI: false }).consumers.get(CALL_EVENTS_STREAM, {
      name_prefix: 'console-permissions-test',
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: last,
      filter_subjects: `events.call.${callSid}.*`,
    });
    const msg = await consumer.next({ expires: 5_000 });
    expect(msg?.json()).toMatchObject({ callSid, status: 'ringing' });
    expect((await consumer.info()).config.filter_subject).toBe(`events.call.${callSid}.*`);
    expect(await consumer.delete()).toBe(true);
    // The figures of the system page: the registry's consumer lag and services-framework discovery.
    expect((await jsm.consumers.info(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER)).name).toBe(
      CALL_EVENTS_CONSUMER,
    );
    const ping = await nc.request('$SRV.PING.call-registry', '', { timeout: 5_000 });
    expect(ping.json<{ name: string }>().name).toBe('call-registry');
  });

  it("keeps the gateway from pulling, redefining or deleting the registry's durable consumer", async () => {
    const nc = await connectAs('gateway');
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    await expect(
      jsm.consumers.add(CALL_EVENTS_STREAM, {
        name: CALL_EVENTS_CONSUMER,
        durable_name: CALL_EVENTS_CONSUMER,
        ack_policy: AckPolicy.None,
      }),
    ).rejects.toThrow(denied);
    await expect(
      jsm.consumers.add(CALL_EVENTS_STREAM, {
        name: CALL_EVENTS_CONSUMER,
        ack_policy: AckPolicy.None,
        filter_subject: 'events.call.>',
      }),
    ).rejects.toThrow(denied);
    await expect(
      nc.request(`$JS.API.CONSUMER.MSG.NEXT.${CALL_EVENTS_STREAM}.${CALL_EVENTS_CONSUMER}`, '{"batch":1}'),
    ).rejects.toThrow(denied);
    await expect(jsm.consumers.delete(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER)).rejects.toThrow(denied);
    // Nor read a stored message directly, or purge the stream.
    await expect(jsm.streams.getMessage(CALL_EVENTS_STREAM, { seq: 1 })).rejects.toThrow(denied);
    await expect(jsm.streams.purge(CALL_EVENTS_STREAM)).rejects.toThrow(denied);
    // The registry's consumer is as the registry made it.
    const registryJsm = await jetstreamManager(registry.nc);
    const info = await registryJsm.consumers.info(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER);
    expect(info.config.ack_policy).toBe(AckPolicy.Explicit);
  });

  it('lets the notifier, as its own user, read the events and deliver a webhook; nobody else gets the secrets', async () => {
    const bodies: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { user, password } = NATS_USERS.notifier;
    const notifier = await startNotifier({
      config: loadNotifierConfig({
        NATS_URL: nats.url,
        NATS_USER: user,
        NATS_PASSWORD: password,
        PORT: '0',
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      }),
      log,
    });
    try {
      const gateway = await connectAs('gateway');
      const client = registryClient(gateway, { timeoutMs: 5_000 });
      const port = (receiver.address() as AddressInfo).port;
      const webhook = await client.webhookCreate({
        url: `http://127.0.0.1:${port}/`,
        events: ['call.status'],
      });
      const callSid = newCallSid();
      await client.callCreate({ callSid, direction: 'inbound', from: '+15551230000', to: '+15559870000' });
      await new EventPublisher(gateway, log).publish(
        { kind: 'status', callSid, status: 'ringing', at: new Date().toISOString() },
        { msgId: `${callSid}:status:ringing`, deadlineMs: 10_000 },
      );
      await expect.poll(() => bodies.some((b) => b.includes(callSid)), { timeout: 15_000 }).toBe(true);

      // The secrets and the dead letters' writing are the notifier's to ask for; the gateway lists without them.
      const denied = /permissions violation for publish to "webhook\.(active|failed\.add)"/i;
      await expect(client.webhookActive({})).rejects.toThrow(denied);
      const worker = registryClient(await connectAs('worker'), { timeoutMs: 2_000 });
      await expect(worker.webhookActive({})).rejects.toThrow(/permissions violation/i);
      await expect(
        worker.webhookCreate({ url: 'https://example.com/', events: ['call.ended'] }),
      ).rejects.toThrow(/permissions violation/i);
      const listed = await client.webhookList({});
      expect(listed.webhooks.find((w) => w.id === webhook.id)).not.toHaveProperty('secret');

      // The notifier cannot touch the registry's consumer nor answer the registry's subjects.
      const nc = await connectAs('notifier');
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      const jsDenied = /permissions violation for publish to "\$JS\.API\./i;
      await expect(jsm.consumers.delete(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER)).rejects.toThrow(jsDenied);
      await expect(
        nc.request(`$JS.API.CONSUMER.MSG.NEXT.${CALL_EVENTS_STREAM}.${CALL_EVENTS_CONSUMER}`, '{"batch":1}'),
      ).rejects.toThrow(jsDenied);
      await expect(jsm.streams.delete(WEBHOOK_DELIVERIES_STREAM)).rejects.toThrow(jsDenied);
      expect((await jsm.consumers.info(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER)).name).toBe(
        CALL_EVENTS_CONSUMER,
      );
      await expect(registryClient(nc).agentList({})).rejects.toThrow(/permissions violation/i);
    } finally {
      await notifier.close();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});

describe('infra/nats/auth.conf: call batches', () => {
  const denied = /permissions violation for publish to/i;
  const batchId = `cb_${'a'.repeat(24)}`;

  it('lets the gateway make the batch work queue, queue a call, pull and acknowledge it, and ask the registry', async () => {
    const nc = await connectAs('gateway');
    await ensureBatchWork(nc, 30_000);
    await ensureBatchWork(nc, 30_000); // again, as every replica does at start
    const js = jetstream(nc, { checkAPI: false });
    await js.publish(batchWorkSubject(batchId), JSON.stringify({ batchId, index: 0 }), {
      msgID: `${batchId}.0`,
    });
    const consumer = await js.consumers.get(CALL_BATCH_WORK_STREAM, CALL_BATCH_WORK_CONSUMER);
    const msg = await consumer.next({ expires: 5_000 });
    expect(msg?.json()).toEqual({ batchId, index: 0 });
    await msg?.ackAck();
    // The registry serves batch.* (this batch does not exist).
    await expect(registryClient(nc).batchGet({ id: batchId })).rejects.toThrow(BatchNotFoundError);
  });

  it('keeps the gateway from deleting or purging the work queue, or reading it but through batch-dispatch', async () => {
    const nc = await connectAs('gateway');
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    await expect(jsm.streams.delete(CALL_BATCH_WORK_STREAM)).rejects.toThrow(denied);
    await expect(jsm.streams.purge(CALL_BATCH_WORK_STREAM)).rejects.toThrow(denied);
    await expect(
      jsm.consumers.add(CALL_BATCH_WORK_STREAM, { durable_name: 'snoop', ack_policy: AckPolicy.Explicit }),
    ).rejects.toThrow(denied);
    await expect(jsm.consumers.delete(CALL_BATCH_WORK_STREAM, CALL_BATCH_WORK_CONSUMER)).rejects.toThrow(
      denied,
    );
  });

  it('keeps the worker from queueing batch calls, pulling them, or asking batch.*', async () => {
    const nc = await connectAs('worker');
    const js = jetstream(nc, { checkAPI: false });
    await expect(
      js.publish(batchWorkSubject(batchId), '{}', { msgID: 'worker', timeout: 2_000 }),
    ).rejects.toThrow();
    await expect(
      nc.request(
        `$JS.API.CONSUMER.MSG.NEXT.${CALL_BATCH_WORK_STREAM}.${CALL_BATCH_WORK_CONSUMER}`,
        '{"batch":1}',
      ),
    ).rejects.toThrow(denied);
    await expect(registryClient(nc).batchGet({ id: batchId })).rejects.toThrow(denied);
  });
});
