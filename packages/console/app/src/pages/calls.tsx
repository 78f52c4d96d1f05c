import type { Call, CallListReply, CallStatus } from '@switchboard/contracts';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, query } from '../api.js';
import { EndedReason, Notice, PhoneNumber, StatusBadge } from '../components/layout.js';
import { VirtualList } from '../components/virtual-list.js';
import { formatDuration } from '../model.js';

const STATUSES = [
  '',
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
] satisfies ('' | CallStatus)[];

interface Filters {
  status: string;
  agentId: string;
  direction: string;
  number: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { status: '', agentId: '', direction: '', number: '', from: '', to: '' };

function filtersFromUrl(): Filters {
  const q = new URLSearchParams(window.location.search);
  return {
    status: q.get('status') ?? '',
    agentId: q.get('agentId') ?? '',
    direction: q.get('direction') ?? '',
    number: q.get('number') ?? '',
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
  };
}

/** `YYYY-MM-DD` (the date input, local time) → ISO time of that day's start. */
function dayStart(date: string, plusDays = 0): string | undefined {
  if (!date) return undefined;
  const d = new Date(`${date}T00:00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
}

function CallRow({ call }: { call: Call }) {
  return (
    <a class="call-row" href={`/console/calls/${call.callSid}`}>
      <code class="sid">{call.callSid}</code>
      <span class="call-row-status">
        <StatusBadge status={call.status} />
        {call.endedReason && <EndedReason reason={call.endedReason} />}
      </span>
      <span>{call.direction}</span>
      <span>
        <PhoneNumber value={call.from} /> → <PhoneNumber value={call.to} />
      </span>
      <span>{call.agent.id}</span>
      <time dateTime={call.createdAt}>{new Date(call.createdAt).toLocaleString()}</time>
      <span>{call.durationSeconds === null ? '' : formatDuration(call.durationSeconds)}</span>
    </a>
  );
}

export function CallsPage() {
  const [filters, setFilters] = useState<Filters>(filtersFromUrl);
  const [applied, setApplied] = useState<Filters>(filters);
  const [calls, setCalls] = useState<Call[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<string | undefined>();
  const loading = useRef(false);
  const generation = useRef(0);

  const load = async (f: Filters, after: string | undefined, gen: number) => {
    if (loading.current) return;
    loading.current = true;
    try {
      const page = await api<CallListReply>(
        `/api/calls${query({
          limit: 200,
          cursor: after,
          status: f.status || undefined,
          agentId: f.agentId || undefined,
          direction: f.direction || undefined,
          number: f.number || undefined,
          createdFrom: dayStart(f.from),
          createdTo: dayStart(f.to, 1),
        })}`,
      );
      if (gen !== generation.current) return;
      setCalls((previous) => (after ? [...previous, ...page.calls] : page.calls));
      setCursor(page.nextCursor);
      setError(undefined);
    } catch (err) {
      if (gen === generation.current) setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      loading.current = false;
    }
  };

  useEffect(() => {
    const gen = ++generation.current;
    setCalls([]);
    setCursor(undefined);
    loading.current = false;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(applied)) if (v) params.set(k, v);
    history.replaceState(null, '', `/console/calls${params.size ? `?${params}` : ''}`);
    void load(applied, undefined, gen);
  }, [applied]);

  const field = (name: keyof Filters) => ({
    id: `filter-${name}`,
    value: filters[name],
    onInput: (e: Event) => setFilters({ ...filters, [name]: (e.target as HTMLInputElement).value }),
  });

  return (
    <div class="calls">
      <h1>Call history</h1>
      <form
        class="filters"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <div class="field">
          <label for="filter-status">Status</label>
          <select {...field('status')} onChange={field('status').onInput}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-direction">Direction</label>
          <select {...field('direction')} onChange={field('direction').onInput}>
            <option value="">any</option>
            <option value="inbound">inbound</option>
            <option value="outbound">outbound</option>
          </select>
        </div>
        <div class="field">
          <label for="filter-agentId">Agent</label>
          <input {...field('agentId')} placeholder="agent id" />
        </div>
        <div class="field">
          <label for="filter-number">Number</label>
          <input {...field('number')} placeholder="+15551230000" inputMode="tel" />
        </div>
        <div class="field">
          <label for="filter-from">From</label>
          <input {...field('from')} type="date" />
        </div>
        <div class="field">
          <label for="filter-to">To</label>
          <input {...field('to')} type="date" />
        </div>
        <button type="submit">Apply</button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setFilters(EMPTY);
            setApplied(EMPTY);
          }}
        >
          Clear
        </button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      <p class="muted" role="status">
        {calls.length} call{calls.length === 1 ? '' : 's'}
        {cursor ? ' shown, more as you scroll' : cursor === null ? '' : ', loading…'}
      </p>
      <div class="call-row call-row-head" aria-hidden="true">
        <span>Call</span>
        <span>Status</span>
        <span>Direction</span>
        <span>From → to</span>
        <span>Agent</span>
        <span>Started</span>
        <span>Length</span>
      </div>
      <VirtualList
        label="Calls"
        count={calls.length}
        estimate={44}
        className="calls-scroll"
        renderRow={(i) => <CallRow call={calls[i] as Call} />}
        onEnd={() => {
          if (cursor) void load(applied, cursor, generation.current);
        }}
      />
    </div>
  );
}
