-- The console's history filters (call.list: agent, number, creation date) and its activity chart
-- (call.activity: calls created or ended in the last hour), each one index range scan.
CREATE INDEX "calls_agent_id_id_idx" ON "calls"("agent_id", "id" DESC);
CREATE INDEX "calls_from_number_id_idx" ON "calls"("from_number", "id" DESC);
CREATE INDEX "calls_to_number_id_idx" ON "calls"("to_number", "id" DESC);
CREATE INDEX "calls_created_at_idx" ON "calls"("created_at");
CREATE INDEX "calls_ended_at_idx" ON "calls"("ended_at");
