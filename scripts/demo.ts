// `pnpm demo`: places one simulated inbound call through the running stack (`pnpm start` or docker compose)
// exactly as Twilio would, shows its progress and timings, prints the transcript and writes the agent's
// audio to a WAV file. Settings come from .env (the same file the stack reads).
//   pnpm demo [--out demo-agent.wav] [--dotenv .env] [--caller <8 kHz mu-law .au>]
//             [--gateway http://127.0.0.1:3000] [--media ws://127.0.0.1:3001/media-stream]
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ASSETS, mulawWav, readMulawAu } from './src/audio.js';
import { type DemoEvent, placeDemoCall } from './src/demo-call.js';
import { readDotEnv } from './src/env-file.js';
import { loadStackSettings } from './src/stack-settings.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'demo-agent.wav' },
    dotenv: { type: 'string', default: `${root}.env` },
    gateway: { type: 'string' },
    media: { type: 'string' },
    caller: { type: 'string' },
  },
});

const env: Record<string, string> = { ...readDotEnv(resolve(args.dotenv)) };
for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
const settings = loadStackSettings(env);
const authToken = env.TWILIO_AUTH_TOKEN?.trim();
const apiKey = env.API_KEYS?.split(',')[0]?.trim() || undefined;
if (!authToken) {
  console.error(
    'TWILIO_AUTH_TOKEN is not set: start the stack with `pnpm start` (it writes one to .env) first.',
  );
  process.exit(1);
}
const local = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
const gatewayUrl = args.gateway ?? `http://${local}:${settings.ports.gateway}`;
// Twilio dials the TwiML's URL; the demo dials the worker on this machine and signs the TwiML's URL, as
// Twilio would, so it works with a tunnel in PUBLIC_BASE_URL / MEDIA_STREAM_URL too.
const mediaDialUrl = args.media ?? `ws://${local}:${settings.ports.worker}/media-stream`;

const t0 = performance.now();
const at = () => `${((performance.now() - t0) / 1000).toFixed(2).padStart(6)} s`;
const ms = (value: number | undefined) => (value === undefined ? 'n/a' : `${Math.round(value)} ms`);
const show = (event: DemoEvent) => {
  switch (event.kind) {
    case 'registered':
      return `registered ${event.callSid} (webhook → TwiML ${ms(event.webhookToTwimlMs)})`;
    case 'streaming':
      return `streaming: media stream open, start sent (TwiML stream ${event.streamUrl})`;
    case 'status':
      return `status callback: ${event.status}`;
    case 'agent-speaking':
      return `agent speaking (turn ${event.turn}, ${ms(event.afterStartMs)} after the stream started)`;
    case 'caller-speaking':
      return `caller speaking over the agent (${(event.audioMs / 1000).toFixed(1)} s of audio)`;
    case 'barge-in':
      return `barge-in: the worker cleared the agent's audio ${ms(event.afterCallerStartedMs)} after the caller began`;
    case 'ended':
      return `ended: stop sent, stream closed`;
  }
};

console.log(`demo call → ${gatewayUrl} (signed for ${settings.publicBaseUrl}), media → ${mediaDialUrl}`);
console.log(`watch it live: ${gatewayUrl}/console/live (sign in with a key of API_KEYS)`);
try {
  const result = await placeDemoCall({
    gatewayUrl,
    publicBaseUrl: settings.publicBaseUrl,
    authToken,
    apiKey,
    mediaDialUrl,
    callerAudio: readMulawAu(args.caller ? resolve(args.caller) : ASSETS.caller),
    onProgress: (event) => console.log(`${at()}  ${show(event)}`),
  });

  console.log('\ntimings');
  console.log(`  webhook → TwiML                  ${ms(result.timings.webhookToTwimlMs)}`);
  console.log(`  stream start → first agent audio ${ms(result.timings.streamStartToFirstAgentAudioMs)}`);
  console.log(`  caller's last word → answer      ${ms(result.timings.callerEndToAnswerMs)}`);
  console.log(`  caller over agent → clear        ${ms(result.timings.bargeInMs)}`);

  if (result.call && result.transcript) {
    console.log(`\ncall ${result.call.callSid}: ${result.call.status}, agent ${result.call.agent.id}`);
    console.log('transcript (GET /api/calls/:callSid/transcript)');
    for (const segment of result.transcript.segments) {
      console.log(`  ${segment.at.slice(11, 23)}  ${segment.role.padEnd(6)}  ${segment.text}`);
    }
  } else {
    console.log('\nno API_KEYS in .env: the transcript is not shown');
  }

  const out = resolve(args.out);
  writeFileSync(out, mulawWav(result.agentAudio));
  const seconds = (result.agentAudio.length / 8000).toFixed(1);
  console.log(
    `\nagent audio: ${out} (${seconds} s, 8 kHz mu-law WAV; ${ms(result.clearedMs)} cleared by the barge-in)`,
  );
} catch (err) {
  console.error(`\nthe demo call failed: ${(err as Error).message}`);
  console.error('Is the stack running (`pnpm start`), with the same .env?');
  process.exit(1);
}
