import { Counter, Histogram, Registry as PromRegistry } from 'prom-client';

export type NotifierMetrics = ReturnType<typeof createMetrics>;

/** The notifier's Prometheus metrics, in a registry of its own (tests run several services at once). */
export function createMetrics() {
  const promRegistry = new PromRegistry();
  return {
    promRegistry,
    events: new Counter({
      name: 'notifier_events_total',
      help: 'Call events fanned out, by outcome (queued, none, retry, invalid)',
      labelNames: ['outcome'],
      registers: [promRegistry],
    }),
    queued: new Counter({
      name: 'notifier_deliveries_queued_total',
      help: 'Deliveries queued in WEBHOOK_DELIVERIES',
      registers: [promRegistry],
    }),
    deliveries: new Counter({
      name: 'notifier_deliveries_total',
      help: 'Deliveries handled, by outcome (delivered, failed, dead-lettered, waiting, dropped) and event type',
      labelNames: ['outcome', 'type'],
      registers: [promRegistry],
    }),
    attempts: new Histogram({
      name: 'notifier_attempt_duration_seconds',
      help: 'HTTP attempts, by result',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [promRegistry],
    }),
  };
}
