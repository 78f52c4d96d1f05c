// The messaging ceiling: a NATS responder that answers call.bySid-shaped requests from memory, never
// touching a database. It runs the same ServiceHost as the registry (zod-parsed request, the same services
// framework, replies sent as already-encoded bytes as the registry's are), and it answers each sid with the
// registry's own reply for that sid, fetched from the registry once at start: both send the same bytes, so
// the difference between the two is the lookup itself.
// Run as its own process by the benchmark: NATS_URL, FIXED_SUBJECT (where it answers), and the deck of
// sids it will be asked for (DECK_CALLS, DECK_SIZE, DECK_SEED: see sids.ts).
import { ServiceErrorCodeHeader } from '@nats-io/services';
import { connectBus, EncodedReply, ServiceHost } from '@switchboard/bus';
import { Call, CallBySidRequest, ENDPOINTS } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { SidDeck } from './sids.js';

const FETCH_CONCURRENCY = 64;
const FETCH_TIMEOUT_MS = 10_000;

const log = createLogger({ name: 'bench-fixed-reply', level: 'warn' });
const subject = process.env.FIXED_SUBJECT ?? 'bench.fixed.bySid';
const deck = new SidDeck(
  Number(process.env.DECK_CALLS),
  Number(process.env.DECK_SIZE),
  Number(process.env.DECK_SEED),
);

const nc = await connectBus({ url: process.env.NATS_URL, name: 'bench-fixed-reply', log });

/** The registry's reply to every sid of the deck, byte for byte as it sent it. */
const replies = new Map<string, EncodedReply<Call>>();
const sids = [...new Set(deck.all)];
let next = 0;
await Promise.all(
  Array.from({ length: FETCH_CONCURRENCY }, async () => {
    while (next < sids.length) {
      const callSid = sids[next++] as string;
      const msg = await nc.request(ENDPOINTS.callBySid.subject, JSON.stringify({ callSid }), {
        timeout: FETCH_TIMEOUT_MS,
      });
      if (msg.headers?.get(ServiceErrorCodeHeader)) throw new Error(`call.bySid ${callSid}: ${msg.string()}`);
      Call.parse(msg.json());
      replies.set(callSid, new EncodedReply<Call>(msg.data.slice()));
    }
  }),
);

const host = await ServiceHost.start(
  nc,
  { name: 'bench-fixed-reply', version: '0.0.0', description: "Answers the registry's replies from memory" },
  { log },
);
host.addEndpoint('bySid', { subject, request: CallBySidRequest, reply: Call }, async ({ callSid }) => {
  const reply = replies.get(callSid);
  if (!reply) throw new Error(`${callSid} is not in the deck`);
  return reply;
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void host
      .drain()
      .then(() => nc.drain())
      .then(() => process.exit(0));
  });
}
