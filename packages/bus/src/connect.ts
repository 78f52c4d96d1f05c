import { readFile } from 'node:fs/promises';
import { credsAuthenticator, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { natsServers } from '@switchboard/config';
import type { Logger } from '@switchboard/logger';

/** Between reconnect attempts; nats.js adds jitter. */
export const RECONNECT_WAIT_MS = 500;
/**
 * A server that stops answering without closing the socket (its machine gone, a partition) is given up after
 * `PING_INTERVAL_MS × MAX_PINGS_OUT` at most, and the connection moves to another server of the list. A
 * process that dies closes its sockets, and that is noticed at once.
 */
export const PING_INTERVAL_MS = 5_000;
export const MAX_PINGS_OUT = 2;

export interface BusOptions {
  /**
   * Comma-separated server URLs (any of a cluster's; nats.js learns the others from the server) and fails over
   * between them; nats.js' default (127.0.0.1:4222) when unset.
   */
  url?: string | undefined;
  /** The connection's name as `nats-server` reports it (`connz`). */
  name: string;
  user?: string | undefined;
  password?: string | undefined;
  /** Path to a `.creds` file (JWT + nkey seed). */
  credsFile?: string | undefined;
  log?: Logger;
  /** Prefix of this connection's reply subjects (`inboxPrefixFor` in contracts); nats.js' `_INBOX` if unset. */
  inboxPrefix?: string | undefined;
  /** Keep trying the first connect too, instead of failing when the server is not up yet. */
  waitOnFirstConnect?: boolean;
}

/** Connects to NATS with reconnects that never give up, logging each change of state. */
export async function connectBus(options: BusOptions): Promise<NatsConnection> {
  const { url, name, user, password, credsFile, log, inboxPrefix } = options;
  const nc = await connect({
    ...(url ? { servers: natsServers(url) } : {}),
    name,
    user,
    pass: password,
    authenticator: credsFile ? credsAuthenticator(await readFile(credsFile)) : undefined,
    maxReconnectAttempts: -1,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
    pingInterval: PING_INTERVAL_MS,
    maxPingOut: MAX_PINGS_OUT,
    // Otherwise every request builds two stack-traced Errors up front in case it fails: a measurable share of
    // a busy service's CPU (test/bench/README.md). Our errors name the subject instead.
    noAsyncTraces: true,
    ...(inboxPrefix ? { inboxPrefix } : {}),
  });
  if (log) void watchStatus(nc, log);
  return nc;
}

async function watchStatus(nc: NatsConnection, log: Logger): Promise<void> {
  for await (const status of nc.status()) {
    switch (status.type) {
      case 'disconnect':
        log.warn({ server: status.server }, 'nats disconnected');
        break;
      case 'reconnect':
        log.info({ server: status.server }, 'nats reconnected');
        break;
      case 'error':
        log.error({ err: status.error }, 'nats error');
        break;
      default:
        log.debug({ status: status.type }, 'nats status');
    }
  }
}
