// `pnpm bench [registry|gateway|media-worker|console|tools|placement|cluster|notifier|all] [options]`: runs each named benchmark as a process of its
// own, one after the other (run together they would skew each other's figures); no name means all.
// Arguments after a name go to that benchmark (`pnpm bench registry --reseed gateway --rates 50`);
// arguments before any name, or after `all`, go to every benchmark run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCHES = [
  'registry',
  'gateway',
  'media-worker',
  'console',
  'tools',
  'placement',
  'cluster',
  'notifier',
] as const;
type Bench = (typeof BENCHES)[number];

const isBench = (name: string): name is Bench => (BENCHES as readonly string[]).includes(name);

const common: string[] = [];
const chosen = new Map<Bench, string[]>();
let current: string[] = common;
for (const arg of process.argv.slice(2)) {
  if (arg === 'all') {
    for (const bench of BENCHES) if (!chosen.has(bench)) chosen.set(bench, []);
    current = common;
  } else if (isBench(arg)) {
    current = chosen.get(arg) ?? [];
    chosen.set(arg, current);
  } else if (!arg.startsWith('-') && current === common && !common.at(-1)?.startsWith('--')) {
    process.stderr.write(`unknown benchmark ${arg}: choose from ${BENCHES.join(', ')} or all\n`);
    process.exit(2);
  } else {
    current.push(arg);
  }
}
if (chosen.size === 0) for (const bench of BENCHES) chosen.set(bench, []);

const root = fileURLToPath(new URL('../../', import.meta.url));
const failed: string[] = [];
for (const [bench, own] of chosen) {
  const script = `test/bench/${bench}.ts`;
  if (!existsSync(`${root}${script}`)) {
    process.stderr.write(`bench ${bench}: ${script} does not exist\n`);
    failed.push(bench);
    continue;
  }
  process.stdout.write(`\n=== bench ${bench} ===\n`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=switchboard-src', '--import', 'tsx', script, ...common, ...own],
      { cwd: root, stdio: 'inherit' },
    );
    child.once('exit', (exitCode, signal) => resolve(signal ? 128 : exitCode));
  });
  if (code !== 0) failed.push(bench);
}
if (failed.length > 0) {
  process.stderr.write(`bench failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
