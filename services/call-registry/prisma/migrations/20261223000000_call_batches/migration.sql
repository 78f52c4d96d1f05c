-- Outbound call batches (POST /api/call-batches): each batch with its pacing, window and retry rules, its
-- calls in the order given, and every attempt Twilio placed (callSid → batch call), so a status callback
-- settles the attempt it belongs to.
CREATE TABLE "call_batches" (
  "id" TEXT PRIMARY KEY,
  "max_per_second" INTEGER NOT NULL,
  "max_concurrent" INTEGER NOT NULL,
  "not_before" TIMESTAMPTZ(3),
  "not_after" TIMESTAMPTZ(3),
  "retry_on" TEXT[] NOT NULL DEFAULT '{}',
  "retry_attempts" INTEGER NOT NULL DEFAULT 0,
  "retry_delay_seconds" INTEGER NOT NULL DEFAULT 0,
  "from_number" TEXT NOT NULL,
  "total" INTEGER NOT NULL,
  "canceled_at" TIMESTAMPTZ(3),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);

-- state: waiting (to dial: first time, or a retry at retry_at) | dialing (granted, Twilio not yet known to
-- have it) | live (Twilio has it) | final (outcome is the call's last word).
CREATE TABLE "call_batch_calls" (
  "batch_id" TEXT NOT NULL REFERENCES "call_batches"("id") ON DELETE CASCADE,
  "idx" INTEGER NOT NULL,
  "to_number" TEXT NOT NULL,
  "agent_id" TEXT NOT NULL REFERENCES "agents"("id"),
  "variables" JSONB,
  "state" TEXT NOT NULL DEFAULT 'waiting',
  "outcome" TEXT NOT NULL DEFAULT 'queued',
  "attempts" INTEGER NOT NULL DEFAULT 0,
  "call_sid" TEXT,
  "claimed_at" TIMESTAMPTZ(3),
  -- Who was granted the current dial (a gateway's handling of the work message): it may ask again.
  "claimed_by" TEXT,
  "retry_at" TIMESTAMPTZ(3),
  PRIMARY KEY ("batch_id", "idx")
);
CREATE INDEX "call_batch_calls_batch_id_state_idx" ON "call_batch_calls"("batch_id", "state");

CREATE TABLE "call_batch_attempts" (
  "call_sid" TEXT PRIMARY KEY,
  "batch_id" TEXT NOT NULL,
  "idx" INTEGER NOT NULL,
  "attempt" INTEGER NOT NULL,
  -- When the registry first knew Twilio had the call: after Twilio received it (the pacing's clock).
  "placed_at" TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  FOREIGN KEY ("batch_id", "idx") REFERENCES "call_batch_calls"("batch_id", "idx") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "call_batch_attempts_batch_idx_attempt_key" ON "call_batch_attempts"("batch_id", "idx", "attempt");
CREATE INDEX "call_batch_attempts_batch_id_placed_at_idx" ON "call_batch_attempts"("batch_id", "placed_at");

-- A batch call's variables, put into its agent's instructions and greeting by the lookup (NULL: none).
ALTER TABLE "calls" ADD COLUMN "variables" JSONB;
