/**
 * Compose's variable interpolation, as `docker compose config` applies it before validating: `$VAR`,
 * `${VAR}`, `${VAR:-default}` / `${VAR-default}`, `${VAR:?error}` / `${VAR?error}`,
 * `${VAR:+replacement}` / `${VAR+replacement}`, and `$$` for a literal `$`.
 * https://github.com/compose-spec/compose-spec/blob/main/spec.md#interpolation
 */

export interface Interpolated {
  value: string;
  /** `${VAR:?message}` whose variable was unset (or empty, with the colon): the messages. */
  errors: string[];
}

const PATTERN = /\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\})/g;

export function interpolate(text: string, env: Record<string, string | undefined>): Interpolated {
  const errors: string[] = [];
  const value = text.replace(
    PATTERN,
    (_match, dollar: string | undefined, bare: string | undefined, name: string | undefined, op, arg) => {
      if (dollar) return '$';
      if (bare) return env[bare] ?? '';
      const v = env[name as string];
      const unset = v === undefined;
      const emptyOrUnset = unset || v === '';
      const argument = String(arg ?? '');
      switch (op as string | undefined) {
        case undefined:
          return v ?? '';
        case ':-':
          return emptyOrUnset ? argument : (v as string);
        case '-':
          return unset ? argument : (v as string);
        case ':?':
          if (emptyOrUnset) errors.push(`${name}: ${argument || 'required'}`);
          return v ?? '';
        case '?':
          if (unset) errors.push(`${name}: ${argument || 'required'}`);
          return v ?? '';
        case ':+':
          return emptyOrUnset ? '' : argument;
        case '+':
          return unset ? '' : argument;
        default:
          throw new Error(`unknown interpolation operator ${String(op)}`);
      }
    },
  );
  return { value, errors };
}

/** Interpolates every string (values, not keys) of a parsed compose document. */
export function interpolateDocument(
  doc: unknown,
  env: Record<string, string | undefined>,
): { doc: unknown; errors: string[] } {
  const errors: string[] = [];
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const result = interpolate(node, env);
      errors.push(...result.errors);
      return result.value;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    }
    return node;
  };
  return { doc: walk(doc), errors };
}
