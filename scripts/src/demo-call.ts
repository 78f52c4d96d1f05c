import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Call, Transcript } from '@switchboard/contracts';
import { newCallSid, TwilioMediaClient } from '@switchboard/testkit';
import { BYTES_PER_MS, FRAME_BYTES, FRAME_MS, MULAW_SILENCE, mulawFrames, mulawRms } from './audio.js';
import { CallsApi, TwilioWebhooks } from './demo-webhooks.js';
import { parseStreamTwiml, sayText } from './twiml.js';

/**
 * One simulated inbound call through a running stack, exactly as Twilio places it: the signed voice
 * webhook, the TwiML's stream URL and parameters, a signed Media Streams WebSocket carrying the caller's
 * audio in real time (20 ms frames) while the agent's audio is played back at 1x with its marks echoed,
 * status callbacks, and `stop`. The caller starts talking while the agent's greeting is still playing, so
 * the barge-in path runs too.
 */

export interface DemoCallOptions {
  /** The gateway as this machine reaches it, e.g. http://127.0.0.1:3000. */
  gatewayUrl: string;
  /** PUBLIC_BASE_URL, which webhook signatures cover. */
  publicBaseUrl: string;
  authToken: string;
  /** A key of API_KEYS, to read the call and its transcript afterwards. */
  apiKey?: string | undefined;
  /** The caller's audio, 8 kHz mu-law. */
  callerAudio: Buffer;
  /** Dial the media stream here instead of the TwiML's URL (the signature still covers the TwiML's). */
  mediaDialUrl?: string | undefined;
  from?: string;
  to?: string;
  /** How long into the agent's greeting the caller starts talking. */
  bargeInAfterMs?: number;
  /** How long to wait for the agent to answer the caller. */
  answerTimeoutMs?: number;
  onProgress?: (event: DemoEvent) => void;
}

export type DemoEvent =
  | { kind: 'registered'; callSid: string; webhookToTwimlMs: number }
  | { kind: 'streaming'; streamUrl: string; parameters: Record<string, string> }
  | { kind: 'agent-speaking'; turn: number; afterStartMs: number }
  | { kind: 'caller-speaking'; audioMs: number }
  | { kind: 'barge-in'; afterCallerStartedMs: number }
  | { kind: 'ended'; callSid: string }
  | { kind: 'status'; status: string };

export interface DemoCallResult {
  callSid: string;
  timings: {
    webhookToTwimlMs: number;
    streamStartToFirstAgentAudioMs: number;
    /** From the caller's first word over the agent to Twilio's `clear`; undefined without a barge-in. */
    bargeInMs: number | undefined;
    /** From the caller's last word to the first audio of the agent's answer (the VAD's silence included). */
    callerEndToAnswerMs: number | undefined;
  };
  agentTurns: number;
  bargeIns: number;
  /** All agent audio the worker sent (mu-law), including what a barge-in cleared before it played. */
  agentAudio: Buffer;
  /** How much of it was cleared unplayed. */
  clearedMs: number;
  /** Read back through the API once the registry has it (needs `apiKey`). */
  call: Call | undefined;
  transcript: Transcript | undefined;
}

const DEFAULT_BARGE_IN_AFTER_MS = 1_000;
const DEFAULT_ANSWER_TIMEOUT_MS = 30_000;
/** Agent audio after a pause this long, with nothing left to play, starts a new turn. */
const NEW_TURN_GAP_MS = 300;
/** The agent counts as done once nothing has been queued or played for this long. */
const AGENT_DONE_QUIET_MS = 800;
/** A frame louder than this (RMS, 16-bit scale) has speech in it. */
const LOUD_RMS = 500;
/** How long to wait for the registry to have the transcript after the call. */
const TRANSCRIPT_WAIT_MS = 15_000;

export async function placeDemoCall(options: DemoCallOptions): Promise<DemoCallResult> {
  const progress = options.onProgress ?? (() => undefined);
  const callSid = newCallSid();
  const twilio = new TwilioWebhooks(options.gatewayUrl, options.publicBaseUrl, options.authToken);

  const voice = await twilio.voice({
    callSid,
    from: options.from ?? '+15551230000',
    to: options.to ?? '+15559870000',
  });
  const stream = parseStreamTwiml(voice.twiml);
  if (!stream)
    throw new Error(`the gateway answered without a stream: ${sayText(voice.twiml) ?? voice.twiml}`);
  progress({ kind: 'registered', callSid, webhookToTwimlMs: voice.ms });

  // Agent audio as it arrives: turns start on the first audio after a quiet spell or a clear.
  const agentChunks: Buffer[] = [];
  let agentTurns = 0;
  let lastAgentAudioAt = 0;
  let clearedMs = 0;
  let firstAudioAt: number | undefined;
  let answerAt: number | undefined;
  let callerWordsEndedAt: number | undefined;
  let clearAt: number | undefined;
  let clearedSinceAudio = false;
  let media: TwilioMediaClient | undefined;
  const startedAt = { value: 0 };
  const onMedia = (payload: string) => {
    const now = performance.now();
    const bytes = Buffer.from(payload, 'base64');
    const newTurn =
      agentChunks.length === 0 ||
      clearedSinceAudio ||
      ((media?.queuedMs ?? 0) === 0 && now - lastAgentAudioAt > NEW_TURN_GAP_MS);
    clearedSinceAudio = false;
    agentChunks.push(bytes);
    lastAgentAudioAt = now;
    if (!newTurn) return;
    agentTurns++;
    firstAudioAt ??= now;
    if (callerWordsEndedAt !== undefined) answerAt ??= now;
    progress({ kind: 'agent-speaking', turn: agentTurns, afterStartMs: now - startedAt.value });
  };
  // Twilio's `clear` drops what had not played yet: what came, less what played, less what was cleared before.
  const onClear = () => {
    clearAt ??= performance.now();
    clearedSinceAudio = true;
    const receivedMs = agentChunks.reduce((sum, chunk) => sum + chunk.length, 0) / BYTES_PER_MS;
    clearedMs += receivedMs - (media?.playedMs ?? 0) - clearedMs;
  };

  media = await TwilioMediaClient.connect({
    url: options.mediaDialUrl ?? stream.url,
    signedUrl: stream.url,
    authToken: options.authToken,
    playback: 'realtime',
    onMedia,
    onClear,
  });
  const client = media;
  client.sendConnected();
  startedAt.value = performance.now();
  client.sendStart(callSid, stream.parameters);
  progress({ kind: 'streaming', streamUrl: stream.url, parameters: stream.parameters });
  await twilio.status(callSid, 'in-progress');
  progress({ kind: 'status', status: 'in-progress' });

  // Silence until the agent starts its greeting, as a phone line sends.
  const silence = Buffer.alloc(FRAME_BYTES, MULAW_SILENCE).toString('base64');
  const pacer = framePacer(client);
  await pacer.sendUntil(
    () => firstAudioAt !== undefined,
    silence,
    options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS,
  );
  await pacer.sendFor(options.bargeInAfterMs ?? DEFAULT_BARGE_IN_AFTER_MS, silence);

  try {
    return await converse();
  } catch (err) {
    // The worker closed the stream under the caller: Twilio would now ask the `<Connect action>`.
    if (!(err instanceof StreamClosedError) || stream.action === undefined) throw err;
    const next = await twilio.streamEnded(stream.action, callSid);
    const said = sayText(next);
    throw new Error(
      `${(err as Error).message}; Twilio would then ${said === undefined ? 'hang up' : `say "${said}" and hang up`}`,
      { cause: err },
    );
  }

  async function converse(): Promise<DemoCallResult> {
    // The caller talks over the greeting.
    const turnsBefore = agentTurns;
    const callerStartedAt = performance.now();
    const callerFrames = mulawFrames(options.callerAudio);
    const lastWord = lastLoudFrame(callerFrames);
    progress({ kind: 'caller-speaking', audioMs: callerFrames.length * FRAME_MS });
    let bargeInReported = false;
    for (const [index, frame] of callerFrames.entries()) {
      await pacer.send(frame);
      if (index === lastWord) callerWordsEndedAt = performance.now();
      if (clearAt !== undefined && !bargeInReported) {
        bargeInReported = true;
        progress({ kind: 'barge-in', afterCallerStartedMs: clearAt - callerStartedAt });
      }
    }

    // Line silence while the agent answers and its answer plays out.
    let drainedAt: number | undefined;
    const answered = () => {
      const now = performance.now();
      drainedAt = client.queuedMs > 0 ? undefined : (drainedAt ?? now);
      return (
        agentTurns > turnsBefore &&
        drainedAt !== undefined &&
        now - Math.max(drainedAt, lastAgentAudioAt) > AGENT_DONE_QUIET_MS
      );
    };
    await pacer.sendUntil(answered, silence, options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS);

    const durationSeconds = Math.round((performance.now() - startedAt.value) / 1000);
    client.sendStop(callSid);
    client.close();
    await client.closed;
    progress({ kind: 'ended', callSid });
    await twilio.status(callSid, 'completed', { CallDuration: String(durationSeconds) });
    progress({ kind: 'status', status: 'completed' });

    const { call, transcript } = options.apiKey
      ? await readBack(new CallsApi(options.gatewayUrl, options.apiKey), callSid, agentTurns)
      : { call: undefined, transcript: undefined };
    return {
      callSid,
      timings: {
        webhookToTwimlMs: voice.ms,
        streamStartToFirstAgentAudioMs: (firstAudioAt ?? Number.NaN) - startedAt.value,
        bargeInMs: clearAt === undefined ? undefined : clearAt - callerStartedAt,
        callerEndToAnswerMs:
          answerAt === undefined || callerWordsEndedAt === undefined
            ? undefined
            : answerAt - callerWordsEndedAt,
      },
      agentTurns,
      bargeIns: client.clears,
      agentAudio: Buffer.concat(agentChunks),
      clearedMs,
      call,
      transcript,
    };
  }
}

/** The worker closed the media stream while the caller was still on the line. */
class StreamClosedError extends Error {
  constructor() {
    super('the media worker closed the stream');
  }
}

/** Index of the last frame that is more than line noise: where the caller's words end. */
function lastLoudFrame(frames: string[]): number {
  for (let i = frames.length - 1; i >= 0; i--) {
    if (mulawRms(Buffer.from(frames[i] as string, 'base64')) >= LOUD_RMS) return i;
  }
  return frames.length - 1;
}

/**
 * Sends 20 ms frames at the pace a phone line does, on a schedule (not a chain of timers, which would
 * drift), and throws if the stream closes under it.
 */
function framePacer(client: TwilioMediaClient) {
  let next = performance.now();
  const send = async (frame: string) => {
    if (!client.isOpen) throw new StreamClosedError();
    client.sendMedia(frame);
    next += FRAME_MS;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    else next = performance.now();
  };
  return {
    send,
    async sendFor(ms: number, frame: string) {
      for (let sent = 0; sent < ms; sent += FRAME_MS) await send(frame);
    },
    async sendUntil(done: () => boolean, frame: string, timeoutMs: number) {
      const deadline = performance.now() + timeoutMs;
      while (!done()) {
        if (performance.now() > deadline) throw new Error(`no answer from the agent within ${timeoutMs} ms`);
        await send(frame);
      }
    },
  };
}

/** The call and its transcript once the registry has applied the call's events (they arrive via JetStream). */
async function readBack(
  api: CallsApi,
  callSid: string,
  agentTurns: number,
): Promise<{ call: Call; transcript: Transcript }> {
  const deadline = performance.now() + TRANSCRIPT_WAIT_MS;
  for (;;) {
    const [call, transcript] = await Promise.all([api.call(callSid), api.transcript(callSid)]);
    const roles = transcript.segments.map((s) => s.role);
    const complete =
      call.status === 'completed' &&
      roles.includes('caller') &&
      roles.filter((r) => r === 'agent').length >= agentTurns;
    if (complete || performance.now() > deadline) return { call, transcript };
    await sleep(250);
  }
}
