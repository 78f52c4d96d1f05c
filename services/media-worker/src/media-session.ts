import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RegistryClient } from '@switchboard/bus';
import { CallNotFoundError } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import WebSocket, { type RawData } from 'ws';
import { CallBridge } from './bridge/call-bridge.js';
import { STREAM_ENDINGS } from './bridge/endings.js';
import type { TimerName } from './bridge/timers.js';
import type { BridgeInput, BridgeOutput } from './bridge/types.js';
import { decodeRealtimeFrame, encodeAppend, encodeRealtime } from './codecs/openai.js';
import { decodeTwilioFrame, TwilioEncoder } from './codecs/twilio.js';
import type { WorkerConfig } from './config.js';
import type { EventOutbox } from './event-outbox.js';
import type { LiveCalls } from './live-calls.js';
import { lookUpCall } from './lookup.js';
import { RELAY_SAMPLE_EVERY, type WorkerMetrics } from './metrics.js';
import { realtimeInput } from './realtime-input.js';
import { RealtimeLink } from './realtime-link.js';

/** After our close frame, how long Twilio gets to answer before the socket is destroyed. */
export const TWILIO_CLOSE_GRACE_MS = 2_000;

export interface SessionDeps {
  config: WorkerConfig;
  log: Logger;
  registry: Pick<RegistryClient, 'callBySid'>;
  outbox: EventOutbox;
  metrics: WorkerMetrics;
  calls: LiveCalls<MediaSession>;
}

/**
 * One call's media stream, carried out: it decodes Twilio's and the Realtime API's frames into bridge inputs,
 * and performs the bridge's outputs (send, dial, close, publish, look up, run timers). What the call is
 * doing, and when it is over, is the bridge's alone (bridge/call-bridge.ts).
 */
export class MediaSession {
  private log: Logger;
  private readonly bridge: CallBridge;
  private readonly realtime: RealtimeLink;
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();
  private encoder: TwilioEncoder | undefined;
  private claimed: string | undefined;
  private startedAt = 0;
  private firstAudioSent = false;
  /** Frames relayed either way, for sampling their relay time. */
  private relayed = 0;
  private readonly warned = new Set<string>();

  constructor(
    private readonly twilio: WebSocket,
    private readonly twilioTcp: Socket,
    private readonly deps: SessionDeps,
  ) {
    const { config } = deps;
    this.log = deps.log;
    this.bridge = new CallBridge({
      defaultModel: config.openai.defaultModel,
      transcriptionModel: config.openai.transcriptionModel,
      streamStartTimeoutMs: config.streamStartTimeoutMs,
      sessionReadyTimeoutMs: config.realtimeConnectTimeoutMs,
      sessionMaxMs: config.realtimeSessionMaxMs,
      maxHeldAudioMs: config.maxHeldAudioMs,
    });
    this.realtime = new RealtimeLink(
      { url: config.openai.realtimeUrl, apiKey: config.openai.apiKey },
      {
        onOpen: (connection) => this.feed({ kind: 'realtime-open', connection }),
        onFrame: (connection, frame) => this.onRealtimeFrame(connection, frame),
        onClose: (connection, detail) => this.feed({ kind: 'realtime-closed', connection, detail }),
      },
    );
    // With ws' default binaryType every message is one Buffer.
    twilio.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) this.ignored('twilio', 'binary frame');
      else this.onTwilioFrame(data as Buffer);
    });
    twilio.on('error', (err: Error) => this.log.debug({ err }, 'twilio socket error'));
    twilio.on('close', () => this.feed({ kind: 'twilio-closed' }));
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
    const message = decodeTwilioFrame(frame);
    switch (message.event) {
      case 'media':
        this.relay('caller_to_agent', {
          kind: 'caller-audio',
          payload: message.payload,
          timestampMs: message.timestampMs,
        });
        return;
      case 'mark':
        this.feed({ kind: 'mark-echoed', name: message.name });
        return;
      case 'start': {
        const { callSid, customParameters } = message.start;
        this.feed({
          kind: 'twilio-start',
          callSid,
          streamSid: message.streamSid,
          callSidParameter: customParameters.callSid,
        });
        return;
      }
      case 'dtmf': {
        const sequenceNumber =
          message.sequenceNumber === undefined ? undefined : String(message.sequenceNumber);
        this.feed({ kind: 'caller-dtmf', digit: message.dtmf.digit, sequenceNumber });
        return;
      }
      case 'stop':
        this.feed({ kind: 'twilio-stopped' });
        return;
      case 'connected':
        return;
      case '#unknown':
        this.log.debug({ event: message.name }, 'twilio event ignored');
        return;
      case '#invalid':
        this.ignored('twilio', message.reason);
        return;
    }
  }

  private onRealtimeFrame(connection: number, frame: Buffer): void {
    const event = decodeRealtimeFrame(frame);
    if (event.type === '#invalid') {
      this.ignored('realtime', event.reason);
      return;
    }
    const input = realtimeInput(event, connection, this.log);
    if (input === undefined) return;
    if (input.kind === 'agent-audio') this.relay('agent_to_caller', input);
    else this.feed(input);
  }

  /** The hot path, both ways; one frame in RELAY_SAMPLE_EVERY has its time in the bridge measured. */
  private relay(direction: 'caller_to_agent' | 'agent_to_caller', input: BridgeInput): void {
    if (++this.relayed % RELAY_SAMPLE_EVERY !== 0) {
      this.feed(input);
      return;
    }
    const t0 = performance.now();
    this.feed(input);
    this.deps.metrics.relaySeconds.observe({ direction }, (performance.now() - t0) / 1000);
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
        if (this.realtime.send(output.connection, encodeAppend(output.payload)))
          metrics.frames.callerToAgent++;
        return;
      case 'twilio-audio':
        this.sendTwilioAudio(output.payload, output.mark);
        return;
      case 'twilio':
        if (output.message.event === 'clear') metrics.bargeIns.inc();
        this.sendTwilio(JSON.stringify(output.message));
        return;
      case 'realtime':
        if (!this.realtime.send(output.connection, encodeRealtime(output.message))) {
          this.log.debug({ type: output.message.type }, 'realtime socket not open: event not sent');
        }
        return;
      case 'publish':
        this.deps.outbox.publish(output.event, output.msgId);
        return;
      case 'claim':
        this.claim(output.callSid, output.streamSid);
        return;
      case 'dial':
        metrics.realtimeDials.inc({ purpose: output.purpose });
        this.realtime.dial(output.connection, output.model);
        return;
      case 'close-realtime':
        this.realtime.close(output.connection);
        return;
      case 'set-timer':
        this.setTimer(output.timer, output.at);
        return;
      case 'clear-timer':
        clearTimeout(this.timers.get(output.timer));
        this.timers.delete(output.timer);
        return;
      case 'ignored':
        this.ignored(output.source, output.reason);
        return;
      case 'log':
        this.log[output.level](output.fields ?? {}, output.message);
        return;
      case 'end':
        this.close(output.reason, output.detail);
        return;
    }
  }

  private claim(callSid: string, streamSid: string): void {
    this.claimed = callSid;
    this.startedAt = Date.now();
    this.encoder = new TwilioEncoder(streamSid);
    this.log = this.deps.log.child({ callSid, streamSid });
    this.log.info('stream started');
    this.deps.calls.claim(callSid, this);
    const { registry, config } = this.deps;
    lookUpCall(registry, callSid, config.lookupTimeoutMs, this.log).then(
      (call) => this.feed({ kind: 'call-found', agent: call.agent }),
      (err: unknown) => {
        const notFound = err instanceof CallNotFoundError;
        if (notFound) this.log.warn('stream for an unknown call');
        else this.log.error({ err }, 'call lookup failed');
        this.feed({ kind: 'lookup-failed', notFound });
      },
    );
  }

  private setTimer(timer: TimerName, at: number): void {
    clearTimeout(this.timers.get(timer));
    const handle = setTimeout(
      () => {
        this.timers.delete(timer);
        this.feed({ kind: 'timer-fired', timer });
      },
      Math.max(0, at - Date.now()),
    );
    this.timers.set(timer, handle);
  }

  private sendTwilioAudio(payload: Uint8Array, mark: string): void {
    const encoder = this.encoder;
    if (encoder === undefined || this.twilio.readyState !== WebSocket.OPEN) return;
    this.twilio.send(encoder.media(payload), { binary: false });
    this.twilio.send(encoder.mark(mark));
    this.deps.metrics.frames.agentToCaller++;
    if (!this.firstAudioSent) {
      this.firstAudioSent = true;
      this.deps.metrics.firstAudioSeconds.observe((Date.now() - this.startedAt) / 1000);
    }
  }

  private sendTwilio(text: string): void {
    if (this.twilio.readyState === WebSocket.OPEN) this.twilio.send(text);
  }

  private cork(on: boolean): void {
    const sockets = [this.twilioTcp, ...this.realtime.tcpSockets()];
    for (const socket of sockets) {
      if (on) socket.cork();
      else socket.uncork();
    }
  }

  private ignored(source: 'twilio' | 'realtime', reason: string): void {
    this.deps.metrics.badFrames.inc({ source });
    const key = `${source}:${reason}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn({ source, reason }, 'frame ignored');
  }

  /** The bridge ended the stream: every socket and timer of the call goes, Twilio's with the ending's code. */
  private close(reason: keyof typeof STREAM_ENDINGS, detail: string): void {
    for (const handle of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
    this.realtime.closeAll();
    if (this.claimed !== undefined) this.deps.calls.release(this.claimed, this);
    this.deps.metrics.streams.inc({ reason });
    this.log.info({ reason, detail }, 'stream ended');
    const state = this.twilio.readyState;
    if (state === WebSocket.OPEN || state === WebSocket.CONNECTING) {
      this.twilio.close(STREAM_ENDINGS[reason].code, closeReason(detail));
      setTimeout(() => this.twilio.terminate(), TWILIO_CLOSE_GRACE_MS).unref();
    }
  }
}

/** A WebSocket close reason may hold 123 bytes of UTF-8: cut by bytes, never inside a character. */
function closeReason(text: string): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= 123) return text;
  return bytes
    .subarray(0, 123)
    .toString()
    .replace(/\uFFFD$/, '');
}
