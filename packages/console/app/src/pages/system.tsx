import type { CallActivityReply } from '@switchboard/contracts';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { ActivityChart } from '../components/chart.js';
import { Notice } from '../components/layout.js';

interface Problem {
  error: { code: string; message: string };
}
interface Endpoint {
  name: string;
  subject: string;
  requests: number;
  errors: number;
  lastError?: string;
  averageMs: number;
  pool?: { total: number; idle: number; waiting: number; max: number };
}
interface Replica {
  name: string;
  id: string;
  version: string;
  started: string;
  metadata: Record<string, string>;
  endpoints: Endpoint[];
}
interface SystemReply {
  at: string;
  gateway: {
    name: string;
    id: string;
    version: string;
    startedAt: string;
    uptimeSeconds: number;
    rssBytes: number;
    node: string;
    eventStreams: number;
  };
  services: { replicas: Replica[] } | Problem;
  registry: { status: string; db: { total: number; idle: number; waiting: number; max: number } } | Problem;
  events:
    | {
        stream: { messages: number; lastSeq: number; bytes: number };
        consumer: {
          name: string;
          pending: number;
          ackPending: number;
          redelivered: number;
          lastDelivered: number;
        };
      }
    | Problem;
  errors: { at: string; method: string; path: string; status: number; code: string; message: string }[];
}

const REFRESH_MS = 5_000;
const isProblem = (v: unknown): v is Problem => typeof v === 'object' && v !== null && 'error' in v;

function Figure({ label, value }: { label: string; value: string | number }) {
  return (
    <div class="figure">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

export function SystemPage() {
  const [system, setSystem] = useState<SystemReply | undefined>();
  const [activity, setActivity] = useState<CallActivityReply | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const load = () => {
      void api<SystemReply>('/api/system').then(
        (s) => {
          setSystem(s);
          setError(undefined);
        },
        (err: Error) => setError(err.message),
      );
      void api<CallActivityReply>('/api/calls/activity?minutes=60').then(setActivity, () => undefined);
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  if (error && !system) return <Notice kind="error">{error}</Notice>;
  if (!system) return <p class="muted">Loading…</p>;
  const replicas = isProblem(system.services) ? [] : system.services.replicas;
  const registryErrors = replicas.flatMap((r) =>
    r.endpoints.filter((e) => e.lastError).map((e) => ({ replica: r, endpoint: e })),
  );
  return (
    <div class="system">
      <h1>System</h1>
      <section aria-labelledby="activity-title">
        <h2 id="activity-title">Activity, last hour</h2>
        {activity ? <ActivityChart activity={activity} /> : <p class="muted">Loading…</p>}
      </section>
      <section aria-labelledby="registry-title">
        <h2 id="registry-title">Call registry</h2>
        {isProblem(system.registry) ? (
          <Notice kind="error">registry.health: {system.registry.error.message}</Notice>
        ) : (
          <dl class="figures" aria-label="Database pool">
            <Figure label="status" value={system.registry.status} />
            <Figure label="pool total" value={system.registry.db.total} />
            <Figure label="idle" value={system.registry.db.idle} />
            <Figure label="waiting" value={system.registry.db.waiting} />
            <Figure label="max" value={system.registry.db.max} />
          </dl>
        )}
        {isProblem(system.events) ? (
          <Notice kind="error">JetStream: {system.events.error.message}</Notice>
        ) : (
          <dl class="figures" aria-label="Event consumer">
            <Figure label="consumer lag (pending)" value={system.events.consumer.pending} />
            <Figure label="unacknowledged" value={system.events.consumer.ackPending} />
            <Figure label="redelivered" value={system.events.consumer.redelivered} />
            <Figure label="events stored" value={system.events.stream.messages} />
          </dl>
        )}
      </section>
      <section aria-labelledby="replicas-title">
        <h2 id="replicas-title">Service replicas</h2>
        {isProblem(system.services) && (
          <Notice kind="error">Discovery: {system.services.error.message}</Notice>
        )}
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Id</th>
              <th scope="col">Version</th>
              <th scope="col">Up since</th>
              <th scope="col">Requests</th>
              <th scope="col">Errors</th>
              <th scope="col">Pool (total/idle/waiting/max)</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>{system.gateway.name} (this one)</td>
              <td>
                <code>{system.gateway.id}</code>
              </td>
              <td>{system.gateway.version}</td>
              <td>{new Date(system.gateway.startedAt).toLocaleString()}</td>
              <td colSpan={3}>
                {system.gateway.eventStreams} event stream{system.gateway.eventStreams === 1 ? '' : 's'} ·{' '}
                {Math.round(system.gateway.rssBytes / 1_048_576)} MiB · node {system.gateway.node}
              </td>
            </tr>
            {replicas.map((r) => {
              const pool = r.endpoints.find((e) => e.pool)?.pool;
              return (
                <tr key={r.id}>
                  <td>{r.name}</td>
                  <td>
                    <code>{r.id}</code>
                  </td>
                  <td>{r.version}</td>
                  <td>{new Date(r.started).toLocaleString()}</td>
                  <td>{r.endpoints.reduce((n, e) => n + e.requests, 0)}</td>
                  <td>{r.endpoints.reduce((n, e) => n + e.errors, 0)}</td>
                  <td>{pool ? `${pool.total}/${pool.idle}/${pool.waiting}/${pool.max}` : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="errors-title">
        <h2 id="errors-title">Recent errors</h2>
        {system.errors.length === 0 && registryErrors.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <ul class="errors">
            {system.errors.map((e, i) => (
              <li key={`g-${i}`}>
                <time dateTime={e.at}>{new Date(e.at).toLocaleTimeString()}</time> gateway {e.method} {e.path}
                : {e.status} {e.code} — {e.message}
              </li>
            ))}
            {registryErrors.map(({ replica, endpoint }) => (
              <li key={`${replica.id}-${endpoint.name}`}>
                {replica.name} <code>{replica.id}</code> {endpoint.subject}: {endpoint.errors} errors, last:{' '}
                {endpoint.lastError}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
