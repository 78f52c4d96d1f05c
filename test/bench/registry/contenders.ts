import { ServiceErrorCodeHeader, ServiceErrorHeader } from '@nats-io/services';
import type { connectBus } from '@switchboard/bus';
import pg from 'pg';
import type { Operation } from '../lib/load.js';
import type { SidDeck } from './sids.js';

type NatsConnection = Awaited<ReturnType<typeof connectBus>>;

/** One way of looking a call up by its sid, measured side by side with the others. */
export interface Contender {
  name: string;
  /** What it is, for the report. */
  about: string;
  lookup: Operation;
  close(): Promise<void>;
}

/** How long a NATS lookup may take before it counts as failed. */
export const NATS_TIMEOUT_MS = 5_000;

const encoder = new TextEncoder();

/**
 * `call.bySid` (or a responder on another subject answering the same shape) from the load generator:
 * requests spread round-robin over several connections, the reply's error headers checked and its JSON
 * read, as a caller would. The reply is not zod-validated here, to keep the generator's CPU for sending.
 */
export function natsLookup(
  name: string,
  about: string,
  connections: readonly NatsConnection[],
  subject: string,
  deck: SidDeck,
): Contender {
  let turn = 0;
  return {
    name,
    about,
    async lookup() {
      const callSid = deck.draw();
      const nc = connections[turn++ % connections.length] as NatsConnection;
      const msg = await nc.request(subject, encoder.encode(JSON.stringify({ callSid })), {
        timeout: NATS_TIMEOUT_MS,
      });
      const code = msg.headers?.get(ServiceErrorCodeHeader);
      if (code) throw new Error(`${subject} answered ${code}: ${msg.headers?.get(ServiceErrorHeader)}`);
      if (msg.json<{ callSid?: string }>().callSid !== callSid) throw new Error('reply for another call');
    },
    close: async () => undefined,
  };
}

// The registry's own columns (services/call-registry/src/calls/call-row.ts): the call joined with its agent.
const CALL_COLUMNS = `
  c.call_sid, c.direction, c.from_number, c.to_number, c.status, c.created_at, c.updated_at,
  c.answered_at, c.ended_at, c.duration_seconds,
  a.id AS agent_id, a.phone_number AS agent_phone_number, a.instructions AS agent_instructions,
  a.voice AS agent_voice, a.model AS agent_model, a.greeting AS agent_greeting`;
const CALL_BY_SID = `SELECT ${CALL_COLUMNS} FROM calls c JOIN agents a ON a.id = c.agent_id WHERE c.call_sid = $1`;
const ALL_CALLS = `SELECT ${CALL_COLUMNS} FROM calls c JOIN agents a ON a.id = c.agent_id`;

export interface PoolSettings {
  url: string;
  max: number;
  applicationName: string;
}

/** A pool as a user would configure it; idle connections close after pg's default 10 s. */
export function benchPool({ url, max, applicationName }: PoolSettings): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, application_name: applicationName });
  pool.on('error', () => undefined);
  return pool;
}

/**
 * The floor a user would otherwise pick: the lookup done in the caller's own process, one indexed query
 * per lookup through a `pg.Pool` the size of the registry's. `prepared` sends it as a named prepared
 * statement, as the registry does; without it, as `pool.query(text, values)`, as most code does.
 */
export function directLookup(pool: pg.Pool, deck: SidDeck, prepared: boolean): Contender {
  const query = (callSid: string) =>
    prepared
      ? pool.query<{ call_sid: string }>({ name: 'bench_call_by_sid', text: CALL_BY_SID, values: [callSid] })
      : pool.query<{ call_sid: string }>(CALL_BY_SID, [callSid]);
  return {
    name: prepared ? 'direct-prepared' : 'direct',
    about: `pg.Pool(max ${pool.options.max}) in the caller, ${prepared ? 'named prepared statement' : 'pool.query(text, values)'}`,
    async lookup() {
      const callSid = deck.draw();
      const { rows } = await query(callSid);
      if (rows[0]?.call_sid !== callSid) throw new Error('call not found');
    },
    close: async () => undefined,
  };
}

/**
 * The origin's pattern: read every call, then `find` the one asked for. Given up on once the measured
 * window is over, so that a queue it cannot work through does not hold the run.
 */
export function originLookup(settings: PoolSettings, deck: SidDeck, calls: number): Contender {
  const pool = benchPool(settings);
  return {
    name: 'origin',
    about: `SELECT all ${calls.toLocaleString('en-US')} calls, then .find() (pg.Pool max ${settings.max})`,
    async lookup(signal) {
      const callSid = deck.draw();
      const client = await pool.connect();
      try {
        if (signal.aborted) return;
        const { rows } = await client.query<{ call_sid: string }>(ALL_CALLS);
        if (!rows.find((row) => row.call_sid === callSid)) throw new Error('call not found');
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
