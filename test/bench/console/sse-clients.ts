// A child of the console benchmark: opens `n` SSE streams on `url`, says "ready" once each has its `ready`
// frame, reads `events` transcript frames on each, then prints the delivery latencies' percentiles as JSON.
// In a process of its own, so that the gateway's CPU is measured without its clients'.
import { SseReader } from '@switchboard/testkit';
import { Latencies } from '../lib/latency.js';

const [url, key, n, events] = process.argv.slice(2) as [string, string, string, string];
const readers = await Promise.all(
  Array.from({ length: Number(n) }, async () => {
    const reader = new SseReader(await fetch(url, { headers: { authorization: `Bearer ${key}` } }));
    await reader.nextOf('ready');
    return reader;
  }),
);
process.stdout.write('ready\n');
const latencies = new Latencies();
await Promise.all(
  readers.map(async (reader) => {
    for (let got = 0; got < Number(events); ) {
      const frame = await reader.next(60_000);
      if (frame.event !== 'transcript') continue;
      got++;
      latencies.record(Date.now() - Date.parse((JSON.parse(frame.data) as { at: string }).at));
    }
  }),
);
process.stdout.write(
  `${JSON.stringify({ delivered: latencies.count, p50: latencies.percentile(50), p99: latencies.percentile(99) })}\n`,
);
process.exit(0);
