import type { NatsConnection } from '@nats-io/nats-core';
import { EventPublisher, type RegistryClient } from '@switchboard/bus';
import { type RegistryStack, startRegistryStack } from '@switchboard/call-registry/testing';
import type { CallEvent, WebhookEventType, WebhookWithSecret } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { eventually, newCallSid } from '@switchboard/testkit';
import { loadConfig } from '../src/config.js';
import { type Notifier, startNotifier } from '../src/notifier.js';
import { type ReceivedDelivery, Receiver } from './receiver.js';

export { eventually, newCallSid } from '@switchboard/testkit';
export { Receiver } from './receiver.js';

export const log = createLogger({ name: 'notifier-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Settings of the tests: short attempts and acknowledgement waits, private URLs allowed (the receiver is local). */
export const TEST_ENV = {
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_ATTEMPT_TIMEOUT_MS: '300',
  NOTIFIER_ACK_WAIT_MS: '2000',
};

export interface NotifierStack {
  stack: RegistryStack;
  nc: NatsConnection;
  client: RegistryClient;
  events: EventPublisher;
  receiver: Receiver;
  /** The notifier started with the stack (none with `{ notifier: false }`). */
  notifier: Notifier | undefined;
  notifierEnv(env?: Record<string, string>): Record<string, string>;
  startNotifier(env?: Record<string, string>): Promise<Notifier>;
  subscribe(
    events: WebhookEventType[],
    options?: { url?: string; agentId?: string },
  ): Promise<WebhookWithSecret>;
  close(): Promise<void>;
}

export async function startNotifierStack(
  env: Record<string, string> = {},
  options: { notifier?: boolean } = {},
): Promise<NotifierStack> {
  const stack = await startRegistryStack({ env: { DB_POOL_MIN: '1', DB_POOL_MAX: '5' }, log });
  const receiver = await Receiver.start();
  const notifierEnv = (overrides: Record<string, string> = {}) => ({
    NATS_URL: stack.nats.url,
    PORT: '0',
    ...TEST_ENV,
    ...env,
    ...overrides,
  });
  const started: Notifier[] = [];
  const start = async (overrides: Record<string, string> = {}) => {
    const n = await startNotifier({ config: loadConfig(notifierEnv(overrides)), log });
    started.push(n);
    return n;
  };
  const notifier = options.notifier === false ? undefined : await start();
  return {
    stack,
    nc: stack.nc,
    client: stack.client,
    events: new EventPublisher(stack.nc, log),
    receiver,
    notifier,
    notifierEnv,
    startNotifier: start,
    async subscribe(events, options = {}) {
      const webhook = await stack.client.webhookCreate({
        url: options.url ?? receiver.url,
        events,
        ...(options.agentId ? { agentId: options.agentId } : {}),
      });
      receiver.secret = webhook.secret;
      return webhook;
    },
    async close() {
      await Promise.allSettled(started.map((n) => n.close()));
      await receiver.close();
      await stack.close();
    },
  };
}

/** One call as the gateway and a worker report it: registered, streamed, spoken, ended by the agent, completed. */
export async function placeCall(
  s: Pick<NotifierStack, 'client' | 'events'>,
  options: { callSid?: string; turns?: number; agentId?: string } = {},
): Promise<string> {
  const callSid = options.callSid ?? newCallSid();
  const streamSid = `MZ${callSid.slice(2)}`;
  await s.client.callCreate({
    callSid,
    direction: 'inbound',
    from: '+15551230000',
    to: '+15559870000',
    ...(options.agentId ? { agentId: options.agentId } : {}),
  });
  const t0 = Date.now();
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const events: Array<[CallEvent, string]> = [
    [
      { kind: 'stream', callSid, at: at(0), action: 'started', streamSid },
      `stream:${callSid}:${streamSid}:started`,
    ],
  ];
  const turns = options.turns ?? 2;
  for (let i = 0; i < turns; i++) {
    const role = i % 2 === 0 ? 'agent' : 'caller';
    const itemId = `item_${i}`;
    events.push([
      { kind: 'transcript', callSid, at: at(10 + i), role, text: `line ${i}`, itemId },
      `transcript:${callSid}:${itemId}`,
    ]);
  }
  events.push(
    [{ kind: 'ended', callSid, at: at(100), reason: 'agent-ended' }, `ended:${callSid}:${streamSid}`],
    [
      { kind: 'stream', callSid, at: at(101), action: 'stopped', streamSid, reason: 'agent-ended' },
      `stream:${callSid}:${streamSid}:stopped`,
    ],
  );
  for (const [event, msgId] of events) await s.events.publish(event, { msgId });
  // Twilio's last callback comes once the stream's end is known, as it does on a real call (were it applied
  // first, it would be what ends the call, and its call.status would come before the report).
  await eventually(
    () => s.client.callBySid({ callSid }),
    (call) => call.endedAt !== null,
  );
  await s.events.publish(
    { kind: 'status', callSid, at: at(200), status: 'completed', sequenceNumber: 3, durationSeconds: 1 },
    { msgId: `status.${callSid}.completed.seq-3` },
  );
  return callSid;
}

/** The types a receiver should see for one `placeCall` with every event subscribed, in order. */
export function expectedTypes(turns = 2): string[] {
  return ['call.started', ...Array(turns).fill('call.transcript'), 'call.ended', 'call.status'];
}

/** The call a delivery is about, whatever its type. */
export function callSidOf(r: ReceivedDelivery): string | undefined {
  const data = r.json.data as { callSid?: string; call?: { callSid?: string } };
  return data.callSid ?? data.call?.callSid;
}

/** Whether each call has had as many different deliveries accepted as it owes (the tests then check which). */
export function allAccepted(receiver: Receiver, callSids: string[], types: string[]): boolean {
  return callSids.every((sid) => {
    const ids = new Set(receiver.accepted.filter((r) => callSidOf(r) === sid).map((r) => r.id));
    return ids.size >= types.length;
  });
}
