import type { NatsConnection } from '@nats-io/nats-core';
import { type ServiceStats, Svcm } from '@nats-io/services';
import { isNoResponders } from './request.js';

export type { ServiceStats } from '@nats-io/services';

/** How long discovery collects answers: every replica on the same NATS answers within a few ms. */
export const DEFAULT_DISCOVERY_WAIT_MS = 500;

/**
 * Every replica of every services-framework service (or of `name`) that answers `$SRV.STATS` within
 * `maxWaitMs`: its identity, version, start time and per-endpoint figures. An empty list when none answers.
 */
export async function discoverServices(
  nc: NatsConnection,
  { name, maxWaitMs = DEFAULT_DISCOVERY_WAIT_MS }: { name?: string; maxWaitMs?: number } = {},
): Promise<ServiceStats[]> {
  const found: ServiceStats[] = [];
  try {
    const replies = await new Svcm(nc).client({ strategy: 'timer', maxWait: maxWaitMs }).stats(name);
    for await (const stats of replies) found.push(stats);
  } catch (err) {
    // Nobody serves $SRV.STATS at all: no services to list.
    if (!isNoResponders(err)) throw err;
  }
  return found.sort((a, b) => a.name.localeCompare(b.name) || a.started.localeCompare(b.started));
}
