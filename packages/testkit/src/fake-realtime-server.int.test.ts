import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { until } from './eventually.js';
import { FAKE_OPENAI_API_KEY, FakeRealtimeServer } from './fake-realtime-server.js';

/** A client of the fake, recording when each server event came (ms after `since`). */
async function connect(fake: FakeRealtimeServer) {
  const since = performance.now();
  const ws = new WebSocket(`${fake.url}?model=gpt-realtime`, {
    headers: { Authorization: `Bearer ${FAKE_OPENAI_API_KEY}` },
  });
  const events: Array<{ type: string; at: number }> = [];
  ws.on('message', (data) => {
    events.push({ type: (JSON.parse(data.toString()) as { type: string }).type, at: performance.now() });
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const openedAt = performance.now();
  const when = async (type: string) => {
    await until(() => events.some((e) => e.type === type), type);
    return events.find((e) => e.type === type)?.at as number;
  };
  return { ws, since, openedAt, when };
}

describe('the fake Realtime server with delays', () => {
  let fake: FakeRealtimeServer;
  beforeAll(async () => {
    fake = await FakeRealtimeServer.start({
      delays: { connectMs: 150, sessionUpdatedMs: 100, firstAudioMs: 400 },
    });
  });
  afterAll(() => fake?.close());

  // Lower bounds only: a loaded machine may add to each delay, never take from it.
  it('takes its time to connect, to confirm a session.update and to start speaking, in that order', async () => {
    const client = await connect(fake);
    expect(client.openedAt - client.since).toBeGreaterThanOrEqual(150);
    const updateAt = performance.now();
    client.ws.send(JSON.stringify({ type: 'session.update', session: { type: 'realtime' } }));
    expect((await client.when('session.updated')) - updateAt).toBeGreaterThanOrEqual(100);
    const responseAt = performance.now();
    client.ws.send(JSON.stringify({ type: 'response.create' }));
    const createdAt = await client.when('response.created');
    expect((await client.when('response.output_audio.delta')) - responseAt).toBeGreaterThanOrEqual(400);
    expect(createdAt).toBeLessThan(await client.when('response.output_audio.delta'));
    client.ws.close();
  });

  it('counts a socket in its connect delay as open, and a closed one as not', async () => {
    await until(() => fake.openSockets === 0, 'the first test’s socket closed');
    const sessions = fake.sessions.length;
    const pending = new WebSocket(`${fake.url}?model=gpt-realtime`, {
      headers: { Authorization: `Bearer ${FAKE_OPENAI_API_KEY}` },
    });
    // Aborting an unopened socket is an error event of its own, expected here.
    pending.on('error', () => {});
    await until(() => fake.openSockets === 1, 'the upgrade in its connect delay');
    pending.terminate();
    await until(() => fake.openSockets === 0, 'the aborted upgrade forgotten');
    // Past its connect delay (an absence has no event to await), it has not become a session.
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.sessions).toHaveLength(sessions);
  });
});
