import { FAKE_OPENAI_API_KEY, FakeRealtimeServer } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createMetrics } from '../src/metrics.js';
import { RealtimeLink, type RealtimeLinkEvents } from '../src/realtime-link.js';
import { log, until } from './support.js';

describe('RealtimeLink', () => {
  let fake: FakeRealtimeServer;
  beforeAll(async () => {
    fake = await FakeRealtimeServer.start();
  });
  afterAll(() => fake?.close());

  function link(events: Partial<RealtimeLinkEvents>): RealtimeLink {
    const config = loadConfig({
      NATS_URL: 'nats://127.0.0.1:4222',
      TWILIO_SKIP_SIGNATURE: 'true',
      OPENAI_API_KEY: FAKE_OPENAI_API_KEY,
      OPENAI_REALTIME_URL: fake.url,
    });
    const noop = () => undefined;
    return new RealtimeLink(
      { config, metrics: createMetrics(() => 0), log },
      { onUsable: noop, onFrame: noop, onLost: noop, onFailed: noop, ...events },
    );
  }

  it('dials again once when the socket drops, then gives up', async () => {
    const before = fake.sessions.length;
    let usable = 0;
    let failed = false;
    const l = link({ onUsable: () => usable++, onFailed: () => (failed = true) });
    l.useModel('gpt-realtime');
    await until(() => usable === 1, 'a usable socket');
    (await fake.waitForSession(before + 1)).drop();
    await until(() => usable === 2, 'a second usable socket');
    expect(failed).toBe(false);
    (await fake.waitForSession(before + 2)).drop();
    await until(() => failed, 'the link to give up');
    expect(fake.sessions.length - before).toBe(2);
  });

  it('does not dial again when hearing of the loss closed it', async () => {
    const before = fake.sessions.length;
    let l: RealtimeLink | undefined;
    let usable = false;
    l = link({ onUsable: () => (usable = true), onLost: () => l?.close() });
    l.useModel('gpt-realtime');
    await until(() => usable, 'a usable socket');
    (await fake.waitForSession(before + 1)).drop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.sessions.length - before).toBe(1);
  });
});
