-- CreateEnum
CREATE TYPE "call_direction" AS ENUM ('inbound', 'outbound');

-- CreateEnum
CREATE TYPE "call_status" AS ENUM ('queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled');

-- CreateEnum
CREATE TYPE "transcript_role" AS ENUM ('caller', 'agent');

-- CreateTable
CREATE TABLE "agents" (
    "id" TEXT NOT NULL,
    "phone_number" TEXT,
    "instructions" TEXT NOT NULL,
    "voice" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "greeting" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "calls" (
    "id" BIGSERIAL NOT NULL,
    "call_sid" TEXT NOT NULL,
    "direction" "call_direction" NOT NULL,
    "from_number" TEXT NOT NULL,
    "to_number" TEXT NOT NULL,
    "status" "call_status" NOT NULL,
    "agent_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answered_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "duration_seconds" INTEGER,

    CONSTRAINT "calls_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "call_events" (
    "id" BIGSERIAL NOT NULL,
    "msg_id" TEXT NOT NULL,
    "call_sid" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "call_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transcript_segments" (
    "id" BIGSERIAL NOT NULL,
    "call_sid" TEXT NOT NULL,
    "item_id" TEXT NOT NULL,
    "role" "transcript_role" NOT NULL,
    "text" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "transcript_segments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "agents_phone_number_key" ON "agents"("phone_number");

-- CreateIndex
CREATE UNIQUE INDEX "calls_call_sid_key" ON "calls"("call_sid");

-- CreateIndex
CREATE INDEX "calls_status_id_idx" ON "calls"("status", "id" DESC);

-- CreateIndex
CREATE INDEX "calls_agent_id_idx" ON "calls"("agent_id");

-- CreateIndex
CREATE UNIQUE INDEX "call_events_msg_id_key" ON "call_events"("msg_id");

-- CreateIndex
CREATE INDEX "call_events_call_sid_id_idx" ON "call_events"("call_sid", "id");

-- CreateIndex
CREATE UNIQUE INDEX "transcript_segments_call_item_role_key" ON "transcript_segments"("call_sid", "item_id", "role");

-- CreateIndex
CREATE INDEX "transcript_segments_call_sid_started_at_idx" ON "transcript_segments"("call_sid", "started_at", "id");

-- AddForeignKey
ALTER TABLE "calls" ADD CONSTRAINT "calls_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- How far along a call is: terminal statuses share the top rank, so once ended a call never changes status.
-- Mirrors statusRank() in @switchboard/contracts.
CREATE FUNCTION "call_status_rank"("s" "call_status") RETURNS SMALLINT
    LANGUAGE SQL IMMUTABLE PARALLEL SAFE
    RETURN CASE "s"
        WHEN 'queued' THEN 0
        WHEN 'initiated' THEN 1
        WHEN 'ringing' THEN 2
        WHEN 'in-progress' THEN 3
        ELSE 4
    END;

-- The agent every call falls back to; it always exists.
INSERT INTO "agents" ("id", "instructions", "voice", "model", "greeting") VALUES (
    'default',
    'You are a friendly, concise phone assistant. Keep answers short: this is a phone call.',
    'alloy',
    'gpt-realtime',
    'Hello! How can I help you today?'
);
