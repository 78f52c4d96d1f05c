import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry as PromRegistry } from 'prom-client';

export type Direction = 'caller_to_agent' | 'agent_to_caller';

/** Every how many frames one has its relay time measured: timing all of them would cost more than it tells. */
export const RELAY_SAMPLE_EVERY = 16;

/**
 * The hot path counts frames in plain numbers (a labelled prom-client `inc()` per frame costs as much as
 * relaying the frame); the counters read them when Prometheus scrapes.
 */
export class FrameCounts {
  callerToAgent = 0;
  agentToCaller = 0;
}

export type WorkerMetrics = ReturnType<typeof createMetrics>;

/** The worker's Prometheus metrics, in a promRegistry of its own (tests run several services at once). */
export function createMetrics(liveCalls: () => number) {
  const promRegistry = new PromRegistry();
  collectDefaultMetrics({ register: promRegistry });
  const frames = new FrameCounts();
  const reported: Record<Direction, number> = { caller_to_agent: 0, agent_to_caller: 0 };

  new Gauge({
    name: 'media_worker_live_calls',
    help: 'Media streams open on this worker',
    registers: [promRegistry],
    collect() {
      this.set(liveCalls());
    },
  });
  new Counter({
    name: 'media_worker_frames_relayed_total',
    help: 'Audio frames relayed, by direction',
    labelNames: ['direction'],
    registers: [promRegistry],
    collect() {
      const totals: Record<Direction, number> = {
        caller_to_agent: frames.callerToAgent,
        agent_to_caller: frames.agentToCaller,
      };
      for (const direction of ['caller_to_agent', 'agent_to_caller'] as const) {
        this.inc({ direction }, totals[direction] - reported[direction]);
        reported[direction] = totals[direction];
      }
    },
  });

  return {
    promRegistry,
    frames,
    relaySeconds: new Histogram({
      name: 'media_worker_relay_latency_seconds',
      help: `Time from a frame arriving to its relay being written, by direction (1 frame in ${RELAY_SAMPLE_EVERY})`,
      labelNames: ['direction'],
      buckets: [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025],
      registers: [promRegistry],
    }),
    bargeIns: new Counter({
      name: 'media_worker_barge_ins_total',
      help: 'Times the caller spoke over the agent and its audio was cut',
      registers: [promRegistry],
    }),
    firstAudioSeconds: new Histogram({
      name: 'media_worker_first_agent_audio_seconds',
      help: "Time from Twilio's start message to the agent's first audio sent to Twilio",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8],
      registers: [promRegistry],
    }),
    streams: new Counter({
      name: 'media_worker_streams_total',
      help: 'Media streams ended, by why (StreamEndReason)',
      labelNames: ['reason'],
      registers: [promRegistry],
    }),
    realtimeDials: new Counter({
      name: 'media_worker_realtime_dials_total',
      help: "Realtime sockets dialled, by why: a call's first, for the agent's model, a planned move, a recovery",
      labelNames: ['purpose'],
      registers: [promRegistry],
    }),
    badFrames: new Counter({
      name: 'media_worker_bad_frames_total',
      help: 'Frames ignored because they were not understood, by source',
      labelNames: ['source'],
      registers: [promRegistry],
    }),
    upgradesRefused: new Counter({
      name: 'media_worker_upgrades_refused_total',
      help: 'WebSocket upgrades refused, by HTTP status',
      labelNames: ['status'],
      registers: [promRegistry],
    }),
    toolCalls: new Counter({
      name: 'media_worker_tool_calls_total',
      help: "Calls of agents' HTTP tools, by outcome (ok, error, timeout)",
      labelNames: ['status'],
      registers: [promRegistry],
    }),
    transfers: new Counter({
      name: 'media_worker_transfers_total',
      help: 'Transfers asked of the gateway (twilio.call.transfer), by outcome (accepted, refused)',
      labelNames: ['outcome'],
      registers: [promRegistry],
    }),
    preparedSessions: new Counter({
      name: 'media_worker_prepared_sessions_total',
      help: 'Realtime sessions prepared for reserved calls, by what became of them (adopted, expired, failed, dropped)',
      labelNames: ['outcome'],
      registers: [promRegistry],
    }),
    keptGreetings: new Counter({
      name: 'media_worker_kept_greetings_total',
      help: "Agents' greetings kept (recorded from a call) and played from what was kept",
      labelNames: ['outcome'],
      registers: [promRegistry],
    }),
    reservations: new Counter({
      name: 'media_worker_reservations_total',
      help: 'Slots asked for placed calls, by what became of them (reserved, renewed, full, draining, taken, expired, dropped)',
      labelNames: ['outcome'],
      registers: [promRegistry],
    }),
    eventsDropped: new Counter({
      name: 'media_worker_events_dropped_total',
      help: 'Call events dropped because too many were waiting for JetStream',
      registers: [promRegistry],
    }),
  };
}
