import { TestNatsServer, until } from '@switchboard/testkit';
import { describe, expect, it } from 'vitest';
import { connectBus, connectionState } from './index.js';

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
