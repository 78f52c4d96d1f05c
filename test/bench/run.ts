// `pnpm bench [registry|gateway|media-worker|all] [--options for the benches]`: runs each named benchmark
// as a process of its own, one after the other (they would skew each other's figures if run together).
// Arguments starting with `--` are passed to every benchmark run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCHES = ['registry', 'gateway', 'media-worker'] as const;
type Bench = (typeof BENCHES)[number];

const isBench = (name: string): name is Bench => (BENCHES as readonly string[]).includes(name);

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => n !== 'all' && !isBench(n));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}: choose from ${BENCHES.join(', ')} or all\n`);
  process.exit(2);
}
const chosen: Bench[] = names.length === 0 || names.includes('all') ? [...BENCHES] : names.filter(isBench);

const root = fileURLToPath(new URL('../../', import.meta.url));
const failed: string[] = [];
for (const bench of chosen) {
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
      ['--conditions=switchboard-src', '--import', 'tsx', script, ...flags],
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
