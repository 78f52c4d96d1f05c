import { AGENT_LIST_MAX_LIMIT, AgentBody, AgentId } from '@switchboard/contracts';
import { type Request, Router } from 'express';
import { z } from 'zod';
import type { GatewayRegistry } from '../registry.js';
import { parseInput } from '../validation.js';

const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(AGENT_LIST_MAX_LIMIT).optional(),
  cursor: AgentId.optional(),
});

/** The id in the path, which a body's own `id` must equal. */
const BodyForPath = (id: string) =>
  AgentBody.refine((body) => body.id === undefined || body.id === id, {
    path: ['id'],
    message: `must be the id in the path (${id}) or left out`,
  });

export interface ApiAgentsDeps {
  registry: GatewayRegistry;
  registryTimeoutMs: number;
}

function idParam(req: Request): string {
  return parseInput(AgentId, req.params.id, 'agent id');
}

/**
 * `/api/agents…` (SPEC "Agents over HTTP"), behind the API key check. The registry does the work: `agent.put`
 * says whether it created the agent, so PUT answers 201 or 200 without a race between two requests.
 */
export function apiAgentsRouter({ registry, registryTimeoutMs: timeoutMs }: ApiAgentsDeps): Router {
  const router = Router();

  router.get('/agents', async (req, res) => {
    const query = parseInput(ListQuery, req.query, 'query');
    res.json(await registry.agentList(query, { timeoutMs }));
  });

  router.get('/agents/:id', async (req, res) => {
    res.json(await registry.agentGet({ id: idParam(req) }, { timeoutMs }));
  });

  router.put('/agents/:id', async (req, res) => {
    const id = idParam(req);
    const body = parseInput(BodyForPath(id), req.body ?? {}, 'agent');
    const { agent, created } = await registry.agentPut({ agent: { ...body, id } }, { timeoutMs });
    if (created) res.status(201).location(`/api/agents/${id}`);
    res.json(agent);
  });

  router.delete('/agents/:id', async (req, res) => {
    await registry.agentDelete({ id: idParam(req) }, { timeoutMs });
    res.status(204).end();
  });

  return router;
}
