-- Every field of an Agent (SPEC "Agents over HTTP"). The optional settings (language, turn detection, noise
-- reduction, idle and length limits, recording, tools, transfer targets, keypad) are one JSONB document, kept
-- exactly as given (validated by the contracts' zod schema on the way in) and read whole with the agent.
ALTER TABLE "agents" ADD COLUMN "settings" JSONB NOT NULL DEFAULT '{}';

-- Deleting an agent is soft: it leaves lists and lookups and its phone number is free again, while the calls
-- that used it keep pointing at it.
ALTER TABLE "agents" ADD COLUMN "deleted_at" TIMESTAMPTZ(3);
DROP INDEX "agents_phone_number_key";
CREATE UNIQUE INDEX "agents_live_phone_number_key" ON "agents"("phone_number") WHERE "deleted_at" IS NULL;

-- Why the call's media stream last ended: a StreamEndReason of the contracts.
ALTER TABLE "calls" ADD COLUMN "ended_reason" TEXT;

-- Calls of the agent's tools in the transcript, with their record (name, callId, arguments, status, ms).
ALTER TYPE "transcript_role" ADD VALUE 'tool';
ALTER TABLE "transcript_segments" ADD COLUMN "tool" JSONB;
