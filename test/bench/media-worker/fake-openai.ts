// The OpenAI side of test/bench/media-worker.ts, in a process of its own so that the load generator can use
// what the worker leaves of the machine: the fake Realtime server, whose agent talks in real time (20 ms a
// stamped chunk) until told to stop, and which measures the caller audio it receives. Driven over IPC.
import type { FakeRealtimeSession } from '@switchboard/testkit';
import { FakeRealtimeServer } from '@switchboard/testkit';
import { FRAME_MS, FrameTally, nowMs, readStamp, stampedFrame, summarise } from './frames.js';

/** After a barge-in, when the agent starts its next answer. */
const NEXT_ANSWER_MS = 300;

export type FakeCommand =
  | { type: 'step' }
  | { type: 'measure'; on: boolean }
  | { type: 'barge'; stream: number }
  | { type: 'quiet' }
  | { type: 'report' }
  | { type: 'drop' };

export interface FakeReport {
  type: 'report';
  up: { p50: number; p99: number; count: number };
  bargeToTruncate: { p50: number; p99: number; count: number };
  /** Per stream: caller frames received and reordered, agent chunks sent, when speech was announced. */
  streams: Array<{
    stream: number;
    received: number;
    reordered: number;
    agentSent: number;
    speechAt?: number;
  }>;
}

interface Stream {
  index: number;
  session: FakeRealtimeSession;
  up: FrameTally;
  agentSent: number;
  speaking: boolean;
  speechAt: number | undefined;
  truncatedAt: number | undefined;
}

let measuring = false;
let upSamples: number[] = [];
const streams = new Map<number, Stream>();
const bySession = new Map<FakeRealtimeSession, Stream>();
/** Agent chunks a session sent before its stream was known (its first caller frame). */
const early = new Map<FakeRealtimeSession, number>();

function send(message: unknown): void {
  process.send?.(message);
}

const fake = await FakeRealtimeServer.start({
  recordAudio: false,
  response: (session) => ({
    chunkIntervalMs: FRAME_MS,
    transcript: 'Thanks for calling, let me look that up for you.',
    audio: () => {
      const stream = bySession.get(session);
      if (stream && !stream.speaking) return undefined;
      if (!stream) {
        const seq = early.get(session) ?? 0;
        early.set(session, seq + 1);
        return stampedFrame(nowMs(), 0, seq);
      }
      return stampedFrame(nowMs(), stream.index, stream.agentSent++);
    },
  }),
  onCallerAudio: (session, payload) => {
    const now = nowMs();
    const { sentAt, stream: index, seq } = readStamp(payload);
    let stream = bySession.get(session);
    if (!stream) {
      stream = {
        index,
        session,
        up: new FrameTally(),
        agentSent: early.get(session) ?? 0,
        speaking: true,
        speechAt: undefined,
        truncatedAt: undefined,
      };
      early.delete(session);
      bySession.set(session, stream);
      streams.set(index, stream);
    }
    stream.up.receive(seq);
    if (measuring) upSamples.push(now - sentAt);
  },
  onEvent: (session, event) => {
    const stream = bySession.get(session);
    if (!stream || stream.speechAt === undefined || stream.truncatedAt !== undefined) return;
    if (event.type === 'conversation.item.truncate' || event.type === 'conversation.item.delete') {
      stream.truncatedAt = nowMs();
    }
  },
});

process.on('message', (command: FakeCommand) => {
  switch (command.type) {
    case 'step':
      streams.clear();
      bySession.clear();
      early.clear();
      upSamples = [];
      return;
    case 'measure':
      measuring = command.on;
      return;
    case 'barge': {
      const stream = streams.get(command.stream);
      if (!stream || stream.session.closed || !stream.speaking) return;
      stream.speaking = false;
      stream.speechAt = nowMs();
      stream.session.speechStarted();
      setTimeout(() => {
        if (stream.session.closed) return;
        stream.speaking = true;
        stream.session.startResponse();
      }, NEXT_ANSWER_MS);
      return;
    }
    case 'quiet':
      for (const stream of streams.values()) stream.speaking = false;
      return;
    case 'report': {
      const bargeToTruncate: number[] = [];
      for (const s of streams.values()) {
        if (s.speechAt !== undefined && s.truncatedAt !== undefined)
          bargeToTruncate.push(s.truncatedAt - s.speechAt);
      }
      const report: FakeReport = {
        type: 'report',
        up: summarise(upSamples),
        bargeToTruncate: summarise(bargeToTruncate),
        streams: [...streams.values()].map((s) => ({
          stream: s.index,
          received: s.up.received,
          reordered: s.up.reordered,
          agentSent: s.agentSent,
          ...(s.speechAt === undefined ? {} : { speechAt: s.speechAt }),
        })),
      };
      send(report);
      return;
    }
    case 'drop':
      fake.dropAll();
      return;
  }
});
process.on('SIGTERM', () => {
  void fake.close().then(() => process.exit(0));
});
send({ type: 'ready', url: fake.url });
