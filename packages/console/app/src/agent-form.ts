// The agent editor's pure side: an Agent as the form's text fields, the form as the body of
// `PUT /api/agents/:id`, and the API's 400 `details` placed next to the field each names. No DOM, unit-tested.
import type { Agent, AgentTool, TransferTarget, TurnDetectionSetting } from '@switchboard/contracts';
import type { FieldIssue } from './field-issue.js';

export interface ToolForm {
  name: string;
  description: string;
  url: string;
  timeoutMs: string;
  /** The JSON Schema of the arguments, as JSON text. */
  parameters: string;
}

export interface TargetForm {
  name: string;
  description: string;
  to: string;
}

export type TurnType = '' | TurnDetectionSetting['type'];
export type Eagerness =
  | ''
  | NonNullable<Extract<TurnDetectionSetting, { type: 'semantic_vad' }>['eagerness']>;

/** Every field as the form holds it: text as typed, '' for "not set". */
export interface AgentForm {
  id: string;
  phoneNumber: string;
  instructions: string;
  greeting: string;
  voice: string;
  model: string;
  language: string;
  /** '' is the default (server VAD with OpenAI's settings). */
  turnType: TurnType;
  threshold: string;
  silenceMs: string;
  eagerness: Eagerness;
  noiseReduction: '' | 'near_field' | 'far_field';
  idleTimeoutMs: string;
  idleReprompts: string;
  maxCallSeconds: string;
  record: boolean;
  tools: ToolForm[];
  transferTargets: TargetForm[];
}

/** The Agent fields the form edits; any other field of the agent is sent back as it was. */
const EDITED = [
  'id',
  'phoneNumber',
  'instructions',
  'greeting',
  'voice',
  'model',
  'language',
  'turnDetection',
  'noiseReduction',
  'idleTimeoutMs',
  'idleReprompts',
  'maxCallSeconds',
  'record',
  'tools',
  'transferTargets',
] as const satisfies readonly (keyof Agent)[];
/** Agent fields the form does not show (kept as they were). */
type Kept = 'keypad';
// A field added to the contracts' Agent fails to compile here until the form edits it or keeps it.
const everyFieldHandled: [Exclude<keyof Agent, (typeof EDITED)[number] | Kept>] extends [never]
  ? true
  : never = true;
void everyFieldHandled;

/** The Realtime API's built-in voices (an agent may name another, a custom voice). */
export const VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'sage',
  'shimmer',
  'verse',
  'marin',
  'cedar',
] as const;

/** The choices of the form's selects: the value, and what it means. */
export const TURN_KINDS: readonly (readonly [TurnType, string])[] = [
  ['', 'default (server VAD)'],
  ['server_vad', 'server VAD: silence ends the turn'],
  ['semantic_vad', 'semantic VAD: the model judges when the caller is done'],
];
export const EAGERNESS: readonly (readonly [Eagerness, string])[] = [
  ['', 'default'],
  ['low', 'low'],
  ['medium', 'medium'],
  ['high', 'high'],
  ['auto', 'auto'],
];
export const NOISE_REDUCTION: readonly (readonly [AgentForm['noiseReduction'], string])[] = [
  ['', 'off'],
  ['near_field', 'near field (a handset)'],
  ['far_field', 'far field (a speakerphone)'],
];

export const NEW_TOOL_PARAMETERS = '{\n  "type": "object",\n  "properties": {}\n}';

export const NEW_AGENT: AgentForm = {
  id: '',
  phoneNumber: '',
  instructions: '',
  greeting: '',
  voice: 'alloy',
  model: 'gpt-realtime',
  language: '',
  turnType: '',
  threshold: '',
  silenceMs: '',
  eagerness: '',
  noiseReduction: '',
  idleTimeoutMs: '',
  idleReprompts: '',
  maxCallSeconds: '',
  record: false,
  tools: [],
  transferTargets: [],
};

export const emptyTool = (): ToolForm => ({
  name: '',
  description: '',
  url: '',
  timeoutMs: '',
  parameters: NEW_TOOL_PARAMETERS,
});

export const emptyTarget = (): TargetForm => ({ name: '', description: '', to: '' });

const text = (value: string | number | null | undefined) =>
  value === null || value === undefined ? '' : String(value);

export function formOf(agent: Agent): AgentForm {
  const turn = agent.turnDetection;
  return {
    id: agent.id,
    phoneNumber: text(agent.phoneNumber),
    instructions: agent.instructions,
    greeting: text(agent.greeting),
    voice: agent.voice,
    model: agent.model,
    language: text(agent.language),
    turnType: turn?.type ?? '',
    threshold: turn?.type === 'server_vad' ? text(turn.threshold) : '',
    silenceMs: turn?.type === 'server_vad' ? text(turn.silenceMs) : '',
    eagerness: turn?.type === 'semantic_vad' ? (turn.eagerness ?? '') : '',
    noiseReduction: agent.noiseReduction ?? '',
    idleTimeoutMs: text(agent.idleTimeoutMs),
    idleReprompts: text(agent.idleReprompts),
    maxCallSeconds: text(agent.maxCallSeconds),
    record: agent.record === true,
    tools: (agent.tools ?? []).map((t) => ({
      name: t.name,
      description: t.description,
      url: t.url,
      timeoutMs: text(t.timeoutMs),
      parameters: JSON.stringify(t.parameters, null, 2),
    })),
    transferTargets: (agent.transferTargets ?? []).map((t) => ({ ...t })),
  };
}

/**
 * Where each problem is shown, by the API's path of the field joined with dots (`phoneNumber`,
 * `tools.0.url`, `turnDetection.silenceMs`); `tools`, `tools.0`, `turnDetection` are the groups' own places,
 * `form` is for what names no field.
 */
export type Issues = Record<string, string>;

/** Every place in this form an issue can be shown. */
export function issuePlaces(form: AgentForm): Set<string> {
  const places = new Set<string>([
    'form',
    ...EDITED,
    'turnDetection.type',
    'turnDetection.threshold',
    'turnDetection.silenceMs',
    'turnDetection.eagerness',
  ]);
  form.tools.forEach((_, i) => {
    for (const f of ['', '.name', '.description', '.url', '.timeoutMs', '.parameters'])
      places.add(`tools.${i}${f}`);
  });
  form.transferTargets.forEach((_, i) => {
    for (const f of ['', '.name', '.description', '.to']) places.add(`transferTargets.${i}${f}`);
  });
  return places;
}

/**
 * The API's 400 `details`, each at the nearest place the form has for its path (`tools.0.parameters.type`
 * goes to the tool's parameters); an issue of the path's id itself (empty path) goes to the id field.
 */
export function issuesFromApi(details: readonly FieldIssue[], form: AgentForm): Issues {
  const places = issuePlaces(form);
  const issues: Issues = {};
  for (const detail of details) {
    const path = detail.path.map(String);
    let place = path.length === 0 ? 'id' : 'form';
    for (let n = path.length; n > 0; n--) {
      const candidate = path.slice(0, n).join('.');
      if (places.has(candidate)) {
        place = candidate;
        break;
      }
    }
    // What is under the place (`parameters.type`, an unknown key) is said in the message.
    const rest = place === 'form' ? path.join('.') : path.slice(place.split('.').length).join('.');
    const message = rest ? `${rest}: ${detail.message}` : detail.message;
    issues[place] = issues[place] ? `${issues[place]}; ${message}` : message;
  }
  return issues;
}

/** The agent's id as the API takes it (AgentId in the contracts). */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The form as the body of `PUT /api/agents/:id` (a whole agent: what is left empty is left out, so `GET` gives
 * back exactly what was set), or the fields the browser can already tell are wrong (not numbers, not JSON).
 * Everything else is the API's to judge. Fields the form does not show are sent back as `original` has them.
 */
export function bodyOf(
  form: AgentForm,
  original: Agent | undefined,
): { body: Record<string, unknown>; issues?: undefined } | { body?: undefined; issues: Issues } {
  const issues: Issues = {};
  const number = (value: string, place: string): number | undefined => {
    if (value.trim() === '') return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) issues[place] = 'must be a number';
    return n;
  };
  const body: Record<string, unknown> = {};
  if (original) {
    for (const [field, value] of Object.entries(original))
      if (!(EDITED as readonly string[]).includes(field)) body[field] = value;
  }
  const set = (field: string, value: unknown) => {
    if (value !== undefined && value !== '') body[field] = value;
  };
  set('phoneNumber', form.phoneNumber.trim());
  set('instructions', form.instructions);
  set('greeting', form.greeting);
  set('voice', form.voice.trim());
  set('model', form.model.trim());
  set('language', form.language.trim());
  set('turnDetection', turnDetectionOf(form, number));
  set('noiseReduction', form.noiseReduction);
  set('idleTimeoutMs', number(form.idleTimeoutMs, 'idleTimeoutMs'));
  set('idleReprompts', number(form.idleReprompts, 'idleReprompts'));
  set('maxCallSeconds', number(form.maxCallSeconds, 'maxCallSeconds'));
  if (form.record) body.record = true;
  if (form.tools.length > 0) {
    body.tools = form.tools.map((t, i): Partial<AgentTool> => {
      let parameters: unknown;
      try {
        parameters = JSON.parse(t.parameters);
      } catch {
        issues[`tools.${i}.parameters`] = 'not valid JSON';
      }
      const timeoutMs = number(t.timeoutMs, `tools.${i}.timeoutMs`);
      return {
        name: t.name.trim(),
        description: t.description,
        url: t.url.trim(),
        parameters: parameters as AgentTool['parameters'],
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      };
    });
  }
  if (form.transferTargets.length > 0) {
    body.transferTargets = form.transferTargets.map(
      (t): TransferTarget => ({ name: t.name.trim(), description: t.description, to: t.to.trim() }),
    );
  }
  return Object.keys(issues).length > 0 ? { issues } : { body };
}

function turnDetectionOf(
  form: AgentForm,
  number: (value: string, place: string) => number | undefined,
): TurnDetectionSetting | undefined {
  switch (form.turnType) {
    case '':
      return undefined;
    case 'server_vad': {
      const threshold = number(form.threshold, 'turnDetection.threshold');
      const silenceMs = number(form.silenceMs, 'turnDetection.silenceMs');
      return {
        type: 'server_vad',
        ...(threshold === undefined ? {} : { threshold }),
        ...(silenceMs === undefined ? {} : { silenceMs }),
      };
    }
    case 'semantic_vad':
      return { type: 'semantic_vad', ...(form.eagerness ? { eagerness: form.eagerness } : {}) };
  }
}
