import type { Call } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { sessionUpdateFor } from '../bridge/session-config.js';
import type { PreparedSession } from '../bridge/types.js';
import { decodeRealtimeFrame, encodeRealtime } from '../codecs/openai.js';
import type { WorkerMetrics } from '../metrics.js';
import type { ReservationHooks } from '../placement/reservation-hooks.js';
import { RealtimeConnection } from '../realtime-connection.js';
import type { RealtimeEndpoint } from '../realtime-link.js';
import type { KeptGreetings } from './kept-greetings.js';

/**
 * How long after its reservation's expiry a prepared session is closed even if nobody said `expired` or a
 * stream took it: a backstop, so that no mistake elsewhere can leave a socket open to OpenAI.
 */
export const PREPARED_AFTER_EXPIRY_MS = 10_000;

export interface WarmSessionsDeps {
  endpoint: RealtimeEndpoint;
  transcriptionModel: string;
  /** STREAM_START_TIMEOUT_MS: once a stream took its reservation, how long its `start` may take. */
  streamStartTimeoutMs: number;
  /** Sessions prepared at once at most (the worker's capacity); a reservation beyond it is not prepared. */
  maxPrepared: number;
  log: Logger;
  metrics: Pick<WorkerMetrics, 'preparedSessions'>;
}

/** What a stream's media session uses of these: its call's prepared session, where greetings are kept. */
export interface StreamWarmth {
  sessions: Pick<WarmSessions, 'prepared' | 'take'>;
  /** Undefined with KEEP_GREETING_AUDIO off. */
  greetings: Pick<KeptGreetings, 'keep'> | undefined;
}

interface Entry {
  call: Call;
  socket: RealtimeConnection;
  state: PreparedSession['state'];
  backstop: NodeJS.Timeout;
}

type DropReason = 'expired' | 'failed' | 'dropped';

/**
 * Realtime sessions opened for reserved calls while their phones ring (SPEC "Scale-out"): on `reserved`, a
 * socket is dialled on the call's agent's model and configured with the same `session.update` the call
 * bridge would send for that agent (bridge/session-config.ts). When the call's stream starts, its session
 * hands the start to the bridge with `prepared()` and, if the bridge adopts it, `take()`s the socket: from
 * then on the call's bridge owns it like one it dialled. A session that fails before that is dropped (the
 * call dials its own, as without a reservation); one whose reservation lapses is closed. Nothing here
 * decides anything about a call: this only holds sockets until a call takes them.
 */
export class WarmSessions implements ReservationHooks {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly deps: WarmSessionsDeps) {}

  /** Sessions held for calls whose streams have not arrived. */
  get size(): number {
    return this.entries.size;
  }

  reserved(call: Call, expiresAtMs: number): void {
    const { callSid } = call;
    const held = this.entries.get(callSid);
    if (held !== undefined) {
      // Reserved again (the gateway retried): the same session, held as long as the new reservation.
      clearTimeout(held.backstop);
      held.backstop = this.backstopFor(callSid, expiresAtMs);
      return;
    }
    if (this.entries.size >= this.deps.maxPrepared) {
      this.deps.log.warn({ callSid, held: this.entries.size }, 'no session prepared: too many held');
      return;
    }
    const { endpoint, transcriptionModel } = this.deps;
    const agent = call.agent;
    const socket: RealtimeConnection = new RealtimeConnection(
      { url: endpoint.url, apiKey: endpoint.apiKey, model: agent.model },
      {
        onOpen: () => {
          const entry = this.live(callSid, socket);
          if (entry === undefined) return;
          entry.state = 'configuring';
          socket.send(encodeRealtime(sessionUpdateFor(agent, { transcriptionModel })));
        },
        onFrame: (frame) => this.onFrame(callSid, socket, frame),
        onClose: (info) => {
          if (this.live(callSid, socket) === undefined) return;
          this.deps.log.info({ callSid, code: info.code, err: info.error }, 'prepared session lost');
          this.drop(callSid, 'failed');
        },
      },
    );
    const backstop = this.backstopFor(callSid, expiresAtMs);
    this.entries.set(callSid, { call, socket, state: 'dialing', backstop });
  }

  expired(callSid: string): void {
    this.drop(callSid, 'expired');
  }

  /**
   * The stream arrived. Its session takes the socket at the stream's `start` (`take`), which may come
   * before or after this; a start later than STREAM_START_TIMEOUT_MS ends that stream anyway, so the
   * session is held no longer than that from now.
   */
  taken(callSid: string): void {
    const entry = this.entries.get(callSid);
    if (entry === undefined) return;
    clearTimeout(entry.backstop);
    entry.backstop = this.backstopAfter(callSid, this.deps.streamStartTimeoutMs);
  }

  /** The agent's settings changed: sessions configured with the old ones are dropped. */
  agentChanged(agentId: string): void {
    for (const [callSid, entry] of [...this.entries]) {
      if (entry.call.agent.id === agentId) this.drop(callSid, 'dropped');
    }
  }

  /** Which agents changed is not known (a notice was lost or unreadable): every prepared session goes. */
  agentsChanged(): void {
    for (const callSid of [...this.entries.keys()]) this.drop(callSid, 'dropped');
  }

  /** The session prepared for `callSid`, as it is now, for the bridge to decide on at the stream's start. */
  prepared(callSid: string): PreparedSession | undefined {
    const entry = this.entries.get(callSid);
    if (entry === undefined) return undefined;
    const { agent, answeredAt } = entry.call;
    return {
      callSid,
      agent,
      answeredAt: answeredAt === null ? undefined : Date.parse(answeredAt),
      model: agent.model,
      state: entry.state,
    };
  }

  /** The bridge adopted it: the socket is the stream's now (in the same turn as `prepared`). */
  take(callSid: string): RealtimeConnection | undefined {
    const entry = this.entries.get(callSid);
    if (entry === undefined) return undefined;
    clearTimeout(entry.backstop);
    this.entries.delete(callSid);
    this.deps.metrics.preparedSessions.inc({ outcome: 'adopted' });
    return entry.socket;
  }

  /** The worker is closing: every prepared session goes. */
  close(): void {
    this.agentsChanged();
  }

  private onFrame(callSid: string, socket: RealtimeConnection, frame: Buffer): void {
    const entry = this.live(callSid, socket);
    if (entry === undefined) return;
    const event = decodeRealtimeFrame(frame);
    if (event.type === 'session.updated' && entry.state === 'configuring') entry.state = 'ready';
    else if (event.type === 'error') {
      const { code, message } = event.error;
      this.deps.log.warn({ callSid, code, message }, 'prepared session refused: dropped');
      this.drop(callSid, 'failed');
    }
  }

  /** The entry of `callSid` if `socket` is still its own (not taken, dropped or replaced). */
  private live(callSid: string, socket: RealtimeConnection): Entry | undefined {
    const entry = this.entries.get(callSid);
    return entry?.socket === socket ? entry : undefined;
  }

  private backstopFor(callSid: string, expiresAtMs: number): NodeJS.Timeout {
    return this.backstopAfter(callSid, Math.max(0, expiresAtMs - Date.now()) + PREPARED_AFTER_EXPIRY_MS);
  }

  private backstopAfter(callSid: string, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.drop(callSid, 'dropped'), ms);
    timer.unref();
    return timer;
  }

  private drop(callSid: string, reason: DropReason): void {
    const entry = this.entries.get(callSid);
    if (entry === undefined) return;
    this.entries.delete(callSid);
    clearTimeout(entry.backstop);
    entry.socket.close();
    this.deps.metrics.preparedSessions.inc({ outcome: reason });
  }
}
