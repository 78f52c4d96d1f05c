import type { Agent, RealtimeClientEvent } from '@switchboard/contracts';
import { greetingResponse, sessionUpdateFor } from '@switchboard/media-worker';
import {
  FAKE_OPENAI_API_KEY,
  FakeRealtimeServer,
  type FakeResponseScript,
  SILENCE_20MS,
} from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PUBLISHED_SOURCE, publishedSchemaErrors } from './published-realtime-schema.js';

// The testkit's fake Realtime server speaks for OpenAI in every other test, so what it sends must be what
// OpenAI publishes. This drives one fake session through everything it can say (a greeting, a transcribed
// caller turn, function calls (after speech, and two alone), cancels by the client and by VAD, truncate and
// delete, errors), records every frame, and validates each against the published RealtimeServerEvent schema.

type Frame = { type: string; [key: string]: unknown };

const AGENT: Agent = {
  id: 'default',
  instructions: 'You are a friendly receptionist.',
  voice: 'alloy',
  model: 'gpt-realtime',
  greeting: 'Hello!',
};
/** Caller audio that makes the fake hear the caller speak. */
const SPEECH = Buffer.alloc(160, 0x10).toString('base64');
const endless = (): string => SILENCE_20MS;

/** The responses the session plays, in order. */
const SCRIPTS: FakeResponseScript[] = [
  { audio: [SILENCE_20MS, SILENCE_20MS, SILENCE_20MS], transcript: 'Hello!' },
  {
    audio: [SILENCE_20MS],
    transcript: 'Goodbye.',
    functionCall: { name: 'end_call', arguments: '{"reason":"done"}' },
  },
  {
    audio: [],
    functionCalls: [
      { name: 'find_slots', arguments: '{"day":"monday"}' },
      { name: 'send_dtmf', arguments: '{"digits":"12#"}' },
    ],
  },
  { audio: endless, chunkIntervalMs: 10, transcript: 'A long answer' },
  { audio: endless, chunkIntervalMs: 10, transcript: 'Another long answer' },
  { audio: [SILENCE_20MS], transcript: 'Yes?' },
];

/** A client of the fake that records every frame it receives. */
class RecordingClient {
  readonly frames: Frame[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      for (const wake of this.waiters) wake();
    });
  }

  static async connect(fake: FakeRealtimeServer): Promise<RecordingClient> {
    const ws = new WebSocket(`${fake.url}?model=${AGENT.model}`, {
      headers: { Authorization: `Bearer ${FAKE_OPENAI_API_KEY}` },
    });
    const client = new RecordingClient(ws);
    await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return client;
  }

  send(event: RealtimeClientEvent | string): void {
    this.ws.send(typeof event === 'string' ? event : JSON.stringify(event));
  }

  /** Waits until `count` frames of `type` (matching `where`) have arrived; returns the last of them. */
  async received(type: string, count = 1, where: (f: Frame) => boolean = () => true): Promise<Frame> {
    const matching = () => this.frames.filter((f) => f.type === type && where(f));
    const deadline = Date.now() + 5_000;
    while (matching().length < count) {
      if (Date.now() > deadline) throw new Error(`waited in vain for ${count} × ${type}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
        setTimeout(wake, 100);
      });
    }
    return matching()[count - 1] as Frame;
  }

  onClose(listener: (code: number) => void): void {
    this.ws.once('close', listener);
  }

  close(): void {
    this.ws.close();
  }
}

describe(`the fake Realtime server against OpenAI's published schema (openai-openapi@${PUBLISHED_SOURCE.commit.slice(0, 7)})`, () => {
  let fake: FakeRealtimeServer;
  let client: RecordingClient;

  beforeAll(async () => {
    let played = 0;
    fake = await FakeRealtimeServer.start({
      response: () => SCRIPTS[played++] ?? { audio: [] },
      speechTrigger: { payload: SPEECH, transcript: 'Can I book a check-up?', respond: true },
    });
    client = await RecordingClient.connect(fake);

    await client.received('session.created');
    client.send(sessionUpdateFor(AGENT, { transcriptionModel: 'gpt-4o-mini-transcribe' }));
    await client.received('session.updated');

    // The greeting, then a barge-in's truncate and delete of its item, then both again for an unknown item.
    client.send(greetingResponse('Hello!'));
    const greeting = await client.received('response.output_item.done');
    const itemId = (greeting.item as { id: string }).id;
    client.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 20 });
    await client.received('conversation.item.truncated');
    client.send({ type: 'conversation.item.delete', item_id: itemId });
    await client.received('conversation.item.deleted');
    client.send({ type: 'conversation.item.delete', item_id: itemId });
    client.send({ type: 'response.cancel' });
    await client.received('error', 2);

    // The caller speaks; the answer ends with a function call; the tool's result goes back.
    client.send({ type: 'input_audio_buffer.append', audio: SPEECH });
    await client.received('response.done', 2);
    const call = await client.received('response.output_item.done', 1, (f) => f.output_index === 1);
    const callId = (call.item as { call_id: string }).call_id;
    client.send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: callId, output: '{"ok":true}' },
    });

    // A response that only calls tools, two at once; both are answered.
    client.send({ type: 'response.create' });
    await client.received('response.done', 3);
    const calls = client.frames.filter((f) => f.type === 'response.function_call_arguments.done');
    expect(calls.map((f) => f.name)).toEqual(['end_call', 'find_slots', 'send_dtmf']);
    for (const done of calls.slice(1)) {
      client.send({
        type: 'conversation.item.create',
        item: { type: 'function_call_output', call_id: String(done.call_id), output: '{}' },
      });
    }

    // A response the client cancels, and one the caller talks over (VAD cancels it, then answers).
    const streaming = async (count: number) => {
      const { id } = (await client.received('response.created', count)).response as { id: string };
      await client.received('response.output_audio.delta', 1, (f) => f.response_id === id);
    };
    client.send({ type: 'response.create' });
    await streaming(4);
    client.send({ type: 'response.cancel' });
    await client.received('response.done', 4);
    client.send({ type: 'response.create' });
    await streaming(5);
    client.send({ type: 'input_audio_buffer.append', audio: SPEECH });
    await client.received('response.done', 6);

    client.send('not json');
    await client.received('error', 3);
  });

  afterAll(async () => {
    client?.close();
    await fake?.close();
  });

  it('sends only events the published schema accepts', () => {
    // Each problem once, with the first frame that had it (hundreds of audio deltas would repeat it).
    const problems = new Map<string, number>();
    client.frames.forEach((frame, i) => {
      for (const p of publishedSchemaErrors('server', frame)) {
        if (!problems.has(`${frame.type}: ${p}`)) problems.set(`${frame.type}: ${p}`, i);
      }
    });
    expect([...problems].map(([problem, i]) => `frame ${i} ${problem}`)).toEqual([]);
  });

  it('said everything it can say', () => {
    expect(new Set(client.frames.map((f) => f.type))).toEqual(
      new Set([
        'session.created',
        'session.updated',
        'response.created',
        'response.output_item.added',
        'response.output_audio_transcript.delta',
        'response.output_audio.delta',
        'response.output_audio.done',
        'response.output_audio_transcript.done',
        'response.output_item.done',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.done',
        'response.done',
        'conversation.item.truncated',
        'conversation.item.deleted',
        'input_audio_buffer.speech_started',
        'input_audio_buffer.speech_stopped',
        'input_audio_buffer.committed',
        'conversation.item.input_audio_transcription.completed',
        'conversation.item.added',
        'conversation.item.done',
        'error',
      ]),
    );
    const statuses = client.frames
      .filter((f) => f.type === 'response.done')
      .map((f) => (f.response as { status: string; status_details?: { reason?: string } }).status_details);
    expect(statuses).toContainEqual({ type: 'cancelled', reason: 'client_cancelled' });
    expect(statuses).toContainEqual({ type: 'cancelled', reason: 'turn_detected' });
  });
});

describe('the fake Realtime server at its session time limit', () => {
  it('says session_expired as OpenAI does, then closes with 1001', async () => {
    const fake = await FakeRealtimeServer.start({ sessionMaxMs: 200 });
    try {
      const client = await RecordingClient.connect(fake);
      const closed = new Promise<number>((resolve) => client.onClose(resolve));
      const error = await client.received('error');
      expect(error.error).toMatchObject({
        code: 'session_expired',
        message: 'Your session hit the maximum duration of 0.2 seconds.',
      });
      expect(await closed).toBe(1001);
      const created = client.frames.find((f) => f.type === 'session.created');
      expect(created?.session).toMatchObject({ expires_at: expect.any(Number) });
      for (const frame of client.frames) expect(publishedSchemaErrors('server', frame)).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
