import {
  type Agent,
  AgentConflictError,
  type AgentListReply,
  AgentNotFoundError,
  type AgentPutReply,
  DEFAULT_AGENT_ID,
  DefaultAgentRequiredError,
} from '@switchboard/contracts';
import type pg from 'pg';
import { toAgent } from '../calls/call-row.js';
import { isUniqueViolation } from '../db/errors.js';
import { withDbRetry } from '../db/retry.js';
import { inTransaction } from '../db/transaction.js';
import { settingsOf } from './agent-settings.js';

const AGENT_COLUMNS = 'id, phone_number, instructions, voice, model, greeting, settings';

interface AgentSqlRow {
  id: string;
  phone_number: string | null;
  instructions: string;
  voice: string;
  model: string;
  greeting: string | null;
  settings: unknown;
}

// Whether the agent is live now, its row locked until the transaction ends (nothing when there is no row).
const LOCK_AGENT = {
  name: 'lock_agent',
  text: `SELECT deleted_at IS NULL AS live FROM agents WHERE id = $1 FOR UPDATE`,
};

// Creates or replaces the agent; a deleted one is created afresh. `xmax = 0`: the row was inserted.
const PUT_AGENT = {
  name: 'put_agent',
  text: `
    INSERT INTO agents (id, phone_number, instructions, voice, model, greeting, settings)
    VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
    ON CONFLICT (id) DO UPDATE SET
      phone_number = EXCLUDED.phone_number,
      instructions = EXCLUDED.instructions,
      voice = EXCLUDED.voice,
      model = EXCLUDED.model,
      greeting = EXCLUDED.greeting,
      settings = EXCLUDED.settings,
      created_at = CASE WHEN agents.deleted_at IS NULL THEN agents.created_at ELSE now() END,
      updated_at = now(),
      deleted_at = NULL
    RETURNING ${AGENT_COLUMNS}, (xmax = 0) AS inserted`,
};

const GET_AGENT = {
  name: 'get_agent',
  text: `SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1 AND deleted_at IS NULL`,
};

// Keyset pages in id order: `id > ''` holds for every id (ids are never empty), so the first page is the same
// index range scan as the others.
const LIST_AGENTS = {
  name: 'list_agents',
  text: `SELECT ${AGENT_COLUMNS} FROM agents WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2`,
};

const DELETE_AGENT = {
  name: 'delete_agent',
  text: `UPDATE agents SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
};

function agentOf(row: AgentSqlRow): Agent {
  return toAgent({
    id: row.id,
    phoneNumber: row.phone_number,
    instructions: row.instructions,
    voice: row.voice,
    model: row.model,
    greeting: row.greeting,
    settings: row.settings,
  });
}

/**
 * Creates or replaces an agent, every field as given, and says which it did: `created` when there was no live
 * agent with the id. The row is locked first, so of two PUTs of one id at once exactly one reports `created`. A
 * phone number answers for one live agent only: another's is a 409.
 */
export async function putAgent(pool: pg.Pool, agent: Agent): Promise<AgentPutReply> {
  const values = [
    agent.id,
    agent.phoneNumber ?? null,
    agent.instructions,
    agent.voice,
    agent.model,
    agent.greeting ?? null,
    JSON.stringify(settingsOf(agent)),
  ];
  try {
    return await withDbRetry(() =>
      inTransaction(pool, async (client) => {
        const before = await client.query<{ live: boolean }>({ ...LOCK_AGENT, values: [agent.id] });
        const { rows } = await client.query<AgentSqlRow & { inserted: boolean }>({ ...PUT_AGENT, values });
        const row = rows[0];
        if (!row) throw new Error('put_agent returned no row');
        return { agent: agentOf(row), created: row.inserted || before.rows[0]?.live === false };
      }),
    );
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AgentConflictError(`phone number is already assigned to another agent`, { cause: err });
    }
    throw err;
  }
}

/** `agent.upsert`: `agent.put` answering with the agent alone. */
export async function upsertAgent(pool: pg.Pool, agent: Agent): Promise<Agent> {
  return (await putAgent(pool, agent)).agent;
}

export async function getAgent(pool: pg.Pool, id: string): Promise<Agent> {
  const { rows } = await withDbRetry(() => pool.query<AgentSqlRow>({ ...GET_AGENT, values: [id] }));
  const row = rows[0];
  if (!row) throw AgentNotFoundError.forId(id);
  return agentOf(row);
}

/** Live agents in id order; `cursor` is the last id of the previous page. */
export async function listAgents(
  pool: pg.Pool,
  request: { limit: number; cursor?: string | undefined },
): Promise<AgentListReply> {
  const { rows } = await withDbRetry(() =>
    pool.query<AgentSqlRow>({ ...LIST_AGENTS, values: [request.cursor ?? '', request.limit + 1] }),
  );
  const page = rows.slice(0, request.limit);
  const last = page.at(-1);
  return {
    agents: page.map(agentOf),
    nextCursor: rows.length > request.limit && last ? last.id : null,
  };
}

/**
 * Soft-deletes an agent: it leaves lists and lookups, its phone number is free again, calls keep pointing at
 * it (a live call goes on with the configuration it loaded). `default` is never deleted.
 */
export async function deleteAgent(pool: pg.Pool, id: string): Promise<{ id: string; deleted: true }> {
  if (id === DEFAULT_AGENT_ID) throw new DefaultAgentRequiredError();
  const { rowCount } = await withDbRetry(() => pool.query({ ...DELETE_AGENT, values: [id] }));
  if (rowCount !== 1) throw AgentNotFoundError.forId(id);
  return { id, deleted: true };
}
