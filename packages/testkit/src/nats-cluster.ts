import { TestNatsServer } from './nats-server.js';
import { freePort } from './ports.js';

export interface NatsClusterOptions {
  /** Nodes (default 3: the smallest cluster that keeps a quorum with one node gone). */
  size?: number;
  /** A config file every node reads (users, permissions), as `TestNatsServer`'s `configFile`. */
  configFile?: string;
  /** How long `start()` waits for every node to report JetStream healthy. */
  readyTimeoutMs?: number;
}

/** The node a cluster's JetStream reports as a stream's or a consumer's leader, by server name. */
export interface ClusterNode {
  name: string;
  server: TestNatsServer;
  monitorPort: number;
}

const DEFAULT_SIZE = 3;
const DEFAULT_READY_TIMEOUT_MS = 30_000;

/**
 * A throwaway nats-server cluster on loopback: every node with JetStream and a store of its own, routes to
 * all the others, a monitoring port (for `/healthz`) each. Nodes can be killed and started again one by one
 * (same ports, same store), as a lost machine that comes back.
 */
export class TestNatsCluster {
  private constructor(
    readonly nodes: ClusterNode[],
    private readonly readyTimeoutMs: number,
  ) {}

  static async start(options: NatsClusterOptions = {}): Promise<TestNatsCluster> {
    const size = options.size ?? DEFAULT_SIZE;
    const clusterName = `sb-test-${process.pid}-${Date.now().toString(36)}`;
    const ports: { client: number; route: number; monitor: number }[] = [];
    for (let i = 0; i < size; i++) {
      ports.push({ client: await freePort(), route: await freePort(), monitor: await freePort() });
    }
    const routeUrl = (port: number) => `nats://127.0.0.1:${port}`;
    const nodes = await Promise.all(
      ports.map(async (p, i) => {
        const name = `n${i + 1}`;
        const routes = ports.filter((_, j) => j !== i).map((o) => routeUrl(o.route));
        const server = await TestNatsServer.start({
          port: p.client,
          ...(options.configFile ? { configFile: options.configFile } : {}),
          args: [
            '--server_name',
            name,
            '--cluster_name',
            clusterName,
            '--cluster',
            routeUrl(p.route),
            '--routes',
            routes.join(','),
            '-m',
            String(p.monitor),
          ],
        });
        return { name, server, monitorPort: p.monitor };
      }),
    );
    const cluster = new TestNatsCluster(nodes, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    try {
      await Promise.all(nodes.map((n) => cluster.waitHealthy(n)));
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /** Every node's client URL, comma-separated: a `NATS_URL` for the whole cluster. */
  get url(): string {
    return this.nodes.map((n) => n.server.url).join(',');
  }

  node(name: string): ClusterNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name} in this cluster`);
    return node;
  }

  /** Starts a stopped or killed node again and waits until it says its JetStream is healthy. */
  async restart(node: ClusterNode): Promise<void> {
    await node.server.start();
    await this.waitHealthy(node);
  }

  /**
   * Resolves once the node's `/healthz` answers 200: nats-server says so when it is connected and its
   * JetStream is current with the cluster (a meta leader known, its streams caught up).
   */
  async waitHealthy(node: ClusterNode): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let last = '';
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${node.monitorPort}/healthz`, {
        signal: AbortSignal.timeout(2_000),
      }).catch((err: unknown) => err as Error);
      if (res instanceof Response) {
        last = `${res.status} ${await res.text()}`;
        if (res.ok) return;
      } else {
        last = res.message;
      }
      if (Date.now() > deadline) throw new Error(`nats node ${node.name} not healthy: ${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.server.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
