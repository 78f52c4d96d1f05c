import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/calls/call-list.js';
import { loadConfig } from '../src/config.js';
import { classifyDbError } from '../src/db/errors.js';
import { redeliveryDelayMs } from '../src/events/event-consumer.js';

describe('loadConfig', () => {
  it('applies the pool defaults of SPEC', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://db/app' });
    expect(config.db).toMatchObject({
      max: 20,
      min: 2,
      idleTimeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 5_000,
    });
    expect(config.http).toEqual({ port: 3002, host: '127.0.0.1' });
    expect(config.nats.url).toBe('nats://127.0.0.1:4222');
  });

  it('names every bad setting at once', () => {
    expect(() => loadConfig({ DB_POOL_MAX: 'lots', PORT: '-1' })).toThrow(/DATABASE_URL.*DB_POOL_MAX.*PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'x', DB_POOL_MIN: '5', DB_POOL_MAX: '3' })).toThrow(
      /DB_POOL_MIN/,
    );
  });
});

describe('list cursors', () => {
  it('round-trip, and anything else is an invalid request', () => {
    expect(decodeCursor(encodeCursor(123n))).toBe(123n);
    expect(() => decodeCursor('bm9wZQ')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});

describe('classifyDbError', () => {
  it('tells a killed connection from an unreachable server and from a bug', () => {
    const terminated = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    expect(classifyDbError(terminated)).toBe('connection-lost');
    expect(classifyDbError(new Error('Connection terminated unexpectedly'))).toBe('connection-lost');
    expect(
      classifyDbError(
        new Error('x', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }),
      ),
    ).toBe('unreachable');
    expect(classifyDbError(new Error('timeout exceeded when trying to connect'))).toBe('unreachable');
    expect(classifyDbError(Object.assign(new Error('canceling statement'), { code: '57014' }))).toBe(
      'timeout',
    );
    expect(classifyDbError(Object.assign(new Error('syntax'), { code: '42601' }))).toBe('other');
  });
});

describe('redeliveryDelayMs', () => {
  it('backs off exponentially up to a ceiling', () => {
    expect([1, 2, 3, 10].map(redeliveryDelayMs)).toEqual([250, 500, 1_000, 10_000]);
  });
});
