import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.js';

export const NATS_SERVER_BINARY = process.env.NATS_SERVER_BIN ?? 'nats-server';

export interface NatsServerOptions {
  /** A nats-server config file (users, permissions); `-a`/`-p`/`-js`/`-sd` still come from here. */
  configFile?: string;
  /** More command-line options (a cluster's routes and names, a monitoring port). */
  args?: string[];
  /** The client port, when the caller picked it (a cluster's nodes know each other's before they start). */
  port?: number;
}

/**
 * A throwaway nats-server with JetStream on a free port, its store in a temp folder. `stop()` and `start()`
 * keep the port and the store, so a test can take NATS away and bring the same server back.
 */
export class TestNatsServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly options: NatsServerOptions,
  ) {}

  static async start(options: NatsServerOptions = {}): Promise<TestNatsServer> {
    const storeDir = await mkdtemp(join(tmpdir(), 'switchboard-nats-'));
    const server = new TestNatsServer(options.port ?? (await freePort()), storeDir, options);
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    if (this.options.configFile) args.unshift('-c', this.options.configFile);
    args.push(...(this.options.args ?? []));
    const child = spawn(NATS_SERVER_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    const exited = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${stderr}`)));
    });
    exited.catch(() => undefined);
    this.child = child;
    await Promise.race([waitForPort(this.port), exited]);
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s); the store stays for `start()`. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL: the server dies as a crashed process or a lost machine would, with nothing flushed. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async close(): Promise<void> {
    await this.stop();
    await rm(this.storeDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
