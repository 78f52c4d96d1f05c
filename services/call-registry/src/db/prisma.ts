import { PrismaPg } from '@prisma/adapter-pg';
import type { CallStatus } from '@switchboard/contracts';
import type pg from 'pg';
import { type CallStatus as PrismaCallStatus, PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient } from '../generated/prisma/client.js';

/** Prisma over the registry's own pool: Prisma does not end a pool it is given; `closeDatabase` does. */
export function createPrisma(pool: pg.Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}

// Prisma enum member names cannot hold a dash; the database values (and the contract's) do.
export function toPrismaStatus(status: CallStatus): PrismaCallStatus {
  return status.replace('-', '_') as PrismaCallStatus;
}

export function fromPrismaStatus(status: PrismaCallStatus): CallStatus {
  return status.replace('_', '-') as CallStatus;
}
