import type { Agent, AgentListReply } from '@switchboard/contracts';
import { useEffect, useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { Notice, PhoneNumber } from '../components/layout.js';

export function AgentsPage() {
  const [agents, setAgents] = useState<Agent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const load = async (after?: string) => {
    try {
      const page = await api<AgentListReply>(`/api/agents${query({ limit: 200, cursor: after })}`);
      setAgents((prev) => (after ? [...prev, ...page.agents] : page.agents));
      setCursor(page.nextCursor);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  useEffect(() => {
    void load();
  }, []);
  return (
    <div class="agents">
      <h1>Agents</h1>
      <p>
        <a class="button" href="/console/agents/new">
          New agent
        </a>
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Phone number</th>
            <th scope="col">Voice</th>
            <th scope="col">Model</th>
            <th scope="col">Tools</th>
            <th scope="col">Transfer targets</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr key={a.id}>
              <td>
                <a href={`/console/agents/${encodeURIComponent(a.id)}`}>{a.id}</a>
              </td>
              <td>{a.phoneNumber ? <PhoneNumber value={a.phoneNumber} /> : '—'}</td>
              <td>{a.voice}</td>
              <td>{a.model}</td>
              <td>{a.tools?.length ?? 0}</td>
              <td>{a.transferTargets?.length ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <button type="button" class="secondary" onClick={() => void load(cursor)}>
          More
        </button>
      )}
    </div>
  );
}
