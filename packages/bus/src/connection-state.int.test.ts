import { TestNatsServer } from '@switchboard/testkit';
import { describe, expect, it } from 'vitest';
import { connectBus, connectionState } from './index.js';

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('connectionState', () => {
  it('follows a connection through a disconnect, its reconnect and its close, one watch for every caller', async () => {
    await using server = await TestNatsServer.start();
    const nc = await connectBus({ url: server.url, name: 'connection-state-test' });
    const state = connectionState(nc);
    expect(connectionState(nc)).toBe(state);
    expect(state.connected).toBe(true);

    await server.stop();
    await until(() => !state.connected, 'the disconnect');
    await server.start();
    await until(() => state.connected, 'the reconnect');

    await nc.close();
    expect(state.connected).toBe(false);
  });
});
