import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry as PromRegistry } from 'prom-client';

const HTTP_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const REGISTRY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2];

/** The gateway's Prometheus figures, in a Prometheus registry of its own (never prom-client's global one). */
export class GatewayMetrics {
  readonly promRegistry = new PromRegistry();

  readonly httpRequests = new Counter({
    name: 'gateway_http_requests_total',
    help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.promRegistry],
  });

  readonly httpDuration = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'Time from a request arriving to its response being written, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: HTTP_BUCKETS_SECONDS,
    registers: [this.promRegistry],
  });

  readonly registryDuration = new Histogram({
    name: 'gateway_registry_request_duration_seconds',
    help: 'Requests to the call registry over NATS, by endpoint and outcome (ok or error code)',
    labelNames: ['endpoint', 'outcome'] as const,
    buckets: REGISTRY_BUCKETS_SECONDS,
    registers: [this.promRegistry],
  });

  readonly eventsPublished = new Counter({
    name: 'gateway_events_published_total',
    help: 'Call events offered to JetStream, by kind and outcome (stored or failed)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.promRegistry],
  });

  readonly batchClaims = new Counter({
    name: 'gateway_batch_claims_total',
    help: "The registry's answers to this gateway's batch claims: dial, done, or wait with its reason",
    labelNames: ['answer'] as const,
    registers: [this.promRegistry],
  });

  readonly voiceApologies = new Counter({
    name: 'gateway_voice_apologies_total',
    help: 'Voice webhooks answered with the apology TwiML, by reason',
    labelNames: ['reason'] as const,
    registers: [this.promRegistry],
  });

  readonly placements = new Counter({
    name: 'gateway_placements_total',
    help: "Where calls' streams were sent: a worker that reserved a slot (placed), MEDIA_STREAM_URL (fallback), nowhere (none)",
    labelNames: ['outcome'] as const,
    registers: [this.promRegistry],
  });

  /** How many media workers placement knows now (set by placement; read when /metrics is scraped). */
  countWorkers: () => number = () => 0;

  readonly placementWorkers: Gauge = new Gauge({
    name: 'gateway_placement_workers',
    help: 'Media workers heard on worker.announce within their lease (draining and full ones included)',
    registers: [this.promRegistry],
    collect: (): void => this.placementWorkers.set(this.countWorkers()),
  });

  readonly placementDuration = new Histogram({
    name: 'gateway_placement_duration_seconds',
    help: 'Time spent asking workers for a slot, by outcome',
    labelNames: ['outcome'] as const,
    buckets: REGISTRY_BUCKETS_SECONDS,
    registers: [this.promRegistry],
  });

  readonly streamEndings = new Counter({
    name: 'gateway_stream_endings_total',
    help: 'Twilio asking what follows an ended media stream, by the reason the registry knew and the answer',
    labelNames: ['reason', 'answer'] as const,
    registers: [this.promRegistry],
  });

  readonly transfers = new Counter({
    name: 'gateway_transfer_results_total',
    help: "Transfers' dials as Twilio reported them (DialCallStatus)",
    labelNames: ['outcome'] as const,
    registers: [this.promRegistry],
  });

  readonly twilioRequests = new Counter({
    name: 'gateway_twilio_rest_requests_total',
    help: 'Requests of the twilio-rest service (other services asking for Twilio), by endpoint and outcome',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [this.promRegistry],
  });

  readonly recordingStarts = new Counter({
    name: 'gateway_recording_starts_total',
    help: 'Recordings asked of Twilio for agents with record: started, or failed (Twilio refused, or the call never was in progress)',
    labelNames: ['outcome'] as const,
    registers: [this.promRegistry],
  });

  readonly machineAnswers = new Counter({
    name: 'gateway_machine_answers_total',
    help: "Twilio's AMD results, by what the gateway did (none for a person, hangup, voicemail, say-fallback) and outcome",
    labelNames: ['action', 'outcome'] as const,
    registers: [this.promRegistry],
  });

  readonly eventStreams = new Gauge({
    name: 'gateway_event_streams',
    help: 'GET /api/events streams open (the console)',
    registers: [this.promRegistry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.promRegistry, prefix: 'gateway_' });
  }

  observeHttp(route: string, method: string, status: number, durationMs: number): void {
    const labels = { route, method, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, durationMs / 1_000);
  }

  observeRegistry(endpoint: string, outcome: string, durationMs: number): void {
    this.registryDuration.observe({ endpoint, outcome }, durationMs / 1_000);
  }
}
