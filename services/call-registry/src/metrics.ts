import { Counter, Gauge, Histogram, Registry as PromRegistry } from 'prom-client';
import type { PoolFigures } from './db/pool.js';

export type RegistryMetrics = ReturnType<typeof createMetrics>;

/** The call-registry's Prometheus metrics, in a promRegistry of its own (tests run several services at once). */
export function createMetrics(poolFigures: () => PoolFigures) {
  const promRegistry = new PromRegistry();
  const pool = (name: string, help: string, pick: (f: PoolFigures) => number) =>
    new Gauge({
      name,
      help,
      registers: [promRegistry],
      collect() {
        this.set(pick(poolFigures()));
      },
    });
  pool('registry_db_pool_total', 'Connections open in the pool', (f) => f.total);
  pool('registry_db_pool_idle', 'Open connections not in use', (f) => f.idle);
  pool('registry_db_pool_waiting', 'Queries waiting for a connection', (f) => f.waiting);
  pool('registry_db_pool_max', 'DB_POOL_MAX', (f) => f.max);
  const requests = new Histogram({
    name: 'registry_request_duration_seconds',
    help: 'NATS requests answered, by endpoint and outcome (ok or error status)',
    labelNames: ['endpoint', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [promRegistry],
  });
  // One labelled child per endpoint and outcome, taken once: `observe({…labels})` hashes the labels on
  // every request (3% of the registry's allocations per lookup, in a heap profile).
  const requestChildren = new Map<string, Map<string, { observe(seconds: number): void }>>();
  const observeRequest = (endpoint: string, outcome: 'ok' | number, seconds: number) => {
    let byOutcome = requestChildren.get(endpoint);
    if (byOutcome === undefined) {
      byOutcome = new Map();
      requestChildren.set(endpoint, byOutcome);
    }
    const label = String(outcome);
    let child = byOutcome.get(label);
    if (child === undefined) {
      child = requests.labels(endpoint, label);
      byOutcome.set(label, child);
    }
    child.observe(seconds);
  };
  return {
    promRegistry,
    requests,
    /** `requests.observe` for one answered request. */
    observeRequest,
    lookupBatchSize: new Histogram({
      name: 'registry_lookup_batch_size',
      help: 'callSids read by one batched call.bySid query',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [promRegistry],
    }),
    events: new Counter({
      name: 'registry_events_total',
      help: 'Call events consumed, by kind and outcome',
      labelNames: ['kind', 'outcome'],
      registers: [promRegistry],
    }),
    workerLostCalls: new Counter({
      name: 'registry_worker_lost_calls_total',
      help: 'Calls this replica ended with worker-lost: their media worker stopped announcing itself',
      registers: [promRegistry],
    }),
  };
}
