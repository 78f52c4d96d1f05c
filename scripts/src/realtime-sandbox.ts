import { randomBytes } from 'node:crypto';
import { FakeRealtimeServer, type FakeRealtimeSession, type FakeResponseScript } from '@switchboard/testkit';
import { ASSETS, BYTES_PER_MS, mulawRms, readMulawAu } from './audio.js';

/**
 * The local OpenAI Realtime sandbox of `pnpm start` without OPENAI_API_KEY: testkit's fake Realtime server
 * (the one the tests use: the real protocol over a real WebSocket), scripted to behave like a tiny agent.
 * - Its first response in a session (the greeting) says the default agent's greeting; every later one says
 *   that this is the sandbox. Both are real speech (espeak-ng, scripts/assets), sent as OpenAI does, faster
 *   than real time, in 100 ms deltas, with their transcripts.
 * - A crude voice activity detector stands in for server VAD: caller audio louder than SPEECH_RMS for
 *   SPEECH_START_MS starts a turn (`input_audio_buffer.speech_started`, which also interrupts a running
 *   response, so the worker's barge-in runs); SPEECH_END_MS of quiet ends it, with a transcription that
 *   says how long the caller spoke (the sandbox hears speech, not words) and a response.
 */

export const SANDBOX_GREETING_TRANSCRIPT = 'Hello! How can I help you today?';
export const SANDBOX_REPLY_TRANSCRIPT =
  'I heard you. This is the switchboard sandbox: set an OpenAI key to talk to a real model.';
/** Loudness (RMS, 16-bit scale) above which a 20 ms frame counts as speech; line noise is far below. */
export const SPEECH_RMS = 500;
export const SPEECH_START_MS = 60;
export const SPEECH_END_MS = 500;
const DELTA_BYTES = 100 * BYTES_PER_MS;

export interface RealtimeSandbox {
  url: string;
  apiKey: string;
  server: FakeRealtimeServer;
  close(): Promise<void>;
}

interface TurnState {
  responses: number;
  loudMs: number;
  quietMs: number;
  speaking: boolean;
  spokenMs: number;
}

function chunks(audio: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < audio.length; at += DELTA_BYTES) {
    out.push(audio.subarray(at, at + DELTA_BYTES).toString('base64'));
  }
  return out;
}

export async function startRealtimeSandbox(): Promise<RealtimeSandbox> {
  const greeting: FakeResponseScript = {
    audio: chunks(readMulawAu(ASSETS.sandboxGreeting)),
    transcript: SANDBOX_GREETING_TRANSCRIPT,
  };
  const reply: FakeResponseScript = {
    audio: chunks(readMulawAu(ASSETS.sandboxReply)),
    transcript: SANDBOX_REPLY_TRANSCRIPT,
  };
  const turns = new WeakMap<FakeRealtimeSession, TurnState>();
  const stateOf = (session: FakeRealtimeSession): TurnState => {
    let state = turns.get(session);
    if (!state) {
      state = { responses: 0, loudMs: 0, quietMs: 0, speaking: false, spokenMs: 0 };
      turns.set(session, state);
    }
    return state;
  };

  const apiKey = `sk-sandbox-${randomBytes(12).toString('hex')}`;
  const server = await FakeRealtimeServer.start({
    apiKey,
    // The fake keeps every frame by default, for tests to inspect; a long-running sandbox must not.
    recordAudio: false,
    response: (session) => {
      const state = stateOf(session);
      state.responses++;
      return state.responses === 1 ? greeting : reply;
    },
    onCallerAudio: (session, audio) => {
      const state = stateOf(session);
      const frame = Buffer.from(audio, 'base64');
      const ms = frame.length / BYTES_PER_MS;
      if (mulawRms(frame) >= SPEECH_RMS) {
        state.loudMs += ms;
        state.quietMs = 0;
        if (state.speaking) state.spokenMs += ms;
        else if (state.loudMs >= SPEECH_START_MS) {
          state.speaking = true;
          state.spokenMs = state.loudMs;
          session.speechStarted(Math.max(0, session.audioMs - state.loudMs));
        }
        return;
      }
      state.quietMs += ms;
      if (!state.speaking) {
        state.loudMs = 0;
        return;
      }
      state.spokenMs += ms;
      if (state.quietMs < SPEECH_END_MS) return;
      state.speaking = false;
      state.loudMs = 0;
      const seconds = ((state.spokenMs - state.quietMs) / 1000).toFixed(1);
      session.speechStopped(`(the sandbox heard ${seconds} s of speech)`, { respond: true });
    },
  });
  return { url: server.url, apiKey, server, close: () => server.close() };
}
