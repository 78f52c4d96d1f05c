-- Which media worker holds each live stream (the stream events' workerId), and the lease each worker announces:
-- a worker not heard within its lease has its calls ended with the reason `worker-lost` (SPEC: Scale-out).
CREATE TABLE "worker_streams" (
    "call_sid" TEXT NOT NULL,
    "stream_sid" TEXT NOT NULL,
    "worker_id" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "worker_streams_pkey" PRIMARY KEY ("call_sid")
);

CREATE INDEX "worker_streams_worker_id_idx" ON "worker_streams"("worker_id");

CREATE TABLE "worker_leases" (
    "worker_id" TEXT NOT NULL,
    "lease_ms" INTEGER NOT NULL,
    "heard_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "worker_leases_pkey" PRIMARY KEY ("worker_id")
);
