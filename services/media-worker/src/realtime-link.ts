import type { Socket } from 'node:net';
import type { Logger } from '@switchboard/logger';
import type { WorkerConfig } from './config.js';
import type { WorkerMetrics } from './metrics.js';
import { RealtimeConnection } from './realtime-connection.js';

/** Dials of the Realtime socket after the first, per call: one, as the issue asks. */
export const REALTIME_RECONNECTS = 1;

export interface RealtimeLinkEvents {
  /** A socket for the agent's model is open: the session can be configured on it. */
  onUsable(): void;
  onFrame(text: string): void;
  /** The socket `onUsable` announced is gone. A new one is being dialled unless `onFailed` follows. */
  onLost(): void;
  /** Lost with no reconnect left. */
  onFailed(): void;
}

export interface RealtimeLinkDeps {
  config: WorkerConfig;
  metrics: WorkerMetrics;
  log: Logger;
}

/**
 * One call's link to the OpenAI Realtime API: one socket at a time, dialled before the agent is known (with
 * the model most agents use) and again when the agent turns out to use another; reconnected once when it
 * fails to open, drops, or does not confirm the session in time. No protocol here: frames go in and out
 * as text, and the session tells it what it learns (`useModel`, `sessionReady`).
 */
export class RealtimeLink {
  private current: RealtimeConnection | undefined;
  /** The agent's model, once the call is known: until then no socket is usable. */
  private model: string | undefined;
  /** Whether `onUsable` was said for the current socket (so `onLost` must follow its loss). */
  private announced = false;
  private reconnectsLeft = REALTIME_RECONNECTS;
  private readyTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly deps: RealtimeLinkDeps,
    private readonly events: RealtimeLinkEvents,
  ) {
    this.dial(deps.config.openai.defaultModel);
  }

  /** The TCP socket under the current WebSocket once open: corked around bursts. */
  get tcp(): Socket | undefined {
    return this.current?.tcp;
  }

  /** The call is known and its agent speaks with `model`. */
  useModel(model: string): void {
    this.model = model;
    const rt = this.current;
    if (rt !== undefined && rt.model !== model) {
      this.deps.log.debug({ model }, 'agent uses another model: dialling again');
      this.current = undefined;
      rt.close();
      this.dial(model);
    } else if (rt?.isOpen) {
      this.announce();
    }
  }

  /** The session on the current socket is configured: the ready deadline is met. */
  sessionReady(): void {
    clearTimeout(this.readyTimer);
  }

  /** Sends a text frame on the current socket; false when there is no open one. */
  send(text: string): boolean {
    return this.current?.send(text) ?? false;
  }

  /** For good: the socket closes and no event follows. */
  close(): void {
    this.closed = true;
    clearTimeout(this.readyTimer);
    const rt = this.current;
    this.current = undefined;
    rt?.close();
  }

  private dial(model: string): void {
    const { openai, realtimeConnectTimeoutMs } = this.deps.config;
    const rt: RealtimeConnection = new RealtimeConnection(
      { url: openai.realtimeUrl, model, apiKey: openai.apiKey, timeoutMs: realtimeConnectTimeoutMs },
      {
        onOpen: () => {
          if (rt === this.current && this.model === rt.model) this.announce();
        },
        onFrame: (text) => {
          if (rt === this.current) this.events.onFrame(text);
        },
        onClose: (info) => {
          if (rt === this.current) this.onClose(info);
        },
      },
    );
    this.current = rt;
    this.announced = false;
  }

  /** Says the socket is usable, and gives the session until the connect timeout to be configured. */
  private announce(): void {
    const rt = this.current;
    this.announced = true;
    this.events.onUsable();
    clearTimeout(this.readyTimer);
    this.readyTimer = setTimeout(() => {
      this.deps.log.warn('realtime session not ready in time');
      rt?.close();
    }, this.deps.config.realtimeConnectTimeoutMs);
  }

  private onClose(info: { opened: boolean; code: number; reason: string; error: Error | undefined }): void {
    if (this.closed) return;
    clearTimeout(this.readyTimer);
    this.current = undefined;
    if (this.announced) this.events.onLost();
    this.announced = false;
    // Hearing of the loss can end the call (an agent that asked to hang up had nothing left to say).
    if (this.closed) return;
    const fields = { opened: info.opened, code: info.code, reason: info.reason, err: info.error };
    if (this.reconnectsLeft > 0) {
      this.reconnectsLeft--;
      this.deps.metrics.realtimeReconnects.inc();
      this.deps.log.warn(fields, 'realtime socket lost, dialling again');
      this.dial(this.model ?? this.deps.config.openai.defaultModel);
      return;
    }
    this.deps.log.error(fields, 'realtime socket lost for good');
    this.events.onFailed();
  }
}
