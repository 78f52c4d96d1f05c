import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@switchboard/logger';

/** One line a logger wrote, parsed (pino's JSON: `level`, `msg` and the fields). */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** Everything a logger wrote, for tests that assert on what was (not) logged. */
export interface CapturedLog {
  log: Logger;
  lines: LogLine[];
  /** Lines at error level or above (pino: error 50, fatal 60). */
  errors(): LogLine[];
}

/** A real logger (the services' own, redaction included) whose lines a test can read. */
export function captureLog(name = 'test', level = 'debug'): CapturedLog {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return {
    log: createLogger({ name, level, destination }),
    lines,
    errors: () => lines.filter((l) => l.level >= 50),
  };
}
