import {
  type Agent,
  type Call,
  type CallRecording,
  type CallStatus,
  type Direction,
  fillVariables,
  type StreamEndReason,
} from '@switchboard/contracts';
import pg from 'pg';
import { withSettings } from '../agents/agent-settings.js';

/** The Call's `recording` and `answeredBy`, on the call's own row (no join on the lookup path). */
const RECORDING_COLUMNS =
  'c.recording_sid, c.recording_duration_seconds, c.recording_channels, c.answered_by';

/** The columns every query that returns Calls selects: the call joined with its agent. */
export const CALL_COLUMNS = `
  c.call_sid, c.direction, c.from_number, c.to_number, c.status, c.created_at, c.updated_at,
  c.answered_at, c.ended_at, c.duration_seconds,
  a.id AS agent_id, a.phone_number AS agent_phone_number, a.instructions AS agent_instructions,
  a.voice AS agent_voice, a.model AS agent_model, a.greeting AS agent_greeting,
  c.ended_reason, a.settings AS agent_settings, ${RECORDING_COLUMNS}, c.variables`;

export const CALLS_JOIN_AGENTS = 'calls c JOIN agents a ON a.id = c.agent_id';

/** The lookup path's columns: the call alone, its agent by id (held by `AgentCache`). */
export const LOOKUP_COLUMNS = `
  c.call_sid, c.direction, c.from_number, c.to_number, c.status, c.created_at, c.updated_at,
  c.answered_at, c.ended_at, c.duration_seconds, c.agent_id, c.ended_reason, ${RECORDING_COLUMNS}, c.variables`;

/** A call row as read with `TIMESTAMPS_AS_TEXT`: timestamps as PostgreSQL writes them. */
export interface CallRow {
  call_sid: string;
  direction: Direction;
  from_number: string;
  to_number: string;
  status: CallStatus;
  created_at: string;
  updated_at: string;
  answered_at: string | null;
  ended_at: string | null;
  duration_seconds: number | null;
  agent_id: string;
  agent_phone_number: string | null;
  agent_instructions: string;
  agent_voice: string;
  agent_model: string;
  agent_greeting: string | null;
  ended_reason: StreamEndReason | null;
  /** JSONB, parsed by node-postgres. */
  agent_settings: unknown;
  recording_sid: string | null;
  recording_duration_seconds: number | null;
  recording_channels: number | null;
  answered_by: string | null;
  /** A batch call's variables (JSONB), or null. */
  variables: Record<string, string> | null;
}

/** A call row as the lookup path reads it (`LOOKUP_COLUMNS`). */
export type LookupRow = Omit<
  CallRow,
  | 'agent_phone_number'
  | 'agent_instructions'
  | 'agent_voice'
  | 'agent_model'
  | 'agent_greeting'
  | 'agent_settings'
>;

export interface AgentRow {
  id: string;
  phoneNumber: string | null;
  instructions: string;
  voice: string;
  model: string;
  greeting: string | null;
  /** The optional fields, as given (see agents/agent-settings.ts). */
  settings: unknown;
}

/** An Agent as the contract shows it: phone number and greeting left out rather than null, settings as given. */
export function toAgent(row: AgentRow): Agent {
  const agent: Agent = { id: row.id, instructions: row.instructions, voice: row.voice, model: row.model };
  if (row.phoneNumber !== null) agent.phoneNumber = row.phoneNumber;
  if (row.greeting !== null) agent.greeting = row.greeting;
  return withSettings(agent, row.settings);
}

export function toCall(row: CallRow): Call {
  return {
    callSid: row.call_sid,
    direction: row.direction,
    from: row.from_number,
    to: row.to_number,
    status: row.status,
    agent: agentForCall(toAgent(agentRowOf(row)), row.variables),
    createdAt: isoFromTimestamptz(row.created_at),
    updatedAt: isoFromTimestamptz(row.updated_at),
    answeredAt: row.answered_at === null ? null : isoFromTimestamptz(row.answered_at),
    endedAt: row.ended_at === null ? null : isoFromTimestamptz(row.ended_at),
    durationSeconds: row.duration_seconds,
    endedReason: row.ended_reason,
    recording: recordingOf(row),
    answeredBy: row.answered_by,
  };
}

/** The Call's `recording` from its row's columns: a SID means a completed recording, with its figures. */
export function recordingOf(row: {
  recording_sid: string | null;
  recording_duration_seconds: number | null;
  recording_channels: number | null;
}): CallRecording | null {
  if (row.recording_sid === null) return null;
  return {
    sid: row.recording_sid,
    durationSeconds: row.recording_duration_seconds ?? 0,
    channels: row.recording_channels ?? 1,
  };
}

/**
 * The Call of `row` as JSON, byte for byte what `JSON.stringify(toCall(row))` writes, with the agent's part
 * given already encoded (`agentJson`, `JSON.stringify(toAgent(…))`: the same for every call of one agent
 * version). Built as one string, with no Call object in between: the lookup path's reply
 * (test/lookup-bytes.int.test.ts holds the bytes).
 */
export function callJson(row: LookupRow, agentJson: string): string {
  // direction and status are PostgreSQL enum labels and the times come from `isoFromTimestamptz`: none needs
  // escaping.
  return (
    `{"callSid":${JSON.stringify(row.call_sid)},"direction":"${row.direction}",` +
    `"from":${JSON.stringify(row.from_number)},"to":${JSON.stringify(row.to_number)},` +
    `"status":"${row.status}","agent":${agentJson},` +
    `"createdAt":"${isoFromTimestamptz(row.created_at)}","updatedAt":"${isoFromTimestamptz(row.updated_at)}",` +
    `"answeredAt":${optionalTime(row.answered_at)},"endedAt":${optionalTime(row.ended_at)},` +
    `"durationSeconds":${row.duration_seconds === null ? 'null' : String(row.duration_seconds)},` +
    `"endedReason":${row.ended_reason === null ? 'null' : JSON.stringify(row.ended_reason)},` +
    `"recording":${row.recording_sid === null ? 'null' : JSON.stringify(recordingOf(row))},` +
    `"answeredBy":${row.answered_by === null ? 'null' : JSON.stringify(row.answered_by)}}`
  );
}

/**
 * The agent as this call has it: a batch call's variables put into its instructions and greeting (README:
 * Batches). Other calls (variables null) have the agent as it is.
 */
export function agentForCall(agent: Agent, variables: Record<string, string> | null): Agent {
  if (variables === null) return agent;
  const filled: Agent = { ...agent, instructions: fillVariables(agent.instructions, variables) };
  if (agent.greeting !== undefined && agent.greeting !== null)
    filled.greeting = fillVariables(agent.greeting, variables);
  return filled;
}

/** `agentJson` (an encoded Agent) for a call with `variables`: the same JSON when there are none. */
export function agentJsonForCall(agentJson: string, variables: Record<string, string> | null): string {
  if (variables === null) return agentJson;
  return JSON.stringify(agentForCall(JSON.parse(agentJson) as Agent, variables));
}

const optionalTime = (text: string | null) => (text === null ? 'null' : `"${isoFromTimestamptz(text)}"`);

function agentRowOf(row: CallRow): AgentRow {
  return {
    id: row.agent_id,
    phoneNumber: row.agent_phone_number,
    instructions: row.agent_instructions,
    voice: row.agent_voice,
    model: row.agent_model,
    greeting: row.agent_greeting,
    settings: row.agent_settings,
  };
}

const TIMESTAMPTZ_OID = 1184;
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text');

/**
 * Query option for reading `CallRow`s: timestamps stay text and `isoFromTimestamptz` formats them. Parsing
 * them into Dates and formatting those again was half of the registry's cost of decoding a lookup row
 * (`pnpm bench registry`, see test/bench/README.md).
 */
export const TIMESTAMPS_AS_TEXT: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ_OID
      ? (text: string) => text
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * A `timestamptz(3)` as PostgreSQL writes it in a UTC session (`2026-01-01 00:00:01.5+00`) → the ISO string
 * `Date#toISOString` gives (`2026-01-01T00:00:01.500Z`), without making a Date. Any other shape (another
 * session time zone, years past 9999) goes through node-postgres's own parser.
 */
export function isoFromTimestamptz(text: string): string {
  if (text.length >= 22 && text.length <= 26 && text[10] === ' ' && text.endsWith('+00')) {
    const fraction = text.length > 22 ? text.slice(19, -3).padEnd(4, '0') : '.000';
    return `${text.slice(0, 10)}T${text.slice(11, 19)}${fraction}Z`;
  }
  return (parseTimestamptz(text) as Date).toISOString();
}
