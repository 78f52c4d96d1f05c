import type { NatsConnection } from '@nats-io/nats-core';

/** Whether a NATS connection can carry requests right now. */
export interface ConnectionState {
  /** False from a `disconnect` until the `reconnect` after it, and once the connection is closed. */
  readonly connected: boolean;
}

const states = new WeakMap<NatsConnection, ConnectionState>();

/**
 * The state of `nc`, read from its status events by one watch per connection, shared by every caller. The
 * watch ends when the connection closes (nats.js ends its status iterators then), so a caller has nothing
 * to stop and holds nothing open; the watch keeps only its own flag, not the caller. A connection is taken
 * to be connected when first asked about, as it is once `connectBus` has returned.
 */
export function connectionState(nc: NatsConnection): ConnectionState {
  let state = states.get(nc);
  if (state === undefined) {
    state = watch(nc);
    states.set(nc, state);
  }
  return state;
}

function watch(nc: NatsConnection): ConnectionState {
  let up = true;
  const state: ConnectionState = {
    get connected() {
      return up && !nc.isClosed();
    },
  };
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') up = false;
      else if (status.type === 'reconnect') up = true;
    }
  })().catch(() => undefined);
  return state;
}
