-- Recordings and answering machine detection (SPEC "Webhooks, recordings, voicemail, batches").
--
-- Every recording Twilio reported for a call, as its recording status callbacks said (in-progress, completed,
-- absent, failed) and, once deleted through the API, when. Keyed by Twilio's RecordingSid: a late or repeated
-- callback updates the same row.
CREATE TABLE "call_recordings" (
    "recording_sid" TEXT NOT NULL,
    "call_sid" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "duration_seconds" INTEGER,
    "channels" SMALLINT,
    "url" TEXT,
    "source" TEXT,
    "error_code" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "call_recordings_pkey" PRIMARY KEY ("recording_sid")
);
CREATE INDEX "call_recordings_call_sid_idx" ON "call_recordings"("call_sid");

-- The Call's own `recording` (its completed, not deleted recording) and `answeredBy`, on the call's row: the
-- lookup path (call.bySid) reads one row of one table and no join.
ALTER TABLE "calls" ADD COLUMN "recording_sid" TEXT;
ALTER TABLE "calls" ADD COLUMN "recording_duration_seconds" INTEGER;
ALTER TABLE "calls" ADD COLUMN "recording_channels" SMALLINT;
ALTER TABLE "calls" ADD COLUMN "answered_by" TEXT;

-- What an outbound call placed with machine detection does when a machine answers ('hangup' or
-- 'leave-message'; NULL: off) and the message it leaves: read by the gateway when Twilio's AMD callback comes
-- (call.machineDetection), whichever replica placed the call. Not part of the Call, not on the lookup path.
ALTER TABLE "calls" ADD COLUMN "machine_detection" TEXT;
ALTER TABLE "calls" ADD COLUMN "voicemail_message" TEXT;
