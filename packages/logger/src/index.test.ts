import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('redacts phone numbers and secrets, at the top level and one level down', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'test', destination });
    log.info(
      { from: '+15551230000', body: { To: '+15559870000', authToken: 'secret' }, callSid: 'CA1' },
      'hello',
    );
    const line = lines[0]!;
    expect(line.from).toBe('[redacted]');
    expect(line.body).toEqual({ To: '[redacted]', authToken: '[redacted]' });
    expect(line.callSid).toBe('CA1');
    expect(line.service).toBe('test');
  });
});

describe('redactUrl', () => {
  it('masks the password of a connection string', () => {
    expect(redactUrl('postgres://user:hunter2@db:5432/app')).toBe('postgres://user:***@db:5432/app');
  });
});
