import type { RequestHandler } from 'express';

const CALL_SID_SEGMENT = /^CA[0-9A-Za-z]+$/;
const AGENT_ID_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const TWILIO_ROUTES: ReadonlySet<string> = new Set([
  'voice',
  'status',
  'stream-ended',
  'dial-result',
  'recording',
  'amd',
]);
const CALL_ROUTES: ReadonlySet<string> = new Set(['transcript', 'hangup', 'transfer', 'say', 'recording']);

/**
 * The route template a path belongs to, for metric labels: a bounded set, whatever clients send. Call SIDs
 * become `:callSid`, agent ids `:id`; paths no route serves are `other`.
 */
export function routeLabel(path: string): string {
  const segments = path.split('/').filter((s) => s.length > 0);
  const [first, second, third, fourth, ...rest] = segments;
  if (rest.length > 0) return 'other';
  if (segments.length === 1 && (first === 'healthz' || first === 'readyz' || first === 'metrics'))
    return `/${first}`;
  if (first === 'twilio' && second !== undefined && TWILIO_ROUTES.has(second) && third === undefined)
    return `/twilio/${second}`;
  if (first === 'console') return '/console';
  if (first === 'api' && (second === 'events' || second === 'system') && third === undefined)
    return `/api/${second}`;
  if (first === 'api' && second === 'calls') {
    if (third === undefined) return '/api/calls';
    if (third === 'activity' && fourth === undefined) return '/api/calls/activity';
    if (!CALL_SID_SEGMENT.test(third)) return 'other';
    if (fourth === undefined) return '/api/calls/:callSid';
    if (CALL_ROUTES.has(fourth)) return `/api/calls/:callSid/${fourth}`;
  }
  if (first === 'api' && second === 'agents' && fourth === undefined) {
    if (third === undefined) return '/api/agents';
    if (AGENT_ID_SEGMENT.test(third)) return '/api/agents/:id';
  }
  return 'other';
}

/** Times every request from arrival to the end of its response. */
export function observeHttp(
  observe: (route: string, method: string, status: number, ms: number) => void,
): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      observe(routeLabel(req.path), req.method, res.statusCode, performance.now() - started);
    });
    next();
  };
}
