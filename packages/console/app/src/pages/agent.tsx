import type { Agent, AgentListReply } from '@switchboard/contracts';
import { useEffect, useState } from 'preact/hooks';
import {
  AGENT_ID_PATTERN,
  type AgentForm,
  bodyOf,
  EAGERNESS,
  formOf,
  type Issues,
  issuesFromApi,
  NEW_AGENT,
  NOISE_REDUCTION,
  TURN_KINDS,
  VOICES,
} from '../agent-form.js';
import { ApiError, api, query } from '../api.js';
import { Field, Group, Select, TargetsEditor, ToolsEditor } from '../components/agent-fields.js';
import { Notice } from '../components/layout.js';
import { TestCall } from '../components/test-call.js';
import { navigate } from '../router.js';

/** The form's fields typed as free text (each is also the API's name for it). */
type TextField =
  | 'id'
  | 'phoneNumber'
  | 'instructions'
  | 'greeting'
  | 'voice'
  | 'model'
  | 'language'
  | 'idleTimeoutMs'
  | 'idleReprompts'
  | 'maxCallSeconds';

/** Agents read at most to find which one holds a phone number. */
const MAX_AGENTS_SEARCHED = 2_000;

/** The agent (other than `id`) whose phone number is `number`, to name it in a 409. */
async function ownerOf(number: string, id: string): Promise<string | undefined> {
  let cursor: string | undefined;
  let read = 0;
  do {
    const page = await api<AgentListReply>(`/api/agents${query({ limit: 200, cursor })}`);
    const owner = page.agents.find((a) => a.phoneNumber === number && a.id !== id);
    if (owner) return owner.id;
    read += page.agents.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && read < MAX_AGENTS_SEARCHED);
  return undefined;
}

/** What a refused save says, field by field. */
async function issuesOf(err: unknown, form: AgentForm, id: string): Promise<Issues> {
  if (!(err instanceof ApiError)) return { form: `Could not reach the gateway: ${(err as Error).message}` };
  if (err.status === 400 && err.issues.length > 0) return issuesFromApi(err.issues, form);
  if (err.code === 'AGENT_CONFLICT') {
    const number = form.phoneNumber.trim();
    const owner = await ownerOf(number, id).catch(() => undefined);
    return {
      phoneNumber: owner
        ? `${number} is already the number of agent “${owner}”: an inbound call goes to one agent only. ` +
          `Choose another number, or take it off ${owner} first.`
        : `${number} already belongs to another agent (${err.message}).`,
    };
  }
  return { form: err.message };
}

/** What the page says after it created an agent, for the page of that agent it moves to. */
let createdNote: string | undefined;

/** The first control with a problem gets the focus, so a keyboard or screen reader user lands on it. */
function focusFirstProblem(): void {
  requestAnimationFrame(() =>
    document.querySelector<HTMLElement>('.agent-form [aria-invalid="true"]')?.focus(),
  );
}

export function AgentPage({ id }: { id: string | undefined }) {
  const [original, setOriginal] = useState<Agent | undefined>();
  const [form, setForm] = useState<AgentForm>(NEW_AGENT);
  const [issues, setIssues] = useState<Issues>({});
  const [saved, setSaved] = useState<string | undefined>(() => {
    const note = createdNote;
    createdNote = undefined;
    return note;
  });
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (id === undefined) return;
    void api<Agent>(`/api/agents/${encodeURIComponent(id)}`).then(
      (agent) => {
        setOriginal(agent);
        setForm(formOf(agent));
      },
      (err: unknown) =>
        setIssues({
          form: err instanceof ApiError && err.status === 404 ? `No agent ${id}.` : (err as Error).message,
        }),
    );
  }, [id]);

  const update = (change: (f: AgentForm) => AgentForm) => setForm((f) => change(f));
  const set =
    <K extends keyof AgentForm>(name: K) =>
    (value: AgentForm[K]) =>
      setForm((f) => ({ ...f, [name]: value }));

  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(undefined);
    const agentId = id ?? form.id.trim();
    if (!AGENT_ID_PATTERN.test(agentId)) {
      setIssues({ id: 'an id is 1–64 letters, digits, - and _' });
      focusFirstProblem();
      return;
    }
    const { body, issues: local } = bodyOf(form, original);
    if (!body) {
      setIssues(local);
      focusFirstProblem();
      return;
    }
    setSaving(true);
    try {
      const agent = await api<Agent>(`/api/agents/${encodeURIComponent(agentId)}`, { method: 'PUT', body });
      setIssues({});
      setOriginal(agent);
      setForm(formOf(agent));
      if (id === undefined) {
        // The agent's own page takes over (a new page state): it says what happened.
        createdNote = `Created ${agent.id}.`;
        navigate(`/console/agents/${encodeURIComponent(agent.id)}`, { replace: true });
      } else {
        setSaved(`Saved ${agent.id}.`);
      }
    } catch (err) {
      setIssues(await issuesOf(err, form, agentId));
      focusFirstProblem();
    } finally {
      setSaving(false);
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

  const field = (place: TextField, label: string, more: Partial<Parameters<typeof Field>[0]> = {}) => (
    <Field place={place} label={label} value={form[place]} issues={issues} onValue={set(place)} {...more} />
  );
  const problems = Object.keys(issues).filter((k) => k !== 'form').length;

  return (
    <div class="agent">
      <h1>{id === undefined ? 'New agent' : `Agent ${id}`}</h1>
      <form class="agent-form" onSubmit={save} aria-label="Agent" noValidate>
        <Group legend="The agent" issues={issues}>
          {id === undefined && field('id', 'Id', { attrs: { required: true, autoComplete: 'off' } })}
          {field('phoneNumber', 'Phone number (E.164)', {
            attrs: { inputMode: 'tel', placeholder: '+15551230000' },
            hint: 'Inbound calls to this number go to this agent.',
          })}
          {field('instructions', 'Instructions', { multiline: true, rows: 6, attrs: { required: true } })}
          {field('greeting', 'Greeting', {
            hint: 'What the agent says first; empty: it waits for the caller.',
          })}
          <datalist id="agent-voices">
            {VOICES.map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
          {field('voice', 'Voice', { attrs: { required: true, list: 'agent-voices' } })}
          {field('model', 'Model', { attrs: { required: true } })}
          {field('language', 'Language (ISO-639-1)', { attrs: { placeholder: 'es' } })}
        </Group>
        <Group place="turnDetection" legend="Turn detection" issues={issues}>
          <Select
            place="turnDetection.type"
            label="Kind"
            value={form.turnType}
            options={TURN_KINDS}
            issues={issues}
            onValue={set('turnType')}
          />
          {form.turnType === 'server_vad' && (
            <>
              <Field
                place="turnDetection.threshold"
                label="Threshold (0–1)"
                value={form.threshold}
                issues={issues}
                onValue={set('threshold')}
                attrs={{ inputMode: 'decimal', placeholder: '0.5' }}
              />
              <Field
                place="turnDetection.silenceMs"
                label="Silence that ends a turn (ms)"
                value={form.silenceMs}
                issues={issues}
                onValue={set('silenceMs')}
                attrs={{ inputMode: 'numeric', placeholder: '500' }}
              />
            </>
          )}
          {form.turnType === 'semantic_vad' && (
            <Select
              place="turnDetection.eagerness"
              label="Eagerness"
              value={form.eagerness}
              options={EAGERNESS}
              issues={issues}
              onValue={set('eagerness')}
            />
          )}
        </Group>
        <Group legend="The call" issues={issues}>
          <Select
            place="noiseReduction"
            label="Noise reduction"
            value={form.noiseReduction}
            options={NOISE_REDUCTION}
            issues={issues}
            onValue={set('noiseReduction')}
          />
          {field('idleTimeoutMs', 'Speak again after caller silence (ms)', {
            attrs: { inputMode: 'numeric' },
          })}
          {field('idleReprompts', 'Reprompts before hanging up', {
            attrs: { inputMode: 'numeric', placeholder: '2' },
          })}
          {field('maxCallSeconds', 'Longest call (seconds)', { attrs: { inputMode: 'numeric' } })}
          <label class="toggle">
            <input
              id="agent-record"
              type="checkbox"
              checked={form.record}
              onChange={(e) => set('record')((e.target as HTMLInputElement).checked)}
            />
            Record calls (dual channel, through Twilio)
          </label>
        </Group>
        <ToolsEditor tools={form.tools} issues={issues} update={update} />
        <TargetsEditor targets={form.transferTargets} issues={issues} update={update} />
        {problems > 0 && (
          <Notice kind="error">
            Not saved: {problems === 1 ? 'one field needs' : `${problems} fields need`} attention (marked
            below each).
          </Notice>
        )}
        {issues.form && <Notice kind="error">{issues.form}</Notice>}
        {saved && <Notice kind="ok">{saved}</Notice>}
        <div class="buttons">
          <button type="submit" disabled={saving}>
            Save
          </button>
          {id !== undefined && id !== 'default' && (
            <button type="button" class="danger" onClick={remove}>
              Delete
            </button>
          )}
        </div>
      </form>
      {id !== undefined && <TestCall agentId={id} />}
    </div>
  );
}
