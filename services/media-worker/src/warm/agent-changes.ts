import type { NatsConnection } from '@nats-io/nats-core';
import { decodeJson } from '@switchboard/bus';
import { AGENT_CHANGED_SUBJECT, AgentChanged } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';

export interface AgentChangeListener {
  /** Agent `id` was written: what was prepared or kept for it is stale. */
  changed(id: string): void;
  /** A notice may have been missed (unreadable, or the connection dropped): everything is stale. */
  unknown(): void;
}

/**
 * The registry's announcements that an agent was written (AGENT_CHANGED_SUBJECT, as its agent caches
 * use them), for what the worker holds per agent: prepared sessions and kept greetings. Core NATS may drop
 * a notice while the connection is down, so a drop or a reconnect counts as "anything may have changed".
 */
export function watchAgentChanges(
  nc: NatsConnection,
  log: Logger,
  listener: AgentChangeListener,
): () => void {
  const subscription = nc.subscribe(AGENT_CHANGED_SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      const decoded = decodeJson(msg.data);
      const notice = decoded.ok ? AgentChanged.safeParse(decoded.value) : undefined;
      if (notice?.success) listener.changed(notice.data.id);
      else listener.unknown();
    },
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (subscription.isClosed()) return;
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        log.debug(
          { status: status.type },
          'agent notices may be lost: kept greetings and prepared sessions dropped',
        );
        listener.unknown();
      }
    }
  })();
  return () => subscription.unsubscribe();
}
