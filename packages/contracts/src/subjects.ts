/** The registry's request/reply subjects (SPEC: NATS → Request/reply). */
export const SUBJECTS = {
  callBySid: 'call.bySid',
  callCreate: 'call.create',
  callList: 'call.list',
  callTranscript: 'call.transcript',
  callActivity: 'call.activity',
  callMachineDetection: 'call.machineDetection',
  /** The Call and its transcript in one answer: what the notifier's end-of-call report is made of. */
  callReport: 'call.report',
  agentUpsert: 'agent.upsert',
  agentPut: 'agent.put',
  agentGet: 'agent.get',
  agentList: 'agent.list',
  agentDelete: 'agent.delete',
  registryHealth: 'registry.health',
  batchCreate: 'batch.create',
  batchAddCalls: 'batch.addCalls',
  batchGet: 'batch.get',
  batchCancel: 'batch.cancel',
  batchClaim: 'batch.claim',
  batchAttemptFailed: 'batch.attemptFailed',
  webhookCreate: 'webhook.create',
  webhookList: 'webhook.list',
  webhookGet: 'webhook.get',
  webhookDelete: 'webhook.delete',
  /** Every subscription with its secret: the notifier's alone (infra/nats/auth.conf). */
  webhookActive: 'webhook.active',
  /** Records a delivery given up on: the notifier's alone. */
  webhookFailedAdd: 'webhook.failed.add',
  webhookFailedList: 'webhook.failed.list',
  webhookFailedRemove: 'webhook.failed.remove',
} as const;
export type Subject = (typeof SUBJECTS)[keyof typeof SUBJECTS];

/**
 * Where a registry replica announces that it wrote an agent (`AgentChanged`): the other replicas forget
 * their cached copy, and workers what they prepared or kept for it (sessions, greetings). Only the
 * registry's user may publish it (infra/nats/auth.conf).
 */
export const AGENT_CHANGED_SUBJECT = 'call-registry.agent.changed';

/** The three services' names: their NATS connections, inbox prefixes, loggers and `$SRV` name (the registry). */
export const REGISTRY_SERVICE_NAME = 'call-registry';
export const GATEWAY_SERVICE_NAME = 'webhook-gateway';
export const WORKER_SERVICE_NAME = 'media-worker';
/** The webhook deliverer (services/notifier). */
export const NOTIFIER_SERVICE_NAME = 'notifier';
export type ServiceName =
  | typeof REGISTRY_SERVICE_NAME
  | typeof GATEWAY_SERVICE_NAME
  | typeof WORKER_SERVICE_NAME
  | typeof NOTIFIER_SERVICE_NAME;

/**
 * Twilio's REST API, served by the webhook gateway (the only holder of Twilio credentials) for the other
 * services, as service `twilio-rest` of the services framework.
 */
export const TWILIO_REST_SERVICE_NAME = 'twilio-rest';
export const TWILIO_SUBJECTS = {
  /** Hand a live call to a person: `<Dial>` with the gateway's dial-result callback. */
  callTransfer: 'twilio.call.transfer',
} as const;

/**
 * Live control of a call, served by the media worker that holds its stream, while it does (request/reply;
 * nobody serves it for a call no worker holds).
 */
export function callControlSubject(callSid: string): string {
  return `call.control.${callSid}`;
}

/** JetStream stream holding every call event; subjects `events.call.<callSid>.<kind>`. */
export const CALL_EVENTS_STREAM = 'CALL_EVENTS';
export const CALL_EVENTS_SUBJECTS = 'events.call.>';
/** The registry's durable consumer of CALL_EVENTS. */
export const CALL_EVENTS_CONSUMER = 'call-registry';

/**
 * JetStream work-queue stream of batch calls: one message per call of a batch (`batches.work.<batchId>`),
 * held by the gateway replica dispatching it until the call has its final outcome (README: Batches).
 */
export const CALL_BATCH_WORK_STREAM = 'CALL_BATCH_WORK';
export const CALL_BATCH_WORK_SUBJECTS = 'batches.work.>';
/** The gateways' one durable consumer of CALL_BATCH_WORK: every replica pulls from it. */
export const CALL_BATCH_WORK_CONSUMER = 'batch-dispatch';

export function batchWorkSubject(batchId: string): string {
  return `batches.work.${batchId}`;
}

export function eventSubject(callSid: string, kind: string): string {
  return `events.call.${callSid}.${kind}`;
}

/**
 * Where a service's replies arrive: each service user may subscribe to its own inbox prefix only, so no
 * service can read another's replies (or the events the registry pulls). See infra/nats/auth.conf.
 */
export function inboxPrefixFor(service: ServiceName | 'ops'): string {
  return `_INBOX.${service}`;
}
