import {
  CallNotFoundError,
  type ToolCallRecord,
  type Transcript,
  type TranscriptSegment,
} from '@switchboard/contracts';
import type { PrismaClient } from '../db/prisma.js';
import { withDbRetry } from '../db/retry.js';

/** A call's transcript in spoken order: by when each segment began, then by arrival. */
export async function callTranscript(
  prisma: PrismaClient,
  callExists: (callSid: string) => Promise<boolean>,
  callSid: string,
): Promise<Transcript> {
  const [exists, segments] = await Promise.all([
    callExists(callSid),
    withDbRetry(() =>
      prisma.transcriptSegment.findMany({
        where: { callSid },
        orderBy: [{ startedAt: 'asc' }, { id: 'asc' }],
        select: { role: true, text: true, startedAt: true, tool: true },
      }),
    ),
  ]);
  if (!exists) throw CallNotFoundError.forSid(callSid);
  return {
    callSid,
    segments: segments.map((s) => {
      const segment: TranscriptSegment = { role: s.role, text: s.text, at: s.startedAt.toISOString() };
      if (s.tool !== null) segment.tool = s.tool as ToolCallRecord;
      return segment;
    }),
  };
}
