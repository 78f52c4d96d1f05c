import { Agent } from '@switchboard/contracts';

/** The Agent fields stored as columns of their own; every other field is a setting, in the JSONB `settings`. */
const COLUMN_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'phoneNumber',
  'instructions',
  'voice',
  'model',
  'greeting',
]);

/** Every optional field of the contracts' Agent that lives in `settings`: a field added there is stored too. */
export const AGENT_SETTING_FIELDS: readonly string[] = Object.keys(Agent.shape).filter(
  (field) => !COLUMN_FIELDS.has(field),
);

/** The settings of an agent as they are stored: each field given, `null` included (noise reduction off). */
export function settingsOf(agent: Agent): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const field of AGENT_SETTING_FIELDS) {
    const value = (agent as Record<string, unknown>)[field];
    if (value !== undefined) settings[field] = value;
  }
  return settings;
}

/** Adds stored settings to an agent's column fields; anything else a settings document might hold is ignored. */
export function withSettings(agent: Agent, settings: unknown): Agent {
  if (settings === null || typeof settings !== 'object') return agent;
  const stored = settings as Record<string, unknown>;
  const out: Record<string, unknown> = agent;
  for (const field of AGENT_SETTING_FIELDS) {
    if (stored[field] !== undefined) out[field] = stored[field];
  }
  return out as Agent;
}
