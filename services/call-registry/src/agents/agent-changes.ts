import type { NatsConnection } from '@nats-io/nats-core';
import { watchAgentChanges } from '@switchboard/bus';
import { AGENT_CHANGED_SUBJECT } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';

// Where a registry replica announces that it wrote an agent; every replica listens, and so do the workers.
// Outside the subjects the gateway and the worker may publish (infra/nats/auth.conf).
export { AGENT_CHANGED_SUBJECT };

export interface AgentChangesDeps {
  nc: NatsConnection;
  log: Logger;
  /** Forgets one agent held by this replica. */
  forget: (id: string) => void;
  /** Forgets every agent this replica holds (and every lookup in flight that may carry one). */
  forgetAll: () => void;
}

/**
 * How replicas keep their agent caches true. A replica that writes an agent forgets its own copy and
 * publishes the agent's id before it answers the write; every replica forgets that agent when the notice
 * arrives. On one nats-server the notice reaches another replica before any request sent after the answer,
 * so a lookup anywhere after an `agent.upsert` sees the new agent. Core NATS may drop a notice while a
 * connection is down, so a replica forgets every agent when its connection drops and again when it is back;
 * and no agent is held longer than `AGENT_CACHE_MAX_AGE_MS`.
 */
export class AgentChanges {
  private readonly stopWatching: () => void;

  private constructor(private readonly deps: AgentChangesDeps) {
    this.stopWatching = watchAgentChanges(deps.nc, deps.log, {
      changed: (id) => deps.forget(id),
      unknown: () => deps.forgetAll(),
    });
  }

  static start(deps: AgentChangesDeps): AgentChanges {
    return new AgentChanges(deps);
  }

  /** Call after writing agent `id`, before answering the write. */
  announce(id: string): void {
    this.deps.forget(id);
    this.deps.nc.publish(AGENT_CHANGED_SUBJECT, JSON.stringify({ id }));
  }

  stop(): void {
    this.stopWatching();
  }
}
