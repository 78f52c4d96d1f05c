// The call bridge alone, in-process: microseconds of JavaScript per input of the relay's steady traffic (a
// caller frame, an agent chunk, the echo of its mark), through a live bridge. No sockets, so the figure is
// steady on a busy machine: for comparing bridges (this tree's and a copy at another commit).
// Run: node --conditions=switchboard-src --import tsx test/bench/media-worker/bridge-per-input.ts [path to a
// call-bridge.ts …] (default: this tree's).
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PATHS = process.argv.slice(2).map((path) => resolve(path));
if (PATHS.length === 0) {
  PATHS.push(
    fileURLToPath(new URL('../../../services/media-worker/src/bridge/call-bridge.ts', import.meta.url)),
  );
}
const INPUTS = 200_000;
const ROUNDS = 5;
const CALL_SID = `CA${'0'.repeat(32)}`;
const agent = { id: 'default', instructions: 'x', voice: 'alloy', model: 'gpt-realtime', greeting: 'Hi' };
const options = {
  defaultModel: 'gpt-realtime',
  transcriptionModel: 'gpt-4o-mini-transcribe',
  streamStartTimeoutMs: 10_000,
  sessionReadyTimeoutMs: 5_000,
  sessionMaxMs: 3_300_000,
  maxHeldAudioMs: 20_000,
  toolFillerAfterMs: 1_500,
};
const payload = Buffer.from(Buffer.alloc(160, 0x7f).toString('base64'), 'latin1');

type Bridge = { handle(input: unknown, now: number): unknown[] };

function round(Bridge: new (o: typeof options) => Bridge, frames: number): number {
  const bridge = new Bridge(options);
  let now = Date.now();
  for (const input of [
    { kind: 'stream-opened' },
    { kind: 'twilio-start', callSid: CALL_SID, streamSid: `MZ${'a'.repeat(32)}`, callSidParameter: CALL_SID },
    { kind: 'call-found', agent },
    { kind: 'realtime-open', connection: 1 },
    { kind: 'session-ready', connection: 1 },
    { kind: 'response-created', connection: 1, responseId: 'r1' },
  ]) {
    bridge.handle(input, now);
  }
  const started = performance.now();
  for (let i = 1; i <= frames; i++) {
    now += 20;
    bridge.handle({ kind: 'caller-audio', payload, timestampMs: i * 20 }, now);
    bridge.handle(
      { kind: 'agent-audio', connection: 1, responseId: 'r1', itemId: 'i1', contentIndex: 0, payload },
      now,
    );
    bridge.handle({ kind: 'mark-echoed', name: String(i) }, now);
  }
  return ((performance.now() - started) * 1_000) / (3 * frames);
}

for (const path of PATHS) {
  const { CallBridge } = (await import(pathToFileURL(path).href)) as {
    CallBridge: new (o: typeof options) => Bridge;
  };
  round(CallBridge, INPUTS / 4);
  const rounds = Array.from({ length: ROUNDS }, () => round(CallBridge, INPUTS));
  const sorted = [...rounds].sort((a, b) => a - b);
  console.log(
    `${path}: ${sorted[Math.floor(ROUNDS / 2)]?.toFixed(3)} µs per input (median of ${ROUNDS} rounds of ${3 * INPUTS}: ${rounds.map((r) => r.toFixed(3)).join(' ')})`,
  );
}
