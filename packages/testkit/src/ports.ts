import { createServer } from 'node:net';

/**
 * Ports handed out for servers a test starts, below Linux's default ephemeral range (32768–60999). A port
 * the kernel picks for `listen(0)` is in that range, and so is the local port of every outgoing connection:
 * between the probe and the server's own bind, any connection of a test file running beside this one could
 * take it ("address already in use", seen with two files at a time).
 */
const TEST_PORTS = { from: 20_000, to: 32_767 };
const PICKS = 50;

/** A TCP port nobody listens on right now, outside the ephemeral range (see `TEST_PORTS`). */
export async function freePort(): Promise<number> {
  for (let pick = 0; pick < PICKS; pick++) {
    const port = TEST_PORTS.from + Math.floor(Math.random() * (TEST_PORTS.to - TEST_PORTS.from + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${TEST_PORTS.from}-${TEST_PORTS.to} after ${PICKS} picks`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs = 10_000, host = '127.0.0.1'): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
