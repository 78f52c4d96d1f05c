/**
 * The value of one sample in a Prometheus text exposition (`/metrics`): the line named `name` whose labels
 * are exactly `labels`. Undefined when there is none, so a test can tell "never observed" from 0.
 */
export function metricValue(
  exposition: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  for (const line of exposition.split('\n')) {
    const sample = SAMPLE.exec(line);
    if (!sample || sample[1] !== name) continue;
    const found = [...(sample[2] ?? '').matchAll(LABEL)]
      .map((m) => [m[1] ?? '', (m[2] ?? '').replace(/\\(.)/g, '$1')] as const)
      .sort(([a], [b]) => a.localeCompare(b));
    if (found.length !== wanted.length) continue;
    if (found.every(([k, v], i) => wanted[i]?.[0] === k && wanted[i]?.[1] === v)) return Number(sample[3]);
  }
  return undefined;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
