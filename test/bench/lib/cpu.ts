import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports process CPU time in clock ticks, 100 per second (`getconf CLK_TCK`). */
const TICK_MS = 10;

/** User + system CPU time of a process so far, in milliseconds, or undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/**
 * CPU used by a set of processes that may change between two readings (database backends come and go):
 * a process first seen at the end counts from zero; one gone by the end is not counted.
 */
export class CpuMeter {
  private readonly start = new Map<number, number>();

  constructor(private readonly pids: () => Promise<number[]> | number[]) {}

  async mark(): Promise<void> {
    this.start.clear();
    for (const pid of await this.pids()) {
      const ms = processCpuMs(pid);
      if (ms !== undefined) this.start.set(pid, ms);
    }
  }

  /** CPU milliseconds used since `mark()`. */
  async read(): Promise<number> {
    let used = 0;
    for (const pid of await this.pids()) {
      const ms = processCpuMs(pid);
      if (ms !== undefined) used += ms - (this.start.get(pid) ?? 0);
    }
    return used;
  }
}

/** pids of the running processes whose command line contains every one of `parts`. */
export function findProcesses(...parts: string[]): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (parts.every((part) => cmdline.includes(part))) found.push(Number(name));
  }
  return found;
}
