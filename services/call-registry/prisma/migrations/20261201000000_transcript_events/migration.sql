-- Transcript segments for what happened on a call besides speech (a move to a new Realtime session).
ALTER TYPE "transcript_role" ADD VALUE 'event';
