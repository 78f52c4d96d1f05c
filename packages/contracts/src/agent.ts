import { z } from 'zod';
import { jsonRefusedByPostgres, prose, singleLine } from './text.js';

/** E.164: a plus sign and up to 15 digits, no leading zero. */
export const PhoneNumber = z
  .string()
  .regex(/^\+[1-9]\d{1,14}$/, 'phone numbers must be E.164, like +15551230000');

export const DEFAULT_AGENT_ID = 'default';

export const AgentId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'agent ids are 1–64 letters, digits, - and _');

/** Tools every agent has (some only with the settings they need): no agent tool may take these names. */
export const BUILT_IN_TOOL_NAMES = ['end_call', 'transfer_call', 'send_dtmf'] as const;

export const ToolName = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'tool names are 1–64 letters, digits, - and _')
  .refine((name) => !(BUILT_IN_TOOL_NAMES as readonly string[]).includes(name), {
    message: `end_call, transfer_call and send_dtmf are built in`,
  });

export const TOOL_DEFAULT_TIMEOUT_MS = 5_000;
export const TOOL_MAX_TIMEOUT_MS = 30_000;

/** A JSON Schema object describing a tool's arguments, as the model is given it (`type: "object"`). */
export const ToolParameters = z
  .record(z.string(), z.unknown())
  .refine((schema) => schema.type === 'object', {
    message: 'parameters must be a JSON Schema with type "object"',
  })
  .refine((schema) => JSON.stringify(schema).length <= 16_384, {
    message: 'parameters must be at most 16 KiB',
  })
  .refine((schema) => !jsonRefusedByPostgres(schema), {
    message: 'parameters must not contain NUL or unpaired surrogates',
  });

/** One of the operator's own systems the agent may call (the worker POSTs to `url`, signed). */
export const AgentTool = z.strictObject({
  name: ToolName,
  description: prose(z.string().min(1).max(1_024)),
  parameters: ToolParameters,
  url: singleLine(z.url({ protocol: /^https?$/, message: 'url must be an http(s) URL' }).max(2_048)),
  timeoutMs: z.number().int().min(1).max(TOOL_MAX_TIMEOUT_MS).optional(),
});
export type AgentTool = z.infer<typeof AgentTool>;

/** Where `transfer_call` can send the caller: an E.164 number or a `sip:` URI. */
export const TransferDestination = z.union(
  [z.string().regex(/^\+[1-9]\d{1,14}$/), singleLine(z.string().regex(/^sips?:[^\s<>"]{1,256}$/))],
  { message: 'a transfer target is an E.164 number (+15551230000) or a sip: URI' },
);

/** How the model and operators name a transfer target. */
export const TransferTargetName = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'target names are 1–64 letters, digits, - and _');

export const TransferTarget = z.strictObject({
  name: TransferTargetName,
  description: prose(z.string().min(1).max(1_024)),
  to: TransferDestination,
});
export type TransferTarget = z.infer<typeof TransferTarget>;

export const TurnDetectionSetting = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('server_vad'),
    /** 0–1: how loud speech must be. */
    threshold: z.number().min(0).max(1).optional(),
    /** Silence that ends the caller's turn. */
    silenceMs: z.number().int().min(0).max(10_000).optional(),
  }),
  z.strictObject({
    type: z.literal('semantic_vad'),
    eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
  }),
]);
export type TurnDetectionSetting = z.infer<typeof TurnDetectionSetting>;

/** How keypad digits reach the model: each at once, or gathered until a terminator key or a pause. */
export const KeypadSetting = z.strictObject({
  /** Key that ends a gathered entry (not passed on); null: none. */
  terminator: z.enum(['#', '*']).nullable().optional(),
  /** A pause this long ends a gathered entry. */
  pauseMs: z.number().int().min(500).max(10_000).optional(),
  /** At most this many digits in one entry. */
  maxDigits: z.number().int().min(1).max(64).optional(),
});
export type KeypadSetting = z.infer<typeof KeypadSetting>;

const uniqueNames = <T extends { name: string }>(items: T[]) =>
  new Set(items.map((i) => i.name)).size === items.length;

export const Agent = z.strictObject({
  id: AgentId,
  phoneNumber: PhoneNumber.nullish(),
  instructions: prose(z.string().min(1).max(20_000)),
  voice: singleLine(z.string().min(1).max(64)),
  model: singleLine(z.string().min(1).max(128)),
  greeting: prose(z.string().max(2_000)).nullish(),
  /** The caller's language, ISO-639-1 (`es`), given to transcription. */
  language: z
    .string()
    .regex(/^[a-z]{2}$/, 'language is an ISO-639-1 code like "es"')
    .nullish(),
  turnDetection: TurnDetectionSetting.nullish(),
  /** `null`: no noise reduction. */
  noiseReduction: z.enum(['near_field', 'far_field']).nullish(),
  /** Silence from the caller after which the agent speaks again. */
  idleTimeoutMs: z.number().int().min(1_000).max(600_000).nullish(),
  /** Reprompts before the agent says goodbye and ends the call (default 2 when idleTimeoutMs is set). */
  idleReprompts: z.number().int().min(0).max(10).nullish(),
  /** The agent says goodbye and ends the call at this length. */
  maxCallSeconds: z.number().int().min(10).max(86_400).nullish(),
  /** Record the call (dual channel) through Twilio. */
  record: z.boolean().nullish(),
  tools: z.array(AgentTool).max(64).refine(uniqueNames, { message: 'tool names must be unique' }).nullish(),
  transferTargets: z
    .array(TransferTarget)
    .max(64)
    .refine(uniqueNames, { message: 'transfer target names must be unique' })
    .nullish(),
  keypad: KeypadSetting.nullish(),
});
export type Agent = z.infer<typeof Agent>;

/** An agent as `PUT /api/agents/:id` takes it: the id comes from the path (a body id must equal it). */
/** On AGENT_CHANGED_SUBJECT: the agent `id` was written. */
export const AgentChanged = z.object({ id: AgentId });
export type AgentChanged = z.infer<typeof AgentChanged>;

export const AgentBody = Agent.extend({ id: AgentId.optional() });
export type AgentBody = z.infer<typeof AgentBody>;
