import type { Socket } from 'node:net';
import type { Logger } from '@switchboard/logger';
import type { RawData, WebSocket } from 'ws';
import { type BridgeOptions, CallBridge } from './bridge/call-bridge.js';
import { STREAM_ENDINGS } from './bridge/endings.js';
import type { BridgeInput, BridgeOutput } from './bridge/types.js';
import { CallIo, type CallIoDeps } from './call-io.js';
import { CallTimers } from './call-timers.js';
import { decodeRealtimeFrame, encodeAppend, encodeRealtime } from './codecs/openai.js';
import { decodeTwilioFrame } from './codecs/twilio.js';
import type { WorkerConfig } from './config.js';
import type { EventOutbox } from './event-outbox.js';
import { IgnoredFrames } from './ignored-frames.js';
import type { LiveCalls } from './live-calls.js';
import type { WorkerMetrics } from './metrics.js';
import { StreamSlot } from './placement/stream-slot.js';
import type { WorkerSlots } from './placement/worker-slots.js';
import { realtimeInput } from './realtime-input.js';
import { RealtimeLink } from './realtime-link.js';
import { StreamMeter } from './stream-meter.js';
import { twilioInput } from './twilio-input.js';
import { TwilioSocket } from './twilio-socket.js';
import type { StreamWarmth } from './warm/warm-sessions.js';

export interface SessionDeps {
  config: WorkerConfig;
  /** The bridge's settings, from `config`. */
  bridge: BridgeOptions;
  /** The registry, the tools, NATS: what each call's requests go through. */
  io: CallIoDeps;
  log: Logger;
  outbox: EventOutbox;
  metrics: WorkerMetrics;
  calls: LiveCalls<MediaSession>;
  /** Sessions prepared for reserved calls, and kept greetings (KEEP_GREETING_AUDIO; src/warm/). */
  warm: StreamWarmth;
  /** The worker's slots: a stream takes one at `start` (its call's reservation, or a free one) or is refused. */
  slots: Pick<WorkerSlots, 'admit'>;
}

/**
 * One call's media stream, carried out: it decodes Twilio's and the Realtime API's frames into bridge inputs,
 * and performs the bridge's outputs (send, dial, close, publish, run timers; requests through `CallIo`).
 * What the call is doing, and when it is over, is the bridge's alone (bridge/call-bridge.ts).
 */
export class MediaSession {
  private log: Logger;
  private readonly bridge: CallBridge;
  private readonly realtime: RealtimeLink;
  private readonly timers = new CallTimers((timer) => this.feed({ kind: 'timer-fired', timer }));
  private readonly twilio: TwilioSocket;
  private readonly io: CallIo;
  private claimed: string | undefined;
  private readonly slot: StreamSlot;
  private readonly meter: StreamMeter;
  private readonly ignored: IgnoredFrames;

  constructor(
    ws: WebSocket,
    tcp: Socket,
    private readonly deps: SessionDeps,
  ) {
    const { config } = deps;
    this.twilio = new TwilioSocket(ws, tcp);
    this.log = deps.log;
    this.ignored = new IgnoredFrames(deps.metrics);
    this.slot = new StreamSlot(deps.slots);
    this.meter = new StreamMeter(deps.metrics, (input) => this.feed(input));
    this.bridge = new CallBridge(deps.bridge);
    this.io = new CallIo(deps.io, (input) => this.feed(input));
    this.realtime = new RealtimeLink(
      { url: config.openai.realtimeUrl, apiKey: config.openai.apiKey },
      {
        onOpen: (connection) => this.feed({ kind: 'realtime-open', connection }),
        onFrame: (connection, frame) => this.onRealtimeFrame(connection, frame),
        onClose: (connection, detail) => this.feed({ kind: 'realtime-closed', connection, detail }),
      },
    );
    // With ws' default binaryType every message is one Buffer.
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) this.ignored.note('twilio', 'binary frame', this.log);
      else this.onTwilioFrame(data as Buffer);
    });
    ws.on('error', (err: Error) => this.log.debug({ err }, 'twilio socket error'));
    ws.on('close', () => {
      this.feed({ kind: 'twilio-closed' });
      this.slot.release();
    });
    this.feed({ kind: 'stream-opened' });
  }

  /** A newer stream for the same call took over. */
  replace(): void {
    this.feed({ kind: 'replaced' });
  }

  /** The worker is shutting down and the drain time is over. */
  shutDown(): void {
    this.feed({ kind: 'drained' });
  }

  private onTwilioFrame(frame: Buffer): void {
    const input = twilioInput(decodeTwilioFrame(frame));
    if (input === undefined) return;
    if ('ignored' in input) this.ignored.note('twilio', input.ignored, this.log);
    else if (input.kind === 'caller-audio') this.meter.relay('caller_to_agent', input);
    else if (input.kind === 'twilio-start') this.onStart(input);
    else this.feed(input);
  }

  /** The worker admits the stream first: a stream it has no room for goes before anything is claimed. */
  private onStart(input: Extract<BridgeInput, { kind: 'twilio-start' }>): void {
    if (!this.slot.admit(input.callSid)) this.feed({ kind: 'no-room' });
    else this.feed({ ...input, prepared: this.deps.warm.sessions.prepared(input.callSid) });
  }

  private onRealtimeFrame(connection: number, frame: Buffer): void {
    const event = decodeRealtimeFrame(frame);
    if (event.type === '#invalid') {
      this.ignored.note('realtime', event.reason, this.log);
      return;
    }
    const input = realtimeInput(event, connection, this.log);
    if (input === undefined) return;
    if (input.kind === 'agent-audio') this.meter.relay('agent_to_caller', input);
    else this.feed(input);
  }

  private feed(input: BridgeInput): void {
    this.apply(this.bridge.handle(input, Date.now()));
  }

  /** Carries out the bridge's outputs in order; several frames leave each socket in one write. */
  private apply(outputs: BridgeOutput[]): void {
    if (outputs.length === 0) return;
    const cork = outputs.length > 1;
    if (cork) this.cork(true);
    try {
      for (const output of outputs) this.perform(output);
    } finally {
      if (cork) this.cork(false);
    }
  }

  private perform(output: BridgeOutput): void {
    const { metrics } = this.deps;
    switch (output.to) {
      case 'realtime-audio':
        if (this.realtime.send(output.connection, encodeAppend(output.payload))) this.meter.callerAudioSent();
        return;
      case 'twilio-audio':
        if (this.twilio.sendAudio(output.payload, output.mark)) this.meter.agentAudioSent();
        return;
      case 'twilio':
        if (output.message.event === 'clear') metrics.bargeIns.inc();
        this.twilio.send(output.message);
        return;
      case 'realtime':
        if (!this.realtime.send(output.connection, encodeRealtime(output.message))) {
          this.log.debug({ type: output.message.type }, 'realtime socket not open: event not sent');
        }
        return;
      case 'publish': {
        const { event, msgId } = output;
        const stored = output.confirm ? () => this.feed({ kind: 'event-stored', msgId }) : undefined;
        this.deps.outbox.publish(event, msgId, stored);
        return;
      }
      case 'claim':
        this.claim(output.callSid, output.streamSid, output.history);
        return;
      case 'tool-request':
        this.io.tool(output);
        return;
      case 'transfer':
        this.io.transfer(output.request, this.log);
        return;
      case 'control-reply':
        this.io.reply(output.requestId, output.answer);
        return;
      case 'dial':
        metrics.realtimeDials.inc({ purpose: output.purpose });
        this.realtime.dial(output.connection, output.model);
        return;
      case 'close-realtime':
        this.realtime.close(output.connection);
        return;
      case 'adopt': // in the same turn as `prepared()` saw it: it is there
        this.realtime.adopt(output.connection, this.deps.warm.sessions.take(output.callSid));
        return;
      case 'keep-greeting':
        this.deps.warm.greetings?.keep(output.key, output.agentId, output.greeting);
        return;
      case 'set-timer':
        this.timers.set(output.timer, output.at);
        return;
      case 'clear-timer':
        this.timers.clear(output.timer);
        return;
      case 'ignored':
        this.ignored.note(output.source, output.reason, this.log);
        return;
      case 'log':
        this.log[output.level](output.fields ?? {}, output.message);
        return;
      case 'end':
        this.close(output.reason, output.detail);
        return;
    }
  }

  private claim(callSid: string, streamSid: string, history: boolean): void {
    this.claimed = callSid;
    this.meter.started(Date.now());
    this.twilio.started(streamSid);
    this.log = this.deps.log.child({ callSid, streamSid });
    this.log.info('stream started');
    this.deps.calls.claim(callSid, this);
    this.io.claim(callSid, history, this.log);
  }

  private cork(on: boolean): void {
    const sockets = [this.twilio.tcp, ...this.realtime.tcpSockets()];
    for (const socket of sockets) {
      if (on) socket.cork();
      else socket.uncork();
    }
  }

  /** The bridge ended the stream: every socket and timer of the call goes, Twilio's with the ending's code. */
  private close(reason: keyof typeof STREAM_ENDINGS, detail: string): void {
    this.timers.clearAll();
    this.realtime.closeAll();
    this.io.close();
    if (this.claimed !== undefined) this.deps.calls.release(this.claimed, this);
    this.slot.release();
    this.deps.metrics.streams.inc({ reason });
    this.log.info({ reason, detail }, 'stream ended');
    this.twilio.close(STREAM_ENDINGS[reason].code, detail);
  }
}
