import type { Agent, Call, CallStatus, Direction } from '@switchboard/contracts';

/** The columns every query that returns Calls selects: the call joined with its agent. */
export const CALL_COLUMNS = `
  c.call_sid, c.direction, c.from_number, c.to_number, c.status, c.created_at, c.updated_at,
  c.answered_at, c.ended_at, c.duration_seconds,
  a.id AS agent_id, a.phone_number AS agent_phone_number, a.instructions AS agent_instructions,
  a.voice AS agent_voice, a.model AS agent_model, a.greeting AS agent_greeting`;

export const CALLS_JOIN_AGENTS = 'calls c JOIN agents a ON a.id = c.agent_id';

export interface CallRow {
  call_sid: string;
  direction: Direction;
  from_number: string;
  to_number: string;
  status: CallStatus;
  created_at: Date;
  updated_at: Date;
  answered_at: Date | null;
  ended_at: Date | null;
  duration_seconds: number | null;
  agent_id: string;
  agent_phone_number: string | null;
  agent_instructions: string;
  agent_voice: string;
  agent_model: string;
  agent_greeting: string | null;
}

export interface AgentRow {
  id: string;
  phoneNumber: string | null;
  instructions: string;
  voice: string;
  model: string;
  greeting: string | null;
}

/** An Agent as the contract shows it: optional fields left out rather than null. */
export function toAgent(row: AgentRow): Agent {
  const agent: Agent = { id: row.id, instructions: row.instructions, voice: row.voice, model: row.model };
  if (row.phoneNumber !== null) agent.phoneNumber = row.phoneNumber;
  if (row.greeting !== null) agent.greeting = row.greeting;
  return agent;
}

export function toCall(row: CallRow): Call {
  return {
    callSid: row.call_sid,
    direction: row.direction,
    from: row.from_number,
    to: row.to_number,
    status: row.status,
    agent: toAgent({
      id: row.agent_id,
      phoneNumber: row.agent_phone_number,
      instructions: row.agent_instructions,
      voice: row.agent_voice,
      model: row.agent_model,
      greeting: row.agent_greeting,
    }),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    answeredAt: row.answered_at?.toISOString() ?? null,
    endedAt: row.ended_at?.toISOString() ?? null,
    durationSeconds: row.duration_seconds,
  };
}
