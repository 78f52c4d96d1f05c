import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectBus } from '@switchboard/bus';
import { CALL_EVENTS_CONSUMER, CALL_EVENTS_STREAM } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { eventually, type TestDatabase, TestNatsCluster } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACK_WAIT_MS } from '../src/events/event-consumer.js';
import { loadConfig, startRegistry } from '../src/index.js';
import { testDatabase } from './testing.js';

// The registry on a three-node NATS cluster: JETSTREAM_REPLICAS decides the replicas of CALL_EVENTS and of
// its durable consumer, and a registry started with another count (or after the consumer's timings changed)
// brings both up to date in place, keeping the events.

const log = createLogger({ name: 'registry-cluster-test', level: 'silent' });

describe('call-registry on a NATS cluster', () => {
  let cluster: TestNatsCluster;
  let db: TestDatabase;
  let nc: NatsConnection;

  beforeAll(async () => {
    [cluster, db] = await Promise.all([TestNatsCluster.start(), testDatabase()]);
    nc = await connectBus({ url: cluster.url, name: 'registry-cluster-test' });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await cluster?.close();
    await db?.drop();
  });

  const start = (replicas: string) =>
    startRegistry({
      config: loadConfig({
        DATABASE_URL: db.url,
        NATS_URL: cluster.url,
        PORT: '0',
        MIGRATE_ON_START: 'false',
        JETSTREAM_REPLICAS: replicas,
      }),
      log,
    });

  it('creates the stream and its consumer with JETSTREAM_REPLICAS, and raises both in place', async () => {
    const jsm = await jetstreamManager(nc);
    // A consumer as an earlier registry made it: the default 30 s ack wait, replicas unset.
    await jsm.streams.add({ name: CALL_EVENTS_STREAM, subjects: ['events.call.>'], num_replicas: 1 });
    await jsm.consumers.add(CALL_EVENTS_STREAM, {
      durable_name: CALL_EVENTS_CONSUMER,
      ack_policy: 'explicit' as never,
      filter_subject: 'events.call.>',
      ack_wait: 30_000_000_000,
    });
    await nc.publish('events.call.CA1.status', '{}');

    const one = await start('1');
    let consumer = await jsm.consumers.info(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER);
    expect(consumer.config.ack_wait).toBe(ACK_WAIT_MS * 1_000_000);
    expect(consumer.config.num_replicas).toBe(1);
    await one.close();

    const three = await start('3');
    try {
      const stream = await eventually(
        () => jsm.streams.info(CALL_EVENTS_STREAM),
        (s) => s.cluster?.replicas?.filter((r) => r.current).length === 2,
      );
      expect(stream.config.num_replicas).toBe(3);
      expect(stream.state.messages).toBe(1);
      consumer = await eventually(
        () => jsm.consumers.info(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER),
        (c) => c.cluster?.replicas?.length === 2,
      );
      expect(consumer.config.num_replicas).toBe(3);
    } finally {
      await three.close();
    }
  }, 60_000);
});
