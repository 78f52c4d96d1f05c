import type { CallActivityReply } from '@switchboard/contracts';

const WIDTH = 600;
const HEIGHT = 140;
const PAD = 24;

/**
 * Calls started per minute (bars) and calls live at each minute (line) over the window, as SVG drawn here
 * (nothing loaded from anywhere), with the same figures in a table for screen readers.
 */
export function ActivityChart({ activity }: { activity: CallActivityReply }) {
  const buckets = activity.buckets;
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.started, b.live)));
  const step = (WIDTH - PAD) / Math.max(1, buckets.length);
  const y = (v: number) => HEIGHT - PAD - (v / max) * (HEIGHT - 2 * PAD);
  const line = buckets
    .map((b, i) => `${i === 0 ? 'M' : 'L'}${PAD + i * step + step / 2},${y(b.live)}`)
    .join(' ');
  const started = buckets.reduce((sum, b) => sum + b.started, 0);
  const peak = Math.max(0, ...buckets.map((b) => b.live));
  const label = `Over the last ${buckets.length} minutes: ${started} call${started === 1 ? '' : 's'} started, at most ${peak} live at once.`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} preserveAspectRatio="none">
        <title>{label}</title>
        <line class="axis" x1={PAD} x2={WIDTH} y1={HEIGHT - PAD} y2={HEIGHT - PAD} />
        <text class="tick" x={2} y={PAD}>
          {max}
        </text>
        <text class="tick" x={2} y={HEIGHT - PAD}>
          0
        </text>
        {buckets.map((b, i) => (
          <rect
            key={b.at}
            class="bar"
            x={PAD + i * step + 1}
            width={Math.max(1, step - 2)}
            y={y(b.started)}
            height={HEIGHT - PAD - y(b.started)}
          />
        ))}
        <path class="live-line" d={line} />
      </svg>
      <figcaption>
        <span class="legend legend-bar">calls per minute</span>{' '}
        <span class="legend legend-line">live calls</span> · {label}
      </figcaption>
      <table class="visually-hidden">
        <caption>Calls per minute and live calls</caption>
        <thead>
          <tr>
            <th scope="col">Minute</th>
            <th scope="col">Started</th>
            <th scope="col">Live</th>
          </tr>
        </thead>
        <tbody>
          {buckets.map((b) => (
            <tr key={b.at}>
              <td>{new Date(b.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</td>
              <td>{b.started}</td>
              <td>{b.live}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
