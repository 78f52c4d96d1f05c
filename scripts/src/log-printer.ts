import { Writable } from 'node:stream';
import { prettyFactory } from 'pino-pretty';

/**
 * The runner's console: one line per log line, prefixed with the process it came from, pino's JSON made
 * readable (pino-pretty), anything else printed as it is.
 */
export interface LogPrinter {
  /** Prints one line (JSON or not) as coming from `source`. */
  line(source: string, text: string): void;
  /** A writable that prints each line written to it as coming from `source` (for pino and child output). */
  stream(source: string): Writable;
}

const COLORS = [36, 35, 33, 32, 34, 91, 96] as const;
const PREFIX_WIDTH = 15;

export function createLogPrinter({
  write,
  color,
}: {
  write: (text: string) => void;
  color: boolean;
}): LogPrinter {
  const pretty = prettyFactory({
    colorize: color,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name,service',
    singleLine: true,
  });
  const colorOf = new Map<string, number>();
  const prefix = (source: string) => {
    const padded = source.padEnd(PREFIX_WIDTH).slice(0, PREFIX_WIDTH);
    if (!color) return `${padded} |`;
    if (!colorOf.has(source)) colorOf.set(source, COLORS[colorOf.size % COLORS.length] as number);
    return `\u001b[${colorOf.get(source)}m${padded}\u001b[0m |`;
  };

  const line = (source: string, text: string) => {
    if (text.trim() === '') return;
    let shown = text;
    if (text.startsWith('{')) {
      try {
        shown = pretty(JSON.parse(text)).trimEnd();
      } catch {
        shown = text;
      }
    }
    for (const part of shown.split('\n')) write(`${prefix(source)} ${part}\n`);
  };

  const stream = (source: string) => {
    let buffered = '';
    return new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const l of lines) line(source, l);
        done();
      },
      final(done) {
        if (buffered) line(source, buffered);
        buffered = '';
        done();
      },
    });
  };
  return { line, stream };
}
