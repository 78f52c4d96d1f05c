import { performance } from 'node:perf_hooks';
import type { BridgeInput } from './bridge/types.js';
import { RELAY_SAMPLE_EVERY, type WorkerMetrics } from './metrics.js';

/** One stream's share of the worker's metrics: frames relayed each way, relay time sampled, first agent audio. */
export class StreamMeter {
  /** Frames relayed either way, for sampling their relay time. */
  private relayed = 0;
  private startedAt = 0;
  private firstAudioSent = false;

  constructor(
    private readonly metrics: WorkerMetrics,
    /** Where a relayed frame goes: the session's bridge. */
    private readonly feed: (input: BridgeInput) => void,
  ) {}

  /** Feeds an audio frame on (the hot path); one frame in RELAY_SAMPLE_EVERY has its time measured. */
  relay(direction: 'caller_to_agent' | 'agent_to_caller', input: BridgeInput): void {
    if (++this.relayed % RELAY_SAMPLE_EVERY !== 0) {
      this.feed(input);
      return;
    }
    const t0 = performance.now();
    this.feed(input);
    this.metrics.relaySeconds.observe({ direction }, (performance.now() - t0) / 1000);
  }

  /** The stream was claimed for its call: first agent audio is measured from here. */
  started(now: number): void {
    this.startedAt = now;
  }

  callerAudioSent(): void {
    this.metrics.frames.callerToAgent++;
  }

  agentAudioSent(): void {
    this.metrics.frames.agentToCaller++;
    if (this.firstAudioSent) return;
    this.firstAudioSent = true;
    this.metrics.firstAudioSeconds.observe((Date.now() - this.startedAt) / 1000);
  }
}
