import {
  type CallListReply,
  type CallListRequest,
  InvalidRequestError,
  type StreamEndReason,
} from '@switchboard/contracts';
import { fromPrismaStatus, type PrismaClient, toPrismaStatus } from '../db/prisma.js';
import { withDbRetry } from '../db/retry.js';
import { toAgent } from './call-row.js';

type ParsedListRequest = Required<Pick<CallListRequest, 'limit'>> & Omit<CallListRequest, 'limit'>;

/**
 * Newest first, by keyset: the cursor names the last call of the previous page, so pages never repeat or
 * skip a call while new ones arrive, and every page is one index range scan (`calls_pkey` or
 * `calls_status_id_idx`), however deep.
 */
export async function listCalls(prisma: PrismaClient, request: ParsedListRequest): Promise<CallListReply> {
  const before = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
  const rows = await withDbRetry(() =>
    prisma.call.findMany({
      where: {
        ...(request.status ? { status: toPrismaStatus(request.status) } : {}),
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
      agent: toAgent(row.agent),
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      answeredAt: row.answeredAt?.toISOString() ?? null,
      endedAt: row.endedAt?.toISOString() ?? null,
      durationSeconds: row.durationSeconds,
      endedReason: row.endedReason as StreamEndReason | null,
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
