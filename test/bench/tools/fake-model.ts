// The OpenAI side and the tool server of test/bench/tools.ts, in one process of their own so that both ends
// of each leg of a tool call are timed on one clock: the fake Realtime server, whose model calls the agent's
// `lookup` tool every few seconds in each session (and answers after its result), and the operator's tool
// server, which answers at once. Driven over IPC.
import { Agent, request } from 'node:http';
import { FakeRealtimeServer, type FakeRealtimeSession, ToolServer } from '@switchboard/testkit';
import { FRAME_MS, FrameTally, nowMs, readStamp, stampedFrame, summarise } from '../media-worker/frames.js';

export type ModelCommand = { type: 'measure'; on: boolean } | { type: 'quiet' } | { type: 'report' };

export interface ModelReport {
  type: 'report';
  /** The model's function call → the request at the tool server (ms). */
  toRequest: { p50: number; p99: number; count: number };
  /** The tool's reply → the function_call_output at the model (ms). */
  toOutput: { p50: number; p99: number; count: number };
  /**
   * The floor, at the same moments: this process POSTs the same body to its own tool server directly
   * (keep-alive, no signing), request → arrival and reply → its receipt: what an HTTP hop alone costs here.
   */
  floorTo: { p50: number; p99: number; count: number };
  floorBack: { p50: number; p99: number; count: number };
  /** Caller audio: Twilio's send → here. */
  up: { p50: number; p99: number; count: number };
  /** Tool calls measured, and those of them with no function_call_output yet. */
  calls: number;
  unanswered: number;
  /** Caller frames received, all calls together (the generator counts those sent). */
  receivedUp: number;
}

const TOOL_EVERY_MS = Number(process.env.BENCH_TOOL_EVERY_MS ?? 3_000);
/** The model's answer after a result: a short sentence, in real time. */
const ANSWER_FRAMES = 10;

interface Call {
  calledAt: number;
  requestAt?: number;
  repliedAt?: number;
  measured: boolean;
}

let measuring = false;
let quiet = false;
const calls = new Map<string, Call>();
const toRequest: number[] = [];
const toOutput: number[] = [];
const floorTo: number[] = [];
const floorBack: number[] = [];
const floorSent = new Map<string, { sentAt: number; repliedAt?: number; measured: boolean }>();
const keepAlive = new Agent({ keepAlive: true });
const up: number[] = [];
const tallies = new Map<FakeRealtimeSession, { index: number; tally: FrameTally; agentSent: number }>();
let sessions = 0;

const tools = await ToolServer.start();
tools.on('lookup', (request) => {
  const callId = (JSON.parse(request.body) as { callId: string }).callId;
  const call = calls.get(callId);
  if (call) {
    call.requestAt = request.receivedAt;
    if (call.measured) toRequest.push(request.receivedAt - call.calledAt);
    call.repliedAt = performance.now();
  }
  return { body: { order: callId, status: 'shipped', eta: '2026-12-01' } };
});

tools.on('floor', (request) => {
  const id = (JSON.parse(request.body) as { callId: string }).callId;
  const floor = floorSent.get(id);
  if (floor) {
    if (floor.measured) floorTo.push(request.receivedAt - floor.sentAt);
    floor.repliedAt = performance.now();
  }
  return { body: { order: id, status: 'shipped', eta: '2026-12-01' } };
});

/** The floor's hop: the tool call's body straight to the tool server, timed both ways. */
function floorCall(callId: string): void {
  const body = JSON.stringify({ callSid: 'CA0', agentId: 'orders', tool: 'lookup', callId, arguments: {} });
  floorSent.set(callId, { sentAt: performance.now(), measured: measuring });
  const req = request(
    tools.url('floor'),
    { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json' } },
    (res) => {
      res.resume();
      res.on('end', () => {
        const floor = floorSent.get(callId);
        if (floor?.repliedAt !== undefined && floor.measured)
          floorBack.push(performance.now() - floor.repliedAt);
        floorSent.delete(callId);
      });
    },
  );
  req.end(body);
}

const fake = await FakeRealtimeServer.start({
  recordAudio: false,
  response: (session) => {
    let sent = 0;
    return {
      chunkIntervalMs: FRAME_MS,
      transcript: 'Your order has shipped.',
      audio: () => {
        const stream = tallies.get(session);
        if (sent++ >= ANSWER_FRAMES || stream === undefined) return undefined;
        return stampedFrame(nowMs(), stream.index, stream.agentSent++);
      },
    };
  },
  onCallerAudio: (session, payload) => {
    const { sentAt, stream, seq } = readStamp(payload);
    let entry = tallies.get(session);
    if (entry === undefined) {
      entry = { index: stream, tally: new FrameTally(), agentSent: 0 };
      tallies.set(session, entry);
      schedule(session, ++sessions);
    }
    entry.tally.receive(seq);
    if (measuring) up.push(nowMs() - sentAt);
  },
  onEvent: (_session, event) => {
    if (event.type !== 'conversation.item.create' || event.item.type !== 'function_call_output') return;
    const call = calls.get(event.item.call_id);
    if (call?.repliedAt !== undefined && call.measured) toOutput.push(performance.now() - call.repliedAt);
    calls.delete(event.item.call_id);
  },
});

/** Every TOOL_EVERY_MS (spread, so that calls do not line up), the model calls the tool if it is free. */
function schedule(session: FakeRealtimeSession, n: number): void {
  let k = 0;
  const tick = () => {
    if (session.closed) return;
    if (!quiet && session.activeResponseId === undefined) {
      const callId = `call_${n}_${++k}`;
      calls.set(callId, { calledAt: performance.now(), measured: measuring });
      session.startResponse({
        audio: [],
        functionCalls: [{ name: 'lookup', arguments: `{"order":"${callId}"}`, callId }],
      });
      floorCall(`floor_${callId}`);
    }
    setTimeout(tick, TOOL_EVERY_MS * (0.75 + Math.random() / 2));
  };
  setTimeout(tick, TOOL_EVERY_MS * Math.random());
}

process.on('message', (command: ModelCommand) => {
  switch (command.type) {
    case 'measure':
      measuring = command.on;
      return;
    case 'quiet':
      quiet = true;
      return;
    case 'report': {
      let receivedUp = 0;
      for (const { tally } of tallies.values()) receivedUp += tally.received;
      const report: ModelReport = {
        type: 'report',
        toRequest: summarise(toRequest),
        toOutput: summarise(toOutput),
        floorTo: summarise(floorTo),
        floorBack: summarise(floorBack),
        up: summarise(up),
        calls: toRequest.length,
        unanswered: [...calls.values()].filter((c) => c.measured).length,
        receivedUp,
      };
      process.send?.(report);
      return;
    }
  }
});
process.on('SIGTERM', () => {
  void Promise.all([fake.close(), tools.close()]).then(() => process.exit(0));
});
process.send?.({ type: 'ready', url: fake.url, toolUrl: tools.url('lookup') });
