-- Webhook subscriptions (SPEC "Webhooks"): where the notifier delivers call events, signed with `secret`.
CREATE TABLE "webhook_subscriptions" (
    "id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT[] NOT NULL,
    "agent_id" TEXT,
    "secret" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_subscriptions_pkey" PRIMARY KEY ("id")
);

-- Deliveries the notifier gave up on after its retry budget; a replay queues them again and removes them.
-- `key` is the queued message's id, so the same give-up recorded twice is stored once.
CREATE TABLE "webhook_dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "webhook_id" TEXT NOT NULL,
    "delivery_id" TEXT NOT NULL,
    "call_sid" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "last_error" TEXT NOT NULL,
    "queued_at" TIMESTAMPTZ(3) NOT NULL,
    "failed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_dead_letters_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "webhook_dead_letters_key_key" ON "webhook_dead_letters"("key");
CREATE INDEX "webhook_dead_letters_webhook_id_id_idx" ON "webhook_dead_letters"("webhook_id", "id");
ALTER TABLE "webhook_dead_letters" ADD CONSTRAINT "webhook_dead_letters_webhook_id_fkey"
    FOREIGN KEY ("webhook_id") REFERENCES "webhook_subscriptions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
