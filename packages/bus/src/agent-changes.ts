import type { NatsConnection } from '@nats-io/nats-core';
import { AGENT_CHANGED_SUBJECT, AgentChanged } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { parseMessage } from './wire.js';

export interface AgentChangeListener {
  /** Agent `id` was written: whatever is held for it is stale. */
  changed(id: string): void;
  /** A notice may have been missed (unreadable, or the connection dropped): everything held is stale. */
  unknown(): void;
}

/**
 * Listens to the registry's announcements that an agent was written (AGENT_CHANGED_SUBJECT), for whatever
 * a process holds per agent: the registry replicas' agent caches, the workers' prepared sessions and kept
 * greetings. Core NATS may drop a notice while the connection is down, so a drop or a reconnect counts as
 * "anything may have changed". Returns the stop.
 */
export function watchAgentChanges(
  nc: NatsConnection,
  log: Logger,
  listener: AgentChangeListener,
): () => void {
  const subscription = nc.subscribe(AGENT_CHANGED_SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      const notice = parseMessage(msg.data, AgentChanged);
      if (notice.ok) listener.changed(notice.value.id);
      else listener.unknown();
    },
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (subscription.isClosed()) return;
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        log.debug(
          { status: status.type },
          'agent notices may have been missed: everything held per agent dropped',
        );
        listener.unknown();
      }
    }
  })();
  return () => subscription.unsubscribe();
}
