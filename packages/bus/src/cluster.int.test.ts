import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { CALL_EVENTS_STREAM } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { type ClusterNode, eventually, TestNatsCluster, TestNatsServer } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, EventPublisher, ensureCallEventsStream, ensureStream } from './index.js';

// The bus on a real three-node cluster on loopback: the stream's replicas set and changed in place, and a
// connection given the server list riding over the loss of the server it is on.

const log = createLogger({ name: 'bus-cluster-test', level: 'silent' });
const SID = `CA${'1'.repeat(32)}`;

describe('the bus on a three-node NATS cluster', () => {
  let cluster: TestNatsCluster;
  let nc: NatsConnection;

  beforeAll(async () => {
    cluster = await TestNatsCluster.start();
    nc = await connectBus({ url: cluster.url, name: 'bus-cluster-test' });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await cluster?.close();
  });

  it('creates CALL_EVENTS with JETSTREAM_REPLICAS and changes an existing stream in place', async () => {
    const publisher = new EventPublisher(nc, log);
    const first = await ensureCallEventsStream(nc, { replicas: 1 });
    expect(first.config.num_replicas).toBe(1);
    const event = { kind: 'status', callSid: SID, status: 'ringing', at: new Date().toISOString() } as const;
    await publisher.publish(event, { msgId: 'kept-1' });

    const raised = await ensureCallEventsStream(nc, { replicas: 3 });
    expect(raised.config.num_replicas).toBe(3);
    const jsm = await jetstreamManager(nc);
    // JetStream copies the stream to two more nodes by itself: a leader and two current followers.
    const info = await eventually(
      () => jsm.streams.info(CALL_EVENTS_STREAM),
      (i) => {
        const followers = i.cluster?.replicas?.filter((r) => r.current && r.name !== i.cluster?.leader);
        return followers?.length === 2;
      },
    );
    expect(info.state.messages).toBe(1);
    // As wanted already: nothing is sent to change it, and what it says is the stream as it is.
    const again = await ensureCallEventsStream(nc, { replicas: 3 });
    expect(again.config.num_replicas).toBe(3);
  });

  it('rides over the loss of the server it is connected to: every publish is stored, once', async () => {
    await ensureCallEventsStream(nc, { replicas: 3 });
    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info(CALL_EVENTS_STREAM)).state.messages;
    const publisher = new EventPublisher(nc, log);
    const connected = nc.info?.server_name;
    const node = cluster.node(connected as string);
    const publishes: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      const at = new Date().toISOString();
      publishes.push(
        publisher.publish({ kind: 'status', callSid: SID, status: 'ringing', at }, { msgId: `ride-${i}` }),
      );
      if (i === 10) await node.server.kill();
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(publishes);
    expect(nc.info?.server_name).not.toBe(connected);
    const after = (await jsm.streams.info(CALL_EVENTS_STREAM)).state.messages;
    expect(after - before).toBe(40);
    await cluster.restart(node);
  }, 60_000);
});

describe('setting up streams while a cluster cannot answer', () => {
  it('asks again until JetStream can (no quorum: two of three nodes gone, then back)', async () => {
    await using cluster = await TestNatsCluster.start();
    const nc = await connectBus({ url: cluster.url, name: 'bus-settle-test' });
    try {
      const [, second, third] = cluster.nodes;
      await Promise.all([second?.server.kill(), third?.server.kill()]);
      const settled = ensureStream(nc, { name: 'SETTLE', subjects: ['settle.>'] }, { replicas: 3, log });
      let done = false;
      void settled.finally(() => {
        done = true;
      });
      await new Promise((r) => setTimeout(r, 1_000));
      expect(done).toBe(false);
      await Promise.all([cluster.restart(second as ClusterNode), cluster.restart(third as ClusterNode)]);
      expect((await settled).config.num_replicas).toBe(3);
    } finally {
      await nc.close();
    }
  }, 60_000);
});

describe('replicas on a single server', () => {
  it("refuses more than one replica with JetStream's own error", async () => {
    await using server = await TestNatsServer.start();
    const nc = await connectBus({ url: server.url, name: 'bus-single-test' });
    try {
      await expect(ensureCallEventsStream(nc, { replicas: 3 })).rejects.toThrow(/replicas/i);
      expect((await ensureCallEventsStream(nc)).config.num_replicas).toBe(1);
    } finally {
      await nc.close();
    }
  });
});
