import { randomBytes } from 'node:crypto';
import {
  base64ByteLength,
  MULAW_BYTES_PER_MS,
  RealtimeClientEvent,
  type RealtimeServerEvent,
  type RealtimeSessionConfig,
} from '@switchboard/contracts';
import WebSocket from 'ws';

/** What the fake says in one response. */
export interface FakeResponseScript {
  /**
   * Audio chunks (base64 mu-law), each sent as one `response.output_audio.delta`; or a function giving the
   * chunk at an index (undefined when the response is over), for audio made at the moment it is sent.
   */
  audio: readonly string[] | ((index: number) => string | undefined);
  transcript?: string;
  /** Between chunks; 0 (default) sends them all at once, faster than real time, as OpenAI does. */
  chunkIntervalMs?: number;
  /** A function call item after the audio (`end_call`, say). */
  functionCall?: FakeFunctionCall;
  /**
   * Function calls after the audio (or alone, when `audio` is empty and there is no transcript), in order,
   * each as the API says it: its item added, its arguments (delta, done), its item done.
   */
  functionCalls?: readonly FakeFunctionCall[];
}

/** A function call the fake model makes; `callId` is generated unless given. */
export interface FakeFunctionCall {
  name: string;
  /** JSON text, as the model writes it (default `{}`). */
  arguments?: string;
  callId?: string;
}

export interface FakeSessionHooks {
  /** Picks the script of each response the session plays (on `response.create` or a VAD turn). */
  script(session: FakeRealtimeSession): FakeResponseScript;
  /** Caller audio that makes the fake hear the caller say something. */
  speechTrigger: { payload: string; transcript: string; respond: boolean } | undefined;
  recordAudio: boolean;
  onCallerAudio: ((session: FakeRealtimeSession, audio: string) => void) | undefined;
  onEvent: ((session: FakeRealtimeSession, event: RealtimeClientEvent) => void) | undefined;
  /** Whether `session.update` goes unanswered, as from a session that never comes up. */
  stalled(): boolean;
  sessionMaxMs: number | undefined;
  /** From `session.update` to `session.updated` (FakeRealtimeDelays). */
  sessionUpdatedMs: number;
  /** From a response's start to its first audio delta. */
  firstAudioMs: number;
}

interface ActiveResponse {
  id: string;
  itemId: string;
  script: FakeResponseScript;
  sent: number;
  transcriptSent: string;
  timer: NodeJS.Timeout | undefined;
}

/** `usage` of a transcription (the published schema requires it); the fake's cost nothing. */
const TRANSCRIPTION_USAGE = { type: 'tokens', input_tokens: 0, output_tokens: 0, total_tokens: 0 };

/** How long after scripted speech the fake's "VAD" ends the turn. */
const VAD_SILENCE_MS = 50;

/** Ids unique in this process: a random prefix, then a counter (cheap enough for every audio delta). */
const ID_PREFIX = randomBytes(4).toString('hex');
let idCounter = 0;
const id = (prefix: string) => `${prefix}_${ID_PREFIX}${(++idCounter).toString(36)}`;

/**
 * One Realtime session on the fake server: it answers `session.update`, streams scripted responses, hears
 * the caller when told to (or on scripted audio), handles cancel / truncate / delete like the real API,
 * and records everything it received.
 */
export class FakeRealtimeSession {
  readonly id = id('sess');
  /** Parsed client events, in order (audio appends only when `recordAudio`). */
  readonly received: RealtimeClientEvent[] = [];
  /** Frames that were not valid client events. */
  readonly invalid: string[] = [];
  /** Caller audio appended, in order (when `recordAudio`). */
  readonly audio: string[] = [];
  /** The function calls this session's model made, in order. */
  readonly calls: Array<{ callId: string; name: string; arguments: string }> = [];
  config: RealtimeSessionConfig | undefined;
  /** Milliseconds of caller audio appended so far (mu-law). */
  audioMs = 0;
  private response: ActiveResponse | undefined;
  private readonly audioMsByItem = new Map<string, number>();
  /** Items the client added (`conversation.item.create`), by id: they can be deleted too. */
  private readonly createdItems = new Set<string>();
  private speechItem: string | undefined;
  /** Answers held back by a delay (`session.updated`), cleared when the socket closes. */
  private readonly delayed = new Set<NodeJS.Timeout>();
  closed = false;

  constructor(
    readonly model: string,
    private readonly ws: WebSocket,
    private readonly hooks: FakeSessionHooks,
  ) {
    ws.on('message', (data) => this.onMessage(data.toString()));
    const maxMs = hooks.sessionMaxMs;
    const expiry = maxMs === undefined ? undefined : setTimeout(() => this.expire(maxMs), maxMs);
    ws.on('close', () => {
      this.closed = true;
      clearTimeout(this.response?.timer);
      clearTimeout(expiry);
      for (const timer of this.delayed) clearTimeout(timer);
      this.delayed.clear();
    });
    const session: Record<string, unknown> = { id: this.id, object: 'realtime.session', type: 'realtime' };
    if (maxMs !== undefined) session.expires_at = Math.floor((Date.now() + maxMs) / 1000);
    this.emit({ type: 'session.created', event_id: id('event'), session });
  }

  /** The session's time is up: OpenAI says so in an `error`, then closes the socket with 1001. */
  private expire(maxMs: number): void {
    const message = `Your session hit the maximum duration of ${formatDuration(maxMs)}.`;
    this.emit({
      type: 'error',
      event_id: id('event'),
      error: { type: 'invalid_request_error', code: 'session_expired', message, param: null, event_id: null },
    });
    this.ws.close(1001, message);
  }

  /** The active response's id, if one is streaming. */
  get activeResponseId(): string | undefined {
    return this.response?.id;
  }

  /** Sends a server event as is. */
  emit(event: RealtimeServerEvent | Record<string, unknown>): void {
    this.emitRaw(JSON.stringify(event));
  }

  /** Sends a text frame as is (for malformed events too). */
  emitRaw(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /**
   * Server VAD heard the caller start speaking: `speech_started` at the audio received so far, and (as the
   * real API does with `interrupt_response`) the running response is cancelled. Returns the user item id.
   */
  speechStarted(audioStartMs = this.audioMs): string {
    const itemId = id('item');
    this.speechItem = itemId;
    this.emit({
      type: 'input_audio_buffer.speech_started',
      event_id: id('event'),
      audio_start_ms: audioStartMs,
      item_id: itemId,
    });
    const vad = this.config?.audio?.input?.turn_detection;
    if (this.response && vad && vad.interrupt_response !== false)
      this.finishResponse('cancelled', 'turn_detected');
    return itemId;
  }

  /** The caller stopped speaking and said `transcript`: commit, transcription, and a response if asked. */
  speechStopped(transcript: string, { respond = false } = {}): string {
    const itemId = this.speechItem ?? this.speechStarted();
    this.speechItem = undefined;
    this.emit({
      type: 'input_audio_buffer.speech_stopped',
      event_id: id('event'),
      audio_end_ms: this.audioMs,
      item_id: itemId,
    });
    this.emit({ type: 'input_audio_buffer.committed', event_id: id('event'), item_id: itemId });
    this.emit({
      type: 'conversation.item.input_audio_transcription.completed',
      event_id: id('event'),
      item_id: itemId,
      content_index: 0,
      transcript,
      usage: TRANSCRIPTION_USAGE,
    });
    if (respond && !this.response) this.startResponse();
    return itemId;
  }

  /** Starts streaming a response (the hooks' script unless given). Returns its id. */
  startResponse(script: FakeResponseScript = this.hooks.script(this)): string {
    const response: ActiveResponse = {
      id: id('resp'),
      itemId: id('item'),
      script,
      sent: 0,
      transcriptSent: '',
      timer: undefined,
    };
    this.response = response;
    this.emit({
      type: 'response.created',
      event_id: id('event'),
      response: { id: response.id, status: 'in_progress' },
    });
    if (speaks(script)) {
      this.emit({
        type: 'response.output_item.added',
        event_id: id('event'),
        response_id: response.id,
        output_index: 0,
        item: { id: response.itemId, type: 'message', role: 'assistant', status: 'in_progress', content: [] },
      });
    }
    this.streamChunks(response);
    return response.id;
  }

  /** Milliseconds of audio an assistant item has, as sent. */
  itemAudioMs(itemId: string): number | undefined {
    return this.audioMsByItem.get(itemId);
  }

  /** Drops the connection without a close frame, as a network failure would. */
  drop(): void {
    this.ws.terminate();
  }

  /** Received events of one type. */
  eventsOf<T extends RealtimeClientEvent['type']>(type: T): Array<Extract<RealtimeClientEvent, { type: T }>> {
    return this.received.filter((e): e is Extract<RealtimeClientEvent, { type: T }> => e.type === type);
  }

  private streamChunks(response: ActiveResponse): void {
    const { audio, chunkIntervalMs = 0, transcript = '' } = response.script;
    const chunkAt = typeof audio === 'function' ? audio : (i: number) => audio[i];
    const part = { response_id: response.id, item_id: response.itemId, output_index: 0, content_index: 0 };
    const sendOne = (): boolean => {
      if (this.response !== response || this.closed) return false;
      const chunk = chunkAt(response.sent);
      if (chunk === undefined) {
        this.finishResponse('completed');
        return false;
      }
      if (response.sent === 0 && transcript) {
        response.transcriptSent = transcript;
        this.emit({
          type: 'response.output_audio_transcript.delta',
          event_id: id('event'),
          ...part,
          delta: transcript,
        });
      }
      // Built by hand: this is most of what the fake sends, and load tests should measure the server.
      this.emitRaw(
        `{"type":"response.output_audio.delta","event_id":"${id('event')}","response_id":"${response.id}","item_id":"${response.itemId}","output_index":0,"content_index":0,"delta":"${chunk}"}`,
      );
      const ms = base64ByteLength(chunk) / MULAW_BYTES_PER_MS;
      this.audioMsByItem.set(response.itemId, (this.audioMsByItem.get(response.itemId) ?? 0) + ms);
      response.sent++;
      return true;
    };
    const stream = () => {
      if (chunkIntervalMs > 0) {
        const tick = () => {
          if (sendOne()) response.timer = setTimeout(tick, chunkIntervalMs);
        };
        tick();
      } else {
        while (sendOne()) {
          // all at once, faster than real time
        }
      }
    };
    // The model takes a moment before it speaks; a cancel meanwhile clears the timer (finishResponse).
    if (this.hooks.firstAudioMs > 0) response.timer = setTimeout(stream, this.hooks.firstAudioMs);
    else stream();
  }

  private finishResponse(status: 'completed' | 'cancelled', reason?: string): void {
    const response = this.response;
    if (!response) return;
    clearTimeout(response.timer);
    this.response = undefined;
    const part = { response_id: response.id, item_id: response.itemId, output_index: 0, content_index: 0 };
    const transcript = status === 'completed' ? (response.script.transcript ?? '') : response.transcriptSent;
    const spoke = speaks(response.script);
    if (spoke) {
      this.emit({ type: 'response.output_audio.done', event_id: id('event'), ...part });
      this.emit({
        type: 'response.output_audio_transcript.done',
        event_id: id('event'),
        ...part,
        transcript,
      });
      this.emit({
        type: 'response.output_item.done',
        event_id: id('event'),
        response_id: response.id,
        output_index: 0,
        item: {
          id: response.itemId,
          type: 'message',
          role: 'assistant',
          status: status === 'completed' ? 'completed' : 'incomplete',
          content: [{ type: 'output_audio', transcript }],
        },
      });
    }
    if (status === 'completed') {
      const { functionCall, functionCalls = [] } = response.script;
      const calls = functionCall ? [functionCall, ...functionCalls] : functionCalls;
      calls.forEach((call, i) => {
        this.emitFunctionCall(response.id, (spoke ? 1 : 0) + i, call);
      });
    }
    this.emit({
      type: 'response.done',
      event_id: id('event'),
      // The published schema has `status_details` as an object or absent, never null.
      response: {
        id: response.id,
        status,
        ...(status === 'cancelled' && { status_details: { type: 'cancelled', reason } }),
      },
    });
  }

  /** A function call as the GA API streams it: item added, arguments delta and done, item done. */
  private emitFunctionCall(responseId: string, outputIndex: number, call: FakeFunctionCall): void {
    const itemId = id('item');
    const callId = call.callId ?? id('call');
    const args = call.arguments ?? '{}';
    const at = { response_id: responseId, output_index: outputIndex };
    const item = {
      id: itemId,
      object: 'realtime.item',
      type: 'function_call',
      call_id: callId,
      name: call.name,
    };
    this.emit({
      type: 'response.output_item.added',
      event_id: id('event'),
      ...at,
      item: { ...item, status: 'in_progress', arguments: '' },
    });
    const part = { ...at, item_id: itemId, call_id: callId };
    this.emit({
      type: 'response.function_call_arguments.delta',
      event_id: id('event'),
      ...part,
      delta: args,
    });
    this.emit({
      type: 'response.function_call_arguments.done',
      event_id: id('event'),
      ...part,
      name: call.name,
      arguments: args,
    });
    this.emit({
      type: 'response.output_item.done',
      event_id: id('event'),
      ...at,
      item: { ...item, status: 'completed', arguments: args },
    });
    this.calls.push({ callId, name: call.name, arguments: args });
  }

  /** The `function_call_output`s the client gave, by call id. */
  functionOutputs(): Map<string, string> {
    const outputs = new Map<string, string>();
    for (const event of this.eventsOf('conversation.item.create')) {
      if (event.item.type === 'function_call_output') outputs.set(event.item.call_id, event.item.output);
    }
    return outputs;
  }

  private onMessage(text: string): void {
    // Appends are most of the traffic: a cheap look before the schema.
    if (text.startsWith('{"type":"input_audio_buffer.append"')) {
      const raw = JSON.parse(text) as { type: 'input_audio_buffer.append'; audio: string };
      this.onAppend(raw.audio, raw);
      return;
    }
    let parsed: ReturnType<typeof RealtimeClientEvent.safeParse> | undefined;
    try {
      parsed = RealtimeClientEvent.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.invalid.push(text);
      this.emit(errorEvent('invalid_event', parsed?.error.issues[0]?.message ?? 'not JSON'));
      return;
    }
    const event = parsed.data;
    if (event.type === 'input_audio_buffer.append') {
      this.onAppend(event.audio, event);
      return;
    }
    this.received.push(event);
    this.hooks.onEvent?.(this, event);
    const reply = this.answer(event);
    if (reply) this.emit(reply);
  }

  /** What the real API answers to a client event (besides a response it starts streaming). */
  private answer(event: RealtimeClientEvent): Record<string, unknown> | undefined {
    switch (event.type) {
      case 'session.update':
        this.config = { ...this.config, ...event.session };
        if (this.hooks.stalled()) return undefined;
        return this.later(this.hooks.sessionUpdatedMs, {
          type: 'session.updated',
          event_id: id('event'),
          session: { id: this.id, object: 'realtime.session', ...this.config },
        });
      case 'response.create':
        if (this.response) {
          return errorEvent('conversation_already_has_active_response', 'a response is in progress');
        }
        this.startResponse();
        return undefined;
      case 'response.cancel':
        if (!this.response || (event.response_id && event.response_id !== this.response.id)) {
          return errorEvent('response_cancel_not_active', 'no active response found');
        }
        this.finishResponse('cancelled', 'client_cancelled');
        return undefined;
      case 'conversation.item.truncate': {
        const ms = this.audioMsByItem.get(event.item_id);
        if (ms === undefined) return errorEvent('item_not_found', 'no such item');
        if (event.audio_end_ms > ms)
          return errorEvent('invalid_value', 'audio_end_ms is past the end of the audio');
        return {
          type: 'conversation.item.truncated',
          event_id: id('event'),
          item_id: event.item_id,
          content_index: event.content_index,
          audio_end_ms: event.audio_end_ms,
        };
      }
      case 'conversation.item.create': {
        // GA answers with the item as added (with its id), then done.
        const item = { id: id('item'), object: 'realtime.item', status: 'completed', ...event.item };
        this.createdItems.add(item.id);
        const previous_item_id = event.previous_item_id ?? null;
        this.emit({ type: 'conversation.item.added', event_id: id('event'), previous_item_id, item });
        return { type: 'conversation.item.done', event_id: id('event'), previous_item_id, item };
      }
      case 'conversation.item.delete':
        if (!this.audioMsByItem.delete(event.item_id) && !this.createdItems.delete(event.item_id))
          return errorEvent('item_not_found', 'no such item');
        return { type: 'conversation.item.deleted', event_id: id('event'), item_id: event.item_id };
      default:
        return undefined;
    }
  }

  /** `event` now (returned, for the caller to send) or after `ms` (sent then, if still open). */
  private later(ms: number, event: Record<string, unknown>): Record<string, unknown> | undefined {
    if (ms <= 0) return event;
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.emit(event);
    }, ms);
    this.delayed.add(timer);
    return undefined;
  }

  private onAppend(audio: string, event: RealtimeClientEvent): void {
    const startMs = this.audioMs;
    this.audioMs += base64ByteLength(audio) / MULAW_BYTES_PER_MS;
    if (this.hooks.recordAudio) {
      this.received.push(event);
      this.audio.push(audio);
    }
    this.hooks.onCallerAudio?.(this, audio);
    const trigger = this.hooks.speechTrigger;
    if (trigger && audio === trigger.payload) {
      // Speech starts with this frame; the turn ends after a little silence, as server VAD's would.
      this.speechStarted(startMs);
      setTimeout(() => this.speechStopped(trigger.transcript, { respond: trigger.respond }), VAD_SILENCE_MS);
    }
  }
}

/** Whether a response says anything (a message item): not one that only calls functions. */
function speaks(script: FakeResponseScript): boolean {
  const silent = Array.isArray(script.audio) && script.audio.length === 0 && !script.transcript;
  return !(silent && (script.functionCall !== undefined || (script.functionCalls?.length ?? 0) > 0));
}

function errorEvent(code: string, message: string): Record<string, unknown> {
  return { type: 'error', event_id: id('event'), error: { type: 'invalid_request_error', code, message } };
}

/** "60 minutes" as OpenAI words it; shorter limits (in tests) in seconds. */
function formatDuration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} minutes` : `${ms / 1000} seconds`;
}
