// The console's only door to the gateway: same-origin fetches, the session cookie sent by the browser, the
// console's header on every write (the gateway refuses cookie-borne writes without it).
import type { FieldIssue } from './field-issue.js';
import { navigate, signInPath } from './router.js';

/** An API answer other than 2xx, with the gateway's `{"error": {code, message, details}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }

  /** The validation issues of a 400, field by field. */
  get issues(): FieldIssue[] {
    return Array.isArray(this.details)
      ? (this.details as unknown[]).filter(
          (d): d is FieldIssue =>
            typeof d === 'object' && d !== null && Array.isArray((d as FieldIssue).path),
        )
      : [];
  }
}

export const CONSOLE_HEADER = { 'x-requested-by': 'switchboard-console' };

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') Object.assign(headers, CONSOLE_HEADER);
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (res.status === 401 && !path.startsWith('/console/session')) {
    navigate(signInPath());
    throw new ApiError(401, 'UNAUTHORIZED', 'signed out', undefined);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
      ?.error;
    throw new ApiError(
      res.status,
      error?.code ?? (res.status === 404 ? 'NOT_FOUND' : 'ERROR'),
      error?.message ?? `${method} ${path} answered ${res.status}`,
      error?.details,
    );
  }
  return body as T;
}

/** A query string of the defined values. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') q.set(key, String(value));
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}
