import {
  CALL_STATUSES,
  type CallListReply,
  type CallListRequest,
  InvalidRequestError,
  type StreamEndReason,
  TERMINAL_STATUSES,
} from '@switchboard/contracts';
import { fromPrismaStatus, type PrismaClient, toPrismaStatus } from '../db/prisma.js';
import { withDbRetry } from '../db/retry.js';
import type { Prisma } from '../generated/prisma/client.js';
import { agentForCall, recordingOf, toAgent } from './call-row.js';

type ParsedListRequest = Required<Pick<CallListRequest, 'limit'>> & Omit<CallListRequest, 'limit'>;

const LIVE_STATUSES = CALL_STATUSES.filter((s) => !TERMINAL_STATUSES.has(s)).map(toPrismaStatus);
const ENDED_STATUSES = [...TERMINAL_STATUSES].map(toPrismaStatus);

/** The request's filters as one `where`: every filter given must hold. */
export function listFilter(request: Omit<ParsedListRequest, 'limit' | 'cursor'>): Prisma.CallWhereInput {
  const and: Prisma.CallWhereInput[] = [];
  if (request.status) and.push({ status: toPrismaStatus(request.status) });
  if (request.live !== undefined) and.push({ status: { in: request.live ? LIVE_STATUSES : ENDED_STATUSES } });
  if (request.agentId) and.push({ agentId: request.agentId });
  if (request.direction) and.push({ direction: request.direction });
  if (request.number) and.push({ OR: [{ fromNumber: request.number }, { toNumber: request.number }] });
  if (request.createdFrom) and.push({ createdAt: { gte: new Date(request.createdFrom) } });
  if (request.createdTo) and.push({ createdAt: { lt: new Date(request.createdTo) } });
  return and.length === 0 ? {} : { AND: and };
}

/**
 * Newest first, by keyset: the cursor names the last call of the previous page, so pages never repeat or
 * skip a call while new ones arrive, and every page is one index range scan (`calls_pkey`, or the index of
 * the filter: `calls_status_id_idx`, `calls_agent_id_id_idx`, `calls_from_number_id_idx`,
 * `calls_to_number_id_idx`, `calls_created_at_idx`), however deep.
 */
export async function listCalls(prisma: PrismaClient, request: ParsedListRequest): Promise<CallListReply> {
  const before = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
  const rows = await withDbRetry(() =>
    prisma.call.findMany({
      where: {
        ...listFilter(request),
        ...(before === undefined ? {} : { id: { lt: before } }),
      },
      orderBy: { id: 'desc' },
      take: request.limit + 1,
      include: { agent: true },
    }),
  );
  const page = rows.slice(0, request.limit);
  const last = page.at(-1);
  return {
    calls: page.map((row) => ({
      callSid: row.callSid,
      direction: row.direction,
      from: row.fromNumber,
      to: row.toNumber,
      status: fromPrismaStatus(row.status),
      agent: agentForCall(toAgent(row.agent), row.variables as Record<string, string> | null),
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      answeredAt: row.answeredAt?.toISOString() ?? null,
      endedAt: row.endedAt?.toISOString() ?? null,
      durationSeconds: row.durationSeconds,
      endedReason: row.endedReason as StreamEndReason | null,
      recording: recordingOf({
        recording_sid: row.recordingSid,
        recording_duration_seconds: row.recordingSecs,
        recording_channels: row.recordingChans,
      }),
      answeredBy: row.answeredBy,
    })),
    nextCursor: rows.length > request.limit && last ? encodeCursor(last.id) : null,
  };
}

export function encodeCursor(id: bigint): string {
  return Buffer.from(`c1:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): bigint {
  const match = /^c1:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match?.[1]) throw new InvalidRequestError('cursor is not one this service issued');
  return BigInt(match[1]);
}
