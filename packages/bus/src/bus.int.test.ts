import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { ServiceStats } from '@nats-io/services';
import {
  CALL_EVENTS_STREAM,
  CallNotFoundError,
  ENDPOINTS,
  InvalidRequestError,
  RegistryUnavailableError,
} from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { TestNatsServer } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AsyncEndpointFigures,
  connectBus,
  EventPublisher,
  ensureCallEventsStream,
  registryClient,
  ServiceHost,
} from './index.js';

const log = createLogger({ name: 'bus-test', level: 'silent' });
const SID = `CA${'0'.repeat(32)}`;
/** How long the test endpoint works before it answers. */
const HANDLER_MS = 50;

describe('bus against a real nats-server', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await TestNatsServer.start();
    nc = await connectBus({ url: server.url, name: 'bus-test' });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.close();
  });

  it('serves typed endpoints, maps errors to typed classes, and reports async stats', async () => {
    const host = await ServiceHost.start(
      nc,
      { name: 'bus-test', version: '0.0.1', description: 'test' },
      { log },
    );
    host.addEndpoint('bySid', ENDPOINTS.callBySid, async ({ callSid }) => {
      await new Promise((r) => setTimeout(r, HANDLER_MS));
      throw CallNotFoundError.forSid(callSid);
    });
    const client = registryClient(nc);

    const notFound = await client.callBySid({ callSid: SID }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(CallNotFoundError);
    expect(notFound).toMatchObject({ code: 'CALL_NOT_FOUND', status: 404 });

    const invalid = await client.callBySid({ callSid: 'nope' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidRequestError);

    const raw = await nc.request('call.bySid', '{not json', { timeout: 1000 });
    expect(raw.headers?.get('Nats-Service-Error-Code')).toBe('400');
    expect(JSON.parse(raw.string())).toMatchObject({ error: { code: 'INVALID_REQUEST' } });

    // What `nats micro stats` reads: the endpoint's `data` holds the figures of the whole async handling.
    const stats = (await nc.request('$SRV.STATS.bus-test', '', { timeout: 1000 })).json<ServiceStats>();
    const figures = stats.endpoints?.[0]?.data as AsyncEndpointFigures;
    expect(figures).toMatchObject({ num_requests: 3, num_errors: 3 });
    expect(figures.last_error).toMatch(/malformed JSON/);
    // The one request that reached the handler waited HANDLER_MS before failing: the figures include it.
    expect(figures.processing_time).toBeGreaterThanOrEqual((HANDLER_MS - 1) * 1e6);
    expect(figures.average_processing_time).toBe(Math.round(figures.processing_time / 3));
    await host.drain();

    const gone = await client.callBySid({ callSid: SID }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(RegistryUnavailableError);
  });

  it('publishes events once per msgId and retries until the stream exists', async () => {
    const publisher = new EventPublisher(nc, log);
    const event = { kind: 'status', callSid: SID, status: 'ringing', at: new Date().toISOString() } as const;
    // No stream yet: the publish waits and retries, then lands once the stream is created.
    const pending = publisher.publish(event, { msgId: 'status-1' });
    await new Promise((r) => setTimeout(r, 200));
    await ensureCallEventsStream(nc);
    await pending;
    await publisher.publish(event, { msgId: 'status-1' });
    await ensureCallEventsStream(nc); // idempotent
    const info = await (await jetstreamManager(nc)).streams.info(CALL_EVENTS_STREAM);
    expect(info.state.messages).toBe(1);
    expect(jetstream(nc)).toBeDefined();
  });

  it('gives up at the deadline when JetStream cannot store the event', async () => {
    const publisher = new EventPublisher(nc, log);
    const event = { kind: 'status', callSid: SID, status: 'ringing', at: new Date().toISOString() } as const;
    await server.stop();
    const started = Date.now();
    await expect(publisher.publish(event, { msgId: 'status-2', deadlineMs: 300 })).rejects.toMatchObject({
      code: 'EVENTS_UNAVAILABLE',
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    await server.start();
  });
});
