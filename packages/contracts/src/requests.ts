import { z } from 'zod';
import { Agent, AgentId } from './agent.js';
import {
  BatchAckReply,
  BatchAddCallsRequest,
  BatchAttemptFailedRequest,
  BatchAttemptRef,
  BatchCancelRequest,
  BatchClaimReply,
  BatchClaimRequest,
  BatchCreateRequest,
  BatchGetReply,
  BatchGetRequest,
  BatchSummary,
} from './batches.js';
import { Call, CallSid, CallStatus, Direction, IsoTime, Transcript } from './call.js';
import { VoicemailMessage } from './control.js';
import { SUBJECTS } from './subjects.js';
import { singleLine } from './text.js';
import {
  DeadLetterAddReply,
  DeadLetterAddRequest,
  DeadLetterListReply,
  DeadLetterListRequest,
  DeadLetterRemoveReply,
  DeadLetterRemoveRequest,
  Webhook,
  WebhookActiveReply,
  WebhookCreateRequest,
  WebhookDeleteReply,
  WebhookGetRequest,
  WebhookListReply,
  WebhookListRequest,
  WebhookWithSecret,
} from './webhooks.js';

/** A party of a call as Twilio reports it: E.164 usually, but also `client:alice` or `anonymous`. */
const Party = singleLine(z.string().min(1).max(128));

export const CallBySidRequest = z.object({ callSid: CallSid });
export type CallBySidRequest = z.infer<typeof CallBySidRequest>;

/** What an outbound call does when a machine answers (`POST /api/calls` `machineDetection`). */
export const MachineDetection = z.enum(['off', 'hangup', 'leave-message']);
export type MachineDetection = z.infer<typeof MachineDetection>;

export const CallCreateRequest = z.object({
  callSid: CallSid,
  direction: Direction,
  from: Party,
  to: Party,
  status: CallStatus.optional(),
  agentId: AgentId.optional(),
  /** Kept with the call for Twilio's AMD callback (`call.machineDetection`); a second create keeps the first's. */
  machineDetection: MachineDetection.optional(),
  /** With `leave-message`: what the agent leaves on the machine. */
  voicemailMessage: VoicemailMessage.optional(),
  /** A batch call's attempt: its agent and variables come from the batch (README: Batches). */
  batch: BatchAttemptRef.optional(),
});
export type CallCreateRequest = z.infer<typeof CallCreateRequest>;

export const CALL_LIST_DEFAULT_LIMIT = 50;
export const CALL_LIST_MAX_LIMIT = 200;

export const CallListRequest = z.object({
  limit: z.number().int().min(1).max(CALL_LIST_MAX_LIMIT).default(CALL_LIST_DEFAULT_LIMIT),
  cursor: z.string().min(1).max(200).optional(),
  status: CallStatus.optional(),
  // Filters beyond SPEC's, for the console's history (each optional; all given must hold):
  /** `true`: calls not in a terminal status yet; `false`: ended ones. */
  live: z.boolean().optional(),
  agentId: AgentId.optional(),
  direction: Direction.optional(),
  /** Calls from or to this number (exactly as stored: E.164, `client:…`). */
  number: Party.optional(),
  /** Created at or after this time. */
  createdFrom: IsoTime.optional(),
  /** Created before this time. */
  createdTo: IsoTime.optional(),
});
export type CallListRequest = z.input<typeof CallListRequest>;

export const CallListReply = z.object({
  calls: z.array(Call),
  nextCursor: z.string().nullable(),
});
export type CallListReply = z.infer<typeof CallListReply>;

export const CallTranscriptRequest = z.object({ callSid: CallSid });

/** `call.machineDetection`: what the call was placed to do when a machine answers (404 for an unknown call). */
export const CallMachineDetectionRequest = z.object({ callSid: CallSid });
export const CallMachineDetectionReply = z.object({
  callSid: CallSid,
  machineDetection: MachineDetection,
  voicemailMessage: z.string().nullable(),
});
export type CallMachineDetectionReply = z.infer<typeof CallMachineDetectionReply>;

/** `call.report`: the Call and its transcript, read together. */
export const CallReportRequest = z.object({ callSid: CallSid });
export const CallReportReply = z.object({ call: Call, transcript: Transcript });
export type CallReportReply = z.infer<typeof CallReportReply>;

export const CALL_ACTIVITY_MAX_MINUTES = 24 * 60;

/** Calls started per minute and calls live at each minute, over the last `minutes` up to now. */
export const CallActivityRequest = z.object({
  minutes: z.number().int().min(1).max(CALL_ACTIVITY_MAX_MINUTES).default(60),
});
export type CallActivityRequest = z.input<typeof CallActivityRequest>;

export const CallActivityReply = z.object({
  /** One per minute, oldest first; `at` is the minute's start. */
  buckets: z.array(
    z.object({ at: IsoTime, started: z.number().int().nonnegative(), live: z.number().int().nonnegative() }),
  ),
});
export type CallActivityReply = z.infer<typeof CallActivityReply>;

export const AgentGetRequest = z.object({ id: AgentId });

export const AGENT_LIST_DEFAULT_LIMIT = 50;
export const AGENT_LIST_MAX_LIMIT = 200;

/** Agents ordered by id; `cursor` is the last id of the previous page. */
export const AgentListRequest = z.object({
  limit: z.number().int().min(1).max(AGENT_LIST_MAX_LIMIT).default(AGENT_LIST_DEFAULT_LIMIT),
  cursor: AgentId.optional(),
});
export type AgentListRequest = z.input<typeof AgentListRequest>;

export const AgentListReply = z.object({ agents: z.array(Agent), nextCursor: z.string().nullable() });
export type AgentListReply = z.infer<typeof AgentListReply>;

/** `agent.put`: creates or replaces the agent; `created` says which (a deleted agent's id is created afresh). */
export const AgentPutRequest = z.object({ agent: Agent });
export type AgentPutRequest = z.infer<typeof AgentPutRequest>;
export const AgentPutReply = z.object({ agent: Agent, created: z.boolean() });
export type AgentPutReply = z.infer<typeof AgentPutReply>;

/** 404 when there is no such agent; 409 `DEFAULT_AGENT_REQUIRED` for `default`. */
export const AgentDeleteRequest = z.object({ id: AgentId });
export const AgentDeleteReply = z.object({ id: AgentId, deleted: z.literal(true) });

export const HealthRequest = z.object({});

export const PoolFigures = z.object({
  total: z.number().int(),
  idle: z.number().int(),
  waiting: z.number().int(),
  max: z.number().int(),
});
export type PoolFigures = z.infer<typeof PoolFigures>;

export const HealthReply = z.object({
  status: z.enum(['ok', 'degraded']),
  db: PoolFigures,
});
export type HealthReply = z.infer<typeof HealthReply>;

/** Each registry endpoint: its subject and the schemas of what goes in and what comes back. */
export const ENDPOINTS = {
  callBySid: { subject: SUBJECTS.callBySid, request: CallBySidRequest, reply: Call },
  callCreate: { subject: SUBJECTS.callCreate, request: CallCreateRequest, reply: Call },
  callList: { subject: SUBJECTS.callList, request: CallListRequest, reply: CallListReply },
  callTranscript: { subject: SUBJECTS.callTranscript, request: CallTranscriptRequest, reply: Transcript },
  callActivity: { subject: SUBJECTS.callActivity, request: CallActivityRequest, reply: CallActivityReply },
  callMachineDetection: {
    subject: SUBJECTS.callMachineDetection,
    request: CallMachineDetectionRequest,
    reply: CallMachineDetectionReply,
  },
  callReport: { subject: SUBJECTS.callReport, request: CallReportRequest, reply: CallReportReply },
  agentUpsert: { subject: SUBJECTS.agentUpsert, request: Agent, reply: Agent },
  agentPut: { subject: SUBJECTS.agentPut, request: AgentPutRequest, reply: AgentPutReply },
  agentGet: { subject: SUBJECTS.agentGet, request: AgentGetRequest, reply: Agent },
  agentList: { subject: SUBJECTS.agentList, request: AgentListRequest, reply: AgentListReply },
  agentDelete: { subject: SUBJECTS.agentDelete, request: AgentDeleteRequest, reply: AgentDeleteReply },
  registryHealth: { subject: SUBJECTS.registryHealth, request: HealthRequest, reply: HealthReply },
  batchCreate: { subject: SUBJECTS.batchCreate, request: BatchCreateRequest, reply: BatchSummary },
  batchAddCalls: { subject: SUBJECTS.batchAddCalls, request: BatchAddCallsRequest, reply: BatchAckReply },
  batchGet: { subject: SUBJECTS.batchGet, request: BatchGetRequest, reply: BatchGetReply },
  batchCancel: { subject: SUBJECTS.batchCancel, request: BatchCancelRequest, reply: BatchSummary },
  batchClaim: { subject: SUBJECTS.batchClaim, request: BatchClaimRequest, reply: BatchClaimReply },
  batchAttemptFailed: {
    subject: SUBJECTS.batchAttemptFailed,
    request: BatchAttemptFailedRequest,
    reply: BatchAckReply,
  },
  webhookCreate: { subject: SUBJECTS.webhookCreate, request: WebhookCreateRequest, reply: WebhookWithSecret },
  webhookList: { subject: SUBJECTS.webhookList, request: WebhookListRequest, reply: WebhookListReply },
  webhookGet: { subject: SUBJECTS.webhookGet, request: WebhookGetRequest, reply: Webhook },
  webhookDelete: { subject: SUBJECTS.webhookDelete, request: WebhookGetRequest, reply: WebhookDeleteReply },
  webhookActive: { subject: SUBJECTS.webhookActive, request: WebhookListRequest, reply: WebhookActiveReply },
  webhookFailedAdd: {
    subject: SUBJECTS.webhookFailedAdd,
    request: DeadLetterAddRequest,
    reply: DeadLetterAddReply,
  },
  webhookFailedList: {
    subject: SUBJECTS.webhookFailedList,
    request: DeadLetterListRequest,
    reply: DeadLetterListReply,
  },
  webhookFailedRemove: {
    subject: SUBJECTS.webhookFailedRemove,
    request: DeadLetterRemoveRequest,
    reply: DeadLetterRemoveReply,
  },
} as const;

export type EndpointName = keyof typeof ENDPOINTS;
export interface EndpointSpec<Req extends z.ZodType = z.ZodType, Rep extends z.ZodType = z.ZodType> {
  subject: string;
  request: Req;
  reply: Rep;
}
export type RequestOf<N extends EndpointName> = z.input<(typeof ENDPOINTS)[N]['request']>;
export type ParsedRequestOf<N extends EndpointName> = z.output<(typeof ENDPOINTS)[N]['request']>;
export type ReplyOf<N extends EndpointName> = z.output<(typeof ENDPOINTS)[N]['reply']>;
