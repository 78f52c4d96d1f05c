import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths whose values never reach a log line: credentials and the phone numbers of callers.
 * pino's redaction runs on the object as logged, so nested request bodies are covered too.
 */
export const REDACT_PATHS = [
  'password',
  'token',
  'authToken',
  'apiKey',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-twilio-signature"]',
  'databaseUrl',
  'from',
  'to',
  'From',
  'To',
  'Caller',
  'Called',
  'phoneNumber',
  '*.password',
  '*.token',
  '*.authToken',
  '*.apiKey',
  '*.authorization',
  '*.from',
  '*.to',
  '*.From',
  '*.To',
  '*.Caller',
  '*.Called',
  '*.phoneNumber',
];

export interface CreateLoggerOptions {
  name: string;
  level?: string;
  /** Where lines go; stdout by default. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger({ name, level = 'info', destination }: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Masks a connection string's password, for the one log line that names the database. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
