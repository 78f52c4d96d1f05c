import { type Agent, AgentConflictError, AgentNotFoundError } from '@switchboard/contracts';
import { toAgent } from '../calls/call-row.js';
import { isUniqueViolation } from '../db/errors.js';
import type { PrismaClient } from '../db/prisma.js';
import { withDbRetry } from '../db/retry.js';

/** Creates or replaces an agent. A phone number answers for one agent only: another's is a 409. */
export async function upsertAgent(prisma: PrismaClient, agent: Agent): Promise<Agent> {
  const fields = {
    phoneNumber: agent.phoneNumber ?? null,
    instructions: agent.instructions,
    voice: agent.voice,
    model: agent.model,
    greeting: agent.greeting ?? null,
  };
  try {
    const row = await withDbRetry(() =>
      prisma.agent.upsert({
        where: { id: agent.id },
        create: { id: agent.id, ...fields },
        update: { ...fields, updatedAt: new Date() },
      }),
    );
    return toAgent(row);
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AgentConflictError(`phone number is already assigned to another agent`, { cause: err });
    }
    throw err;
  }
}

export async function getAgent(prisma: PrismaClient, id: string): Promise<Agent> {
  const row = await withDbRetry(() => prisma.agent.findUnique({ where: { id } }));
  if (!row) throw AgentNotFoundError.forId(id);
  return toAgent(row);
}
