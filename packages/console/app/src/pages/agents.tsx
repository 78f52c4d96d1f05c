import type { Agent, AgentListReply, Call } from '@switchboard/contracts';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, query } from '../api.js';
import { Notice, PhoneNumber } from '../components/layout.js';
import { navigate } from '../router.js';

function agentApiMissing(err: unknown): boolean {
  return err instanceof ApiError && err.routeMissing;
}

const MISSING = 'This gateway has no agent API yet (GET/PUT/DELETE /api/agents).';

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
      setError(agentApiMissing(err) ? MISSING : (err as Error).message);
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

interface Form {
  id: string;
  phoneNumber: string;
  instructions: string;
  greeting: string;
  voice: string;
  model: string;
  language: string;
  turnDetection: string;
  tools: string;
  transferTargets: string;
}

const NEW_AGENT: Form = {
  id: '',
  phoneNumber: '',
  instructions: '',
  greeting: '',
  voice: 'alloy',
  model: 'gpt-realtime',
  language: '',
  turnDetection: '',
  tools: '',
  transferTargets: '',
};

function formOf(agent: Agent): Form {
  return {
    id: agent.id,
    phoneNumber: agent.phoneNumber ?? '',
    instructions: agent.instructions,
    greeting: agent.greeting ?? '',
    voice: agent.voice,
    model: agent.model,
    language: agent.language ?? '',
    turnDetection: agent.turnDetection ? JSON.stringify(agent.turnDetection) : '',
    tools: agent.tools?.length ? JSON.stringify(agent.tools, null, 2) : '',
    transferTargets: agent.transferTargets?.length ? JSON.stringify(agent.transferTargets, null, 2) : '',
  };
}

type Issues = Partial<Record<keyof Form | 'form', string>>;

/** The form as the body of `PUT /api/agents/:id`, or the fields whose JSON does not parse. */
function bodyOf(form: Form, original: Agent | undefined): { body?: Record<string, unknown>; issues: Issues } {
  const issues: Issues = {};
  const json = (name: 'tools' | 'transferTargets' | 'turnDetection') => {
    if (form[name].trim() === '') return undefined;
    try {
      return JSON.parse(form[name]) as unknown;
    } catch {
      issues[name] = 'not valid JSON';
      return undefined;
    }
  };
  // Keep what the form does not show (idle timeouts, recording, keypad…) as it was.
  const { id: _id, ...rest } = original ?? ({} as Partial<Agent>);
  const body: Record<string, unknown> = {
    ...rest,
    instructions: form.instructions,
    voice: form.voice,
    model: form.model,
    phoneNumber: form.phoneNumber.trim() || null,
    greeting: form.greeting || null,
    language: form.language.trim() || null,
    turnDetection: json('turnDetection') ?? null,
    tools: json('tools') ?? null,
    transferTargets: json('transferTargets') ?? null,
  };
  return Object.keys(issues).length > 0 ? { issues } : { body, issues };
}

export function AgentPage({ id }: { id: string | undefined }) {
  const [original, setOriginal] = useState<Agent | undefined>();
  const [form, setForm] = useState<Form>(NEW_AGENT);
  const [issues, setIssues] = useState<Issues>({});
  const [saved, setSaved] = useState<string | undefined>();
  const [testTo, setTestTo] = useState('');
  const [testResult, setTestResult] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>();

  useEffect(() => {
    if (id === undefined) return;
    void api<Agent>(`/api/agents/${encodeURIComponent(id)}`).then(
      (agent) => {
        setOriginal(agent);
        setForm(formOf(agent));
      },
      (err: unknown) => setIssues({ form: agentApiMissing(err) ? MISSING : (err as Error).message }),
    );
  }, [id]);

  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(undefined);
    const agentId = id ?? form.id.trim();
    if (!agentId) {
      setIssues({ id: 'an id is required' });
      return;
    }
    const { body, issues: local } = bodyOf(form, original);
    if (!body) {
      setIssues(local);
      return;
    }
    try {
      const agent = await api<Agent>(`/api/agents/${encodeURIComponent(agentId)}`, { method: 'PUT', body });
      setIssues({});
      setOriginal(agent);
      setForm(formOf(agent));
      setSaved(`Saved ${agent.id}.`);
      if (id === undefined) navigate(`/console/agents/${encodeURIComponent(agent.id)}`, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.issues.length > 0) {
        const next: Issues = {};
        for (const issue of err.issues) {
          const field = (issue.path[0] ?? 'form') as keyof Form;
          const where = issue.path.slice(1).join('.');
          next[field in NEW_AGENT ? field : 'form'] = where ? `${where}: ${issue.message}` : issue.message;
        }
        setIssues(next);
      } else if (err instanceof ApiError && err.code === 'AGENT_CONFLICT') {
        setIssues({ phoneNumber: err.message });
      } else {
        setIssues({ form: agentApiMissing(err) ? MISSING : (err as Error).message });
      }
    }
  };

  const remove = async () => {
    if (!id || !confirm(`Delete agent ${id}?`)) return;
    try {
      await api(`/api/agents/${encodeURIComponent(id)}`, { method: 'DELETE' });
      navigate('/console/agents');
    } catch (err) {
      setIssues({ form: (err as Error).message });
    }
  };

  const testCall = async (e: Event) => {
    e.preventDefault();
    setTestResult(undefined);
    try {
      const call = await api<Call>('/api/calls', { method: 'POST', body: { to: testTo, agentId: id } });
      setTestResult({ kind: 'ok', text: `Placed ${call.callSid}.` });
    } catch (err) {
      setTestResult({ kind: 'error', text: (err as Error).message });
    }
  };

  const field = (name: keyof Form, label: string, props: Record<string, unknown> = {}, multiline = false) => {
    const errorId = `agent-${name}-error`;
    const common = {
      id: `agent-${name}`,
      name,
      value: form[name],
      'aria-invalid': issues[name] ? ('true' as const) : undefined,
      'aria-describedby': issues[name] ? errorId : undefined,
      onInput: (ev: Event) => setForm({ ...form, [name]: (ev.target as HTMLInputElement).value }),
      ...props,
    };
    return (
      <div class="field">
        <label for={`agent-${name}`}>{label}</label>
        {multiline ? <textarea {...common} rows={name === 'instructions' ? 6 : 4} /> : <input {...common} />}
        {issues[name] && (
          <p id={errorId} class="field-error">
            {issues[name]}
          </p>
        )}
      </div>
    );
  };

  return (
    <div class="agent">
      <h1>{id === undefined ? 'New agent' : `Agent ${id}`}</h1>
      <form class="agent-form" onSubmit={save} aria-label="Agent" noValidate>
        {id === undefined && field('id', 'Id', { required: true, pattern: '[A-Za-z0-9_-]{1,64}' })}
        {field('phoneNumber', 'Phone number (E.164)', { inputMode: 'tel', placeholder: '+15551230000' })}
        {field('instructions', 'Instructions', { required: true }, true)}
        {field('greeting', 'Greeting')}
        {field('voice', 'Voice', { required: true })}
        {field('model', 'Model', { required: true })}
        {field('language', 'Language (ISO-639-1)', { placeholder: 'es' })}
        {field('turnDetection', 'Turn detection (JSON)', {
          placeholder: '{"type": "server_vad", "silenceMs": 500}',
        })}
        {field('tools', 'Tools (JSON array)', {}, true)}
        {field('transferTargets', 'Transfer targets (JSON array)', {}, true)}
        {issues.form && <Notice kind="error">{issues.form}</Notice>}
        {saved && <Notice kind="ok">{saved}</Notice>}
        <div class="buttons">
          <button type="submit">Save</button>
          {id !== undefined && id !== 'default' && (
            <button type="button" class="danger" onClick={remove}>
              Delete
            </button>
          )}
        </div>
      </form>
      {id !== undefined && (
        <form class="inline-form test-call" onSubmit={testCall} aria-label="Test call">
          <label for="test-to">Place a test call to</label>
          <input
            id="test-to"
            value={testTo}
            inputMode="tel"
            placeholder="+15551230000"
            required
            onInput={(e) => setTestTo((e.target as HTMLInputElement).value)}
          />
          <button type="submit">Call</button>
          {testResult && <Notice kind={testResult.kind}>{testResult.text}</Notice>}
        </form>
      )}
    </div>
  );
}
