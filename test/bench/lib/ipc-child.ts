import { type ChildProcess, spawn } from 'node:child_process';
import { REPO_ROOT } from './child.js';

/**
 * A helper process of a benchmark (a fake peer that measures what it receives), started from source and
 * driven over IPC: it sends one message of its own when ready (`ready`), then answers `{type: 'report'}`
 * with its report.
 */
export class IpcChild<Command extends { type: string }, Report, Ready = unknown> {
  private constructor(
    private readonly child: ChildProcess,
    readonly ready: Ready,
  ) {}

  static async start<C extends { type: string }, R, Ready>(script: string): Promise<IpcChild<C, R, Ready>> {
    const child = spawn(process.execPath, ['--conditions=switchboard-src', '--import', 'tsx', script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = await new Promise<Ready>((resolve, reject) => {
      child.once('message', (m: Ready) => resolve(m));
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    });
    return new IpcChild<C, R, Ready>(child, ready);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  tell(command: Command): void {
    this.child.send(command);
  }

  report(): Promise<Report> {
    return new Promise((resolve) => {
      this.child.once('message', (m: Report) => resolve(m));
      this.child.send({ type: 'report' });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
