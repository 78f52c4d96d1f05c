import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RegistryClient } from '@switchboard/bus';
import {
  type Call,
  type CallEvent,
  CallNotFoundError,
  CallSid,
  type RealtimeClientEvent,
  SwitchboardError,
  type TwilioOutboundMessage,
  type TwilioStartMessage,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import WebSocket, { type RawData } from 'ws';
import { CallBridge } from './bridge/call-bridge.js';
import type { BridgeInput, BridgeOutput } from './bridge/types.js';
import { encodeRealtime } from './codecs/openai.js';
import { decodeTwilioFrame, encodeTwilio } from './codecs/twilio.js';
import type { WorkerConfig } from './config.js';
import { EventGate } from './event-gate.js';
import type { EventOutbox } from './event-outbox.js';
import type { LiveCalls } from './live-calls.js';
import { RELAY_SAMPLE_EVERY, type WorkerMetrics } from './metrics.js';
import { realtimeInput } from './realtime-input.js';
import { RealtimeLink } from './realtime-link.js';
import { type EndOutcome, STREAM_ENDINGS } from './stream-endings.js';

/** After the agent asks to hang up, how long its queued audio may take to play before the stream closes. */
export const END_CALL_MAX_WAIT_MS = 30_000;
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
 * One call's media: the Twilio socket, the link to the Realtime API, and the call bridge between them.
 * This class only moves bytes and runs the call's lifecycle (lookup, end); the Realtime socket's own
 * (dial, reconnect) is the link's, and what to send when is the bridge's business.
 */
export class MediaSession {
  private log: Logger;
  private bridge: CallBridge | undefined;
  private callSid = '';
  private streamSid = '';
  private startedAt = 0;
  private realtime: RealtimeLink | undefined;
  private endCallTimer: NodeJS.Timeout | undefined;
  /** Until Twilio's `start`: a socket that never says which call it carries must not hold a slot. */
  private readonly startTimer: NodeJS.Timeout;
  private ended = false;
  private readonly events: EventGate;
  private firstAudioSent = false;
  private framesIn = 0;
  private dtmfCount = 0;
  private readonly warned = new Set<string>();

  constructor(
    private readonly twilio: WebSocket,
    private readonly twilioTcp: Socket,
    private readonly deps: SessionDeps,
  ) {
    this.log = deps.log;
    this.events = new EventGate((event, msgId) => deps.outbox.publish(event, msgId));
    twilio.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) this.badFrame('twilio', 'binary frame');
      else this.onTwilioFrame(data.toString());
    });
    twilio.on('error', (err: Error) => this.log.debug({ err }, 'twilio socket error'));
    twilio.on('close', () => this.end('twilio_closed'));
    this.startTimer = setTimeout(() => this.end('no_start'), deps.config.streamStartTimeoutMs);
  }

  /** A newer stream for the same call took over. */
  replace(): void {
    this.end('replaced');
  }

  /** The worker is shutting down and the drain time is over. */
  shutDown(): void {
    this.end('drained');
  }

  private onTwilioFrame(text: string): void {
    const frame = decodeTwilioFrame(text);
    switch (frame.event) {
      case 'media':
        if (this.bridge === undefined) this.badFrame('twilio', 'media before start');
        else this.onCallerAudio(frame.media.payload, Number(frame.media.timestamp));
        break;
      case 'mark':
        this.feed({ kind: 'mark-echoed', name: frame.mark.name });
        break;
      case 'start':
        this.onStart(frame);
        break;
      case 'dtmf':
        if (this.bridge === undefined) this.badFrame('twilio', 'dtmf before start');
        else this.onDtmf(frame.dtmf.digit, frame.sequenceNumber);
        break;
      case 'stop':
        this.end('stopped');
        break;
      case 'connected':
        break;
      case '#unknown':
        this.log.debug({ event: frame.name }, 'twilio event ignored');
        break;
      case '#invalid':
        this.badFrame('twilio', frame.reason);
        break;
    }
  }

  /** The hot path from the caller: one frame in, one `input_audio_buffer.append` out (or held). */
  private onCallerAudio(payload: string, timestampMs: number): void {
    if (++this.framesIn % RELAY_SAMPLE_EVERY !== 0) {
      this.feed({ kind: 'caller-audio', payload, timestampMs });
      return;
    }
    const t0 = performance.now();
    this.feed({ kind: 'caller-audio', payload, timestampMs });
    this.deps.metrics.relaySeconds.observe({ direction: 'caller_to_agent' }, (performance.now() - t0) / 1000);
  }

  private onDtmf(digit: string, sequenceNumber: string | number | undefined): void {
    this.publish(
      { kind: 'dtmf', callSid: this.callSid, streamSid: this.streamSid, digit, at: new Date().toISOString() },
      `dtmf:${this.callSid}:${this.streamSid}:${sequenceNumber ?? `n${++this.dtmfCount}`}`,
    );
  }

  private onStart(message: TwilioStartMessage): void {
    if (this.bridge !== undefined || this.ended) {
      this.badFrame('twilio', 'second start');
      return;
    }
    clearTimeout(this.startTimer);
    const { callSid, customParameters } = message.start;
    this.streamSid = message.streamSid;
    this.log = this.deps.log.child({ callSid, streamSid: this.streamSid });
    if (customParameters.callSid !== callSid || !CallSid.safeParse(callSid).success) {
      const reason =
        customParameters.callSid === undefined
          ? 'the stream has no callSid parameter'
          : 'the callSid parameter does not match the call of the stream';
      this.end('bad_start', reason);
      return;
    }
    this.callSid = callSid;
    this.startedAt = Date.now();
    const { config } = this.deps;
    this.bridge = new CallBridge({
      callSid,
      streamSid: this.streamSid,
      streamStartedAt: this.startedAt,
      transcriptionModel: config.openai.transcriptionModel,
      maxHeldAudioMs: config.maxHeldAudioMs,
    });
    this.deps.calls.claim(callSid, this);
    this.log.info('stream started');
    // The Realtime socket is dialled while the lookup runs.
    this.realtime = new RealtimeLink(
      { config, metrics: this.deps.metrics, log: this.log },
      {
        onUsable: () => this.feed({ kind: 'realtime-open' }),
        onFrame: (text) => this.onRealtimeFrame(text),
        onLost: () => this.feed({ kind: 'realtime-lost' }),
        onFailed: () => this.end('realtime_failed'),
      },
    );
    void this.lookUp();
  }

  private async lookUp(): Promise<void> {
    let call: Call;
    try {
      call = await this.lookUpWithRetry();
    } catch (err) {
      this.events.shut();
      if (this.ended) return;
      if (err instanceof CallNotFoundError) {
        this.log.warn('stream for an unknown call');
        return this.end('unknown_call');
      }
      this.log.error({ err }, 'call lookup failed');
      return this.end('lookup_failed');
    }
    // Events of a stream that ended while the lookup ran (stopped, ended) follow its start.
    this.events.open({
      event: {
        kind: 'stream',
        action: 'started',
        callSid: this.callSid,
        streamSid: this.streamSid,
        at: new Date(this.startedAt).toISOString(),
      },
      msgId: `stream:${this.callSid}:${this.streamSid}:started`,
    });
    if (this.ended) return;
    this.feed({ kind: 'call-found', agent: call.agent });
    this.realtime?.useModel(call.agent.model);
  }

  private async lookUpWithRetry(): Promise<Call> {
    const timeoutMs = this.deps.config.lookupTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.registry.callBySid({ callSid: this.callSid }, { timeoutMs });
      } catch (err) {
        if (attempt >= 2 || this.ended || !(err instanceof SwitchboardError) || !err.retryable) throw err;
        this.log.warn({ err }, 'call lookup failed, trying again');
      }
    }
  }

  private onRealtimeFrame(text: string): void {
    const input = realtimeInput(text, this.log);
    if (input === undefined) return;
    if (input === 'bad') {
      this.badFrame('realtime', 'malformed event');
      return;
    }
    if (input.kind === 'realtime-ready') this.realtime?.sessionReady();
    if (input.kind === 'end-call-requested') {
      this.log.info('agent asked to end the call');
      this.endCallTimer ??= setTimeout(() => this.end('agent_ended'), END_CALL_MAX_WAIT_MS);
    }
    if (input.kind === 'agent-audio' && ++this.framesIn % RELAY_SAMPLE_EVERY === 0) {
      const t0 = performance.now();
      this.feed(input);
      this.deps.metrics.relaySeconds.observe(
        { direction: 'agent_to_caller' },
        (performance.now() - t0) / 1000,
      );
      return;
    }
    this.feed(input);
  }

  private feed(input: BridgeInput): void {
    const bridge = this.bridge;
    if (bridge === undefined || this.ended) return;
    this.apply(bridge.handle(input, Date.now()));
  }

  /** Carries out the bridge's outputs in order; several frames leave each socket in one write. */
  private apply(outputs: BridgeOutput[]): void {
    if (outputs.length === 0) return;
    const rtTcp = this.realtime?.tcp;
    const cork = outputs.length > 1;
    if (cork) {
      this.twilioTcp.cork();
      rtTcp?.cork();
    }
    try {
      for (const output of outputs) {
        switch (output.to) {
          case 'twilio':
            this.sendTwilio(output.message);
            break;
          case 'realtime':
            this.sendRealtime(output.message);
            break;
          case 'events':
            this.publish(output.event, output.msgId);
            break;
          case 'end':
            this.end(output.cause === 'agent-hung-up' ? 'agent_ended' : 'realtime_not_ready', output.reason);
            break;
        }
      }
    } finally {
      if (cork) {
        this.twilioTcp.uncork();
        rtTcp?.uncork();
      }
    }
  }

  private sendTwilio(message: TwilioOutboundMessage): void {
    if (this.twilio.readyState !== WebSocket.OPEN) return;
    this.twilio.send(encodeTwilio(message));
    if (message.event === 'media') {
      this.deps.metrics.frames.agentToCaller++;
      if (!this.firstAudioSent) {
        this.firstAudioSent = true;
        this.deps.metrics.firstAudioSeconds.observe((Date.now() - this.startedAt) / 1000);
      }
    } else if (message.event === 'clear') {
      this.deps.metrics.bargeIns.inc();
      this.log.debug('caller barged in');
    }
  }

  private sendRealtime(message: RealtimeClientEvent): void {
    if (this.realtime?.send(encodeRealtime(message))) {
      if (message.type === 'input_audio_buffer.append') this.deps.metrics.frames.callerToAgent++;
    } else {
      this.log.debug({ type: message.type }, 'realtime socket not open: event not sent');
    }
  }

  private publish(event: CallEvent, msgId: string): void {
    this.events.send(event, msgId);
  }

  private badFrame(source: 'twilio' | 'realtime', reason: string): void {
    this.deps.metrics.badFrames.inc({ source });
    const key = `${source}:${reason}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn({ source, reason }, 'frame ignored');
  }

  /** Ends everything for the call, once: the Realtime socket, timers, buffers, the Twilio socket. */
  private end(outcome: EndOutcome, reason: string = STREAM_ENDINGS[outcome].reason): void {
    if (this.ended) return;
    this.ended = true;
    const { code, publishEnded } = STREAM_ENDINGS[outcome];
    clearTimeout(this.startTimer);
    clearTimeout(this.endCallTimer);
    this.deps.metrics.streams.inc({ outcome });
    this.log.info({ outcome, reason }, 'stream ended');
    if (this.callSid !== '') this.deps.calls.release(this.callSid, this);
    this.realtime?.close();
    this.realtime = undefined;
    this.bridge = undefined;
    if (this.callSid !== '') {
      const at = new Date().toISOString();
      this.publish(
        { kind: 'stream', action: 'stopped', callSid: this.callSid, streamSid: this.streamSid, at },
        `stream:${this.callSid}:${this.streamSid}:stopped`,
      );
      if (publishEnded) {
        this.publish(
          { kind: 'ended', callSid: this.callSid, reason, at },
          `ended:${this.callSid}:${this.streamSid}`,
        );
      }
    }
    if (this.twilio.readyState === WebSocket.OPEN || this.twilio.readyState === WebSocket.CONNECTING) {
      this.twilio.close(code, reason.slice(0, 120));
      setTimeout(() => this.twilio.terminate(), TWILIO_CLOSE_GRACE_MS).unref();
    }
  }
}
