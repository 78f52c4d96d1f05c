// `pnpm start`: the whole stack on this machine. PostgreSQL and NATS from DATABASE_URL / NATS_URL when they
// answer, else an embedded PostgreSQL and a nats-server of its own (data in .data/); migrations; the three
// services with readable, prefixed logs; the local Realtime sandbox when there is no OPENAI_API_KEY.
// Ctrl-C stops the services first (they drain), then what it started. Settings: .env (see .env.example).
//   pnpm start [--dotenv <path>]   (default: .env, created from .env.example when missing)
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareEnv } from './src/env-file.js';
import { type LocalStack, startLocalStack } from './src/local-stack.js';
import { createLogPrinter } from './src/log-printer.js';
import { unbuiltServices } from './src/services.js';
import { loadStackSettings } from './src/stack-settings.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// Output piped to a reader that goes away (`pnpm start | tee`, then Ctrl-C) must not stop the shutdown.
process.stdout.on('error', () => undefined);
const printer = createLogPrinter({
  write: (text) => process.stdout.write(text),
  color: process.stdout.isTTY,
});
const say = (text: string) => printer.line('stack', text);

const unbuilt = unbuiltServices(root);
if (unbuilt.length > 0) {
  console.error(`not built: ${unbuilt.join(', ')}. Run \`pnpm build\` first (\`pnpm start\` does).`);
  process.exit(1);
}

const { values: args } = parseArgs({ options: { dotenv: { type: 'string', default: `${root}.env` } } });
const prepared = prepareEnv(resolve(args.dotenv), `${root}.env.example`, process.env);
if (prepared.createdFromExample) say(`created ${args.dotenv} from .env.example`);
for (const key of prepared.written) say(`wrote a generated dev ${key} to ${args.dotenv}`);

let stack: LocalStack | undefined;
let stopping = false;
const stop = async (code: number) => {
  stopping = true;
  say('stopping: services drain first, then the servers this runner started');
  await stack?.close();
  say('stopped');
  process.exit(code);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!stopping) {
      void stop(0);
      return;
    }
    say(`second ${signal}: not waiting any longer`);
    process.exit(130); // the exit hook sends SIGTERM to every child still running
  });
}

try {
  const settings = loadStackSettings(prepared.env);
  stack = await startLocalStack({ root, settings, env: prepared.env, printer });
} catch (err) {
  say(`could not start: ${(err as Error).message}`);
  if (!stopping) await stop(1);
}

if (stack && !stopping) {
  const width = Math.max(...stack.summary.map((s) => s.label.length));
  const lines = stack.summary.map((s) => `  ${s.label.padEnd(width)}  ${s.value}`);
  process.stdout.write(
    `\nswitchboard is up\n${lines.join('\n')}\n\nPlace a demo call: pnpm demo    Stop: Ctrl-C\n\n`,
  );
  void stack.failure.then((message) => {
    if (stopping) return;
    say(message);
    void stop(1);
  });
}
