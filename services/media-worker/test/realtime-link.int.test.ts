import { FAKE_OPENAI_API_KEY, FakeRealtimeServer } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealtimeLink } from '../src/realtime-link.js';
import { until } from './support.js';

describe('RealtimeLink', () => {
  let fake: FakeRealtimeServer;
  beforeAll(async () => {
    fake = await FakeRealtimeServer.start();
  });
  afterAll(() => fake?.close());

  function link() {
    const seen: string[] = [];
    const l = new RealtimeLink(
      { url: fake.url, apiKey: FAKE_OPENAI_API_KEY },
      {
        onOpen: (id) => seen.push(`open ${id}`),
        onFrame: (id, frame) => seen.push(`frame ${id} ${JSON.parse(frame.toString()).type}`),
        onClose: (id, detail) => seen.push(`close ${id} ${detail}`),
      },
    );
    return { l, seen };
  }

  it('dials each socket it is told to, with the model in the URL, and says how each one closed', async () => {
    const before = fake.sessions.length;
    const { l, seen } = link();
    l.dial(1, 'gpt-realtime');
    l.dial(2, 'gpt-realtime-mini');
    const second = await fake.waitForSession(before + 2);
    expect(
      fake.sessions
        .slice(before)
        .map((s) => s.model)
        .sort(),
    ).toEqual(['gpt-realtime', 'gpt-realtime-mini']);
    await until(() => seen.filter((s) => s.startsWith('frame')).length === 2, 'both session.created');
    expect(l.send(1, '{"type":"response.cancel"}')).toBe(true);
    second.drop();
    await until(() => seen.some((s) => s.startsWith('close 2')), 'the dropped socket to be reported');
    expect(seen).toContain('close 2 closed 1006');
    expect(l.send(2, '{}')).toBe(false);
    l.closeAll();
  });

  it('reports a socket that did not open', async () => {
    fake.refuseConnections(503);
    try {
      const { l, seen } = link();
      l.dial(1, 'gpt-realtime');
      await until(() => seen.length > 0, 'the failure');
      expect(seen[0]).toMatch(/^close 1 did not open: Unexpected server response: 503/);
    } finally {
      fake.refuseConnections(false);
    }
  });

  it('says nothing of a socket it closed itself', async () => {
    const before = fake.sessions.length;
    const { l, seen } = link();
    l.dial(1, 'gpt-realtime');
    await fake.waitForSession(before + 1);
    await until(() => seen.includes('open 1'), 'the socket to open');
    l.close(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.filter((s) => s.startsWith('close'))).toEqual([]);
  });
});
