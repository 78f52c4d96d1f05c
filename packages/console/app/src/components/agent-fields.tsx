import type { ComponentChildren } from 'preact';
import {
  type AgentForm,
  emptyTarget,
  emptyTool,
  type Issues,
  type TargetForm,
  type ToolForm,
} from '../agent-form.js';

/** The id of the control for an issue place (`tools.0.url` → `agent-tools-0-url`); its error's is `…-error`. */
export const controlId = (place: string) => `agent-${place.replaceAll('.', '-')}`;

/** A problem at `place`, read out with its control (`aria-describedby`). */
function FieldError({ place, issues }: { place: string; issues: Issues }) {
  const message = issues[place];
  return message ? (
    <p id={`${controlId(place)}-error`} class="field-error">
      {message}
    </p>
  ) : null;
}

interface FieldProps {
  place: string;
  label: string;
  value: string;
  issues: Issues;
  onValue: (value: string) => void;
  multiline?: boolean;
  rows?: number;
  hint?: string;
  attrs?: Record<string, unknown>;
}

/** A labelled text input (or textarea) with the API's message for it underneath. */
export function Field({ place, label, value, issues, onValue, multiline, rows, hint, attrs }: FieldProps) {
  const id = controlId(place);
  const invalid = issues[place] !== undefined;
  const described = [invalid ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  const common = {
    id,
    value,
    'aria-invalid': invalid ? ('true' as const) : undefined,
    'aria-describedby': described || undefined,
    onInput: (e: Event) => onValue((e.target as HTMLInputElement).value),
    ...attrs,
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {multiline ? <textarea {...common} rows={rows ?? 4} /> : <input {...common} />}
      {hint && (
        <p id={`${id}-hint`} class="field-hint">
          {hint}
        </p>
      )}
      <FieldError place={place} issues={issues} />
    </div>
  );
}

/** A labelled select of `[value, label]` options. */
export function Select<T extends string>({
  place,
  label,
  value,
  options,
  issues,
  onValue,
}: {
  place: string;
  label: string;
  value: T;
  options: readonly (readonly [T, string])[];
  issues: Issues;
  onValue: (value: T) => void;
}) {
  const id = controlId(place);
  const invalid = issues[place] !== undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select
        id={id}
        value={value}
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={invalid ? `${id}-error` : undefined}
        onChange={(e) => onValue((e.target as HTMLSelectElement).value as T)}
      >
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      <FieldError place={place} issues={issues} />
    </div>
  );
}

/** A group of fields with a legend, and the API's message for the group as a whole. */
export function Group({
  place,
  legend,
  issues,
  children,
  className = '',
}: {
  place?: string;
  legend: string;
  issues: Issues;
  children: ComponentChildren;
  className?: string;
}) {
  return (
    <fieldset class={`group ${className}`}>
      <legend>{legend}</legend>
      {children}
      {place && <FieldError place={place} issues={issues} />}
    </fieldset>
  );
}

type Update = (change: (form: AgentForm) => AgentForm) => void;

function replaceAt<T>(items: readonly T[], index: number, patch: Partial<T>): T[] {
  return items.map((item, i) => (i === index ? { ...item, ...patch } : item));
}

/** The agent's own tools, one group each: what the model is told, where the worker POSTs. */
export function ToolsEditor({
  tools,
  issues,
  update,
}: {
  tools: ToolForm[];
  issues: Issues;
  update: Update;
}) {
  const patch = (i: number, change: Partial<ToolForm>) =>
    update((f) => ({ ...f, tools: replaceAt(f.tools, i, change) }));
  return (
    <Group place="tools" legend="Tools" issues={issues}>
      {tools.length === 0 && <p class="muted">No tools of its own (end_call and send_dtmf are built in).</p>}
      {tools.map((tool, i) => (
        <Group key={i} place={`tools.${i}`} legend={`Tool ${i + 1}`} issues={issues} className="item">
          <Field
            place={`tools.${i}.name`}
            label="Name"
            value={tool.name}
            issues={issues}
            onValue={(name) => patch(i, { name })}
            attrs={{ placeholder: 'lookup_order' }}
          />
          <Field
            place={`tools.${i}.description`}
            label="Description"
            value={tool.description}
            issues={issues}
            onValue={(description) => patch(i, { description })}
            attrs={{ placeholder: 'what it does, for the model' }}
          />
          <Field
            place={`tools.${i}.url`}
            label="URL"
            value={tool.url}
            issues={issues}
            onValue={(url) => patch(i, { url })}
            attrs={{ type: 'url', placeholder: 'https://…' }}
          />
          <Field
            place={`tools.${i}.timeoutMs`}
            label="Timeout (ms)"
            value={tool.timeoutMs}
            issues={issues}
            onValue={(timeoutMs) => patch(i, { timeoutMs })}
            attrs={{ inputMode: 'numeric', placeholder: '5000' }}
          />
          <Field
            place={`tools.${i}.parameters`}
            label="Parameters (JSON Schema)"
            value={tool.parameters}
            issues={issues}
            onValue={(parameters) => patch(i, { parameters })}
            multiline
            rows={5}
          />
          <button
            type="button"
            class="secondary"
            onClick={() => update((f) => ({ ...f, tools: f.tools.filter((_, j) => j !== i) }))}
          >
            Remove tool {i + 1}
          </button>
        </Group>
      ))}
      <button
        type="button"
        class="secondary"
        onClick={() => update((f) => ({ ...f, tools: [...f.tools, emptyTool()] }))}
      >
        Add tool
      </button>
    </Group>
  );
}

/** Where the agent (or an operator) can transfer the caller: a name, what it is for, a number or sip: URI. */
export function TargetsEditor({
  targets,
  issues,
  update,
}: {
  targets: TargetForm[];
  issues: Issues;
  update: Update;
}) {
  const patch = (i: number, change: Partial<TargetForm>) =>
    update((f) => ({ ...f, transferTargets: replaceAt(f.transferTargets, i, change) }));
  return (
    <Group place="transferTargets" legend="Transfer targets" issues={issues}>
      {targets.length === 0 && <p class="muted">None: the agent cannot transfer calls.</p>}
      {targets.map((target, i) => (
        <Group
          key={i}
          place={`transferTargets.${i}`}
          legend={`Transfer target ${i + 1}`}
          issues={issues}
          className="item"
        >
          <Field
            place={`transferTargets.${i}.name`}
            label="Name"
            value={target.name}
            issues={issues}
            onValue={(name) => patch(i, { name })}
            attrs={{ placeholder: 'front-desk' }}
          />
          <Field
            place={`transferTargets.${i}.description`}
            label="Description"
            value={target.description}
            issues={issues}
            onValue={(description) => patch(i, { description })}
            attrs={{ placeholder: 'who answers there, for the model' }}
          />
          <Field
            place={`transferTargets.${i}.to`}
            label="Number or SIP URI"
            value={target.to}
            issues={issues}
            onValue={(to) => patch(i, { to })}
            attrs={{ placeholder: '+15551230000 or sip:…' }}
          />
          <button
            type="button"
            class="secondary"
            onClick={() =>
              update((f) => ({ ...f, transferTargets: f.transferTargets.filter((_, j) => j !== i) }))
            }
          >
            Remove transfer target {i + 1}
          </button>
        </Group>
      ))}
      <button
        type="button"
        class="secondary"
        onClick={() => update((f) => ({ ...f, transferTargets: [...f.transferTargets, emptyTarget()] }))}
      >
        Add transfer target
      </button>
    </Group>
  );
}
