// The messaging ceiling: a NATS responder that answers every call.bySid-shaped request with one fixed Call,
// never touching a database. It runs the same ServiceHost as the registry (zod-parsed request, JSON reply,
// the same services framework), so the difference between the two is the lookup itself.
// Run as its own process by the benchmark: NATS_URL, FIXED_SUBJECT and FIXED_REPLY (a Call, as JSON).
import { connectBus, ServiceHost } from '@switchboard/bus';
import { Call, CallBySidRequest } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';

const log = createLogger({ name: 'bench-fixed-reply', level: 'warn' });
const subject = process.env.FIXED_SUBJECT ?? 'bench.fixed.bySid';
const fixed = Call.parse(JSON.parse(process.env.FIXED_REPLY ?? '{}'));

const nc = await connectBus({ url: process.env.NATS_URL, name: 'bench-fixed-reply', log });
const host = await ServiceHost.start(
  nc,
  { name: 'bench-fixed-reply', version: '0.0.0', description: 'Answers a fixed Call' },
  { log },
);
host.addEndpoint('bySid', { subject, request: CallBySidRequest, reply: Call }, async ({ callSid }) => ({
  ...fixed,
  callSid,
}));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void host
      .drain()
      .then(() => nc.drain())
      .then(() => process.exit(0));
  });
}
