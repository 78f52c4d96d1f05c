// The media worker of the placement benchmark, in a process of its own (test/bench/placement.ts): started
// from source with the settings in BENCH_WORKER_ENV, it says `{ port }` when listening, then takes the
// reservation hooks' calls over IPC (as the placement's `worker.reserve.<id>` handler will make them) and
// answers `report` with what it holds.
import type { Call } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { loadConfig, startWorker } from '@switchboard/media-worker';

export type WorkerCommand =
  | { type: 'reserved'; call: Call; expiresAtMs: number }
  | { type: 'taken'; callSid: string }
  | { type: 'report' };
export interface WorkerReport {
  preparedSessions: number;
  keptGreetings: number;
  liveStreams: number;
}

const send = (message: unknown) => process.send?.(message);
const log = createLogger({ name: 'placement-bench-worker', level: 'warn' });
const worker = await startWorker({
  config: loadConfig(JSON.parse(process.env.BENCH_WORKER_ENV ?? '{}')),
  log,
});

process.on('message', (command: WorkerCommand) => {
  switch (command.type) {
    case 'reserved':
      worker.reservations.reserved(command.call, command.expiresAtMs);
      return;
    case 'taken':
      worker.reservations.taken(command.callSid);
      return;
    case 'report': {
      const { preparedSessions, keptGreetings, liveStreams } = worker;
      send({ preparedSessions, keptGreetings, liveStreams } satisfies WorkerReport);
      return;
    }
  }
});
process.once('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
send({ port: worker.port });
