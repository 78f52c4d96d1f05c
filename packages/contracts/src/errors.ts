/**
 * Every error that crosses a service boundary. The `code` is a stable upper-case string; `status` is the
 * number carried in NATS' `Nats-Service-Error-Code` header and used as the HTTP status.
 */
export const ERROR_CODES = {
  INVALID_REQUEST: 400,
  /** The body could not be decoded with its `Content-Encoding` (unknown coding, or not valid data for it). */
  CONTENT_ENCODING_INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CALL_NOT_FOUND: 404,
  AGENT_NOT_FOUND: 404,
  NOT_FOUND: 404,
  BATCH_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  /** No media worker holds the call's stream (live control). */
  CALL_NOT_LIVE: 404,
  /** The call has no recording (none was made, it is not ready yet, or it was deleted). */
  RECORDING_NOT_FOUND: 404,
  CALL_CONFLICT: 409,
  AGENT_CONFLICT: 409,
  /** The agent `default` cannot be deleted: every call without an agent of its own falls back to it. */
  DEFAULT_AGENT_REQUIRED: 409,
  /** The call is over: it cannot be controlled any more. */
  CALL_ENDED: 409,
  PAYLOAD_TOO_LARGE: 413,
  TWILIO_ERROR: 502,
  DATABASE_UNAVAILABLE: 503,
  REGISTRY_UNAVAILABLE: 503,
  EVENTS_UNAVAILABLE: 503,
  /** A media worker has no free slot for another call (live streams and reservations fill its capacity). */
  WORKER_FULL: 503,
  /** A media worker is draining: it takes no reservations and no new streams. */
  WORKER_DRAINING: 503,
  REGISTRY_TIMEOUT: 504,
  INTERNAL: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** The JSON body of every error, over NATS and HTTP alike. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export interface SwitchboardErrorOptions {
  cause?: unknown;
  callSid?: string;
  details?: unknown;
}

export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly callSid: string | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: SwitchboardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = ERROR_CODES[code];
    this.callSid = options.callSid;
    this.details = options.details;
  }

  /** Whether trying the same thing again later may succeed. */
  get retryable(): boolean {
    return this.status === 503 || this.status === 504;
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

export class InvalidRequestError extends SwitchboardError {
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('INVALID_REQUEST', message, options);
  }
}

export class CallNotFoundError extends SwitchboardError {
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('CALL_NOT_FOUND', message, options);
  }

  static forSid(callSid: string): CallNotFoundError {
    return new CallNotFoundError(`no call with callSid ${callSid}`, { callSid });
  }
}

export class BatchNotFoundError extends SwitchboardError {
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('BATCH_NOT_FOUND', message, options);
  }

  static forId(id: string): BatchNotFoundError {
    return new BatchNotFoundError(`no call batch with id ${id}`);
  }
}

export class AgentNotFoundError extends SwitchboardError {
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('AGENT_NOT_FOUND', message, options);
  }

  static forId(agentId: string): AgentNotFoundError {
    return new AgentNotFoundError(`no agent with id ${agentId}`);
  }
}

export class WebhookNotFoundError extends SwitchboardError {
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('WEBHOOK_NOT_FOUND', message, options);
  }

  static forId(id: string): WebhookNotFoundError {
    return new WebhookNotFoundError(`no webhook with id ${id}`);
  }
}

export class CallConflictError extends SwitchboardError {
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('CALL_CONFLICT', message, options);
  }
}

export class AgentConflictError extends SwitchboardError {
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('AGENT_CONFLICT', message, options);
  }
}

export class DefaultAgentRequiredError extends SwitchboardError {
  constructor(
    message = 'the default agent cannot be deleted: calls without an agent of their own use it',
    options?: SwitchboardErrorOptions,
  ) {
    super('DEFAULT_AGENT_REQUIRED', message, options);
  }
}

export class CallNotLiveError extends SwitchboardError {
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('CALL_NOT_LIVE', message, options);
  }
}

export class RecordingNotFoundError extends SwitchboardError {
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('RECORDING_NOT_FOUND', message, options);
  }
}

export class CallEndedError extends SwitchboardError {
  constructor(message: string, options?: SwitchboardErrorOptions) {
    super('CALL_ENDED', message, options);
  }
}

export class DatabaseUnavailableError extends SwitchboardError {
  constructor(message = 'the database is unavailable', options?: SwitchboardErrorOptions) {
    super('DATABASE_UNAVAILABLE', message, options);
  }
}

export class RegistryUnavailableError extends SwitchboardError {
  constructor(message = 'the call registry is unavailable', options?: SwitchboardErrorOptions) {
    super('REGISTRY_UNAVAILABLE', message, options);
  }
}

export class RegistryTimeoutError extends SwitchboardError {
  constructor(message = 'the call registry did not answer in time', options?: SwitchboardErrorOptions) {
    super('REGISTRY_TIMEOUT', message, options);
  }
}

export class EventsUnavailableError extends SwitchboardError {
  constructor(message = 'call events cannot be stored right now', options?: SwitchboardErrorOptions) {
    super('EVENTS_UNAVAILABLE', message, options);
  }
}

export class WorkerFullError extends SwitchboardError {
  constructor(message = 'the media worker has no free slot', options?: SwitchboardErrorOptions) {
    super('WORKER_FULL', message, options);
  }
}

export class WorkerDrainingError extends SwitchboardError {
  constructor(message = 'the media worker is draining', options?: SwitchboardErrorOptions) {
    super('WORKER_DRAINING', message, options);
  }
}

export class InternalError extends SwitchboardError {
  constructor(message = 'internal error', options?: SwitchboardErrorOptions) {
    super('INTERNAL', message, options);
  }
}

const CLASSES: Partial<
  Record<ErrorCode, new (message: string, options?: SwitchboardErrorOptions) => SwitchboardError>
> = {
  INVALID_REQUEST: InvalidRequestError,
  CALL_NOT_FOUND: CallNotFoundError,
  AGENT_NOT_FOUND: AgentNotFoundError,
  BATCH_NOT_FOUND: BatchNotFoundError,
  WEBHOOK_NOT_FOUND: WebhookNotFoundError,
  CALL_CONFLICT: CallConflictError,
  AGENT_CONFLICT: AgentConflictError,
  DEFAULT_AGENT_REQUIRED: DefaultAgentRequiredError,
  CALL_NOT_LIVE: CallNotLiveError,
  RECORDING_NOT_FOUND: RecordingNotFoundError,
  CALL_ENDED: CallEndedError,
  DATABASE_UNAVAILABLE: DatabaseUnavailableError,
  REGISTRY_UNAVAILABLE: RegistryUnavailableError,
  REGISTRY_TIMEOUT: RegistryTimeoutError,
  EVENTS_UNAVAILABLE: EventsUnavailableError,
  WORKER_FULL: WorkerFullError,
  WORKER_DRAINING: WorkerDrainingError,
  INTERNAL: InternalError,
};

/**
 * Rebuilds an error received over the wire (NATS service-error headers plus JSON body, or an HTTP reply)
 * into the same class the sender threw, so callers can `instanceof` and read `code` on either side.
 */
export function errorFromWire(
  status: number,
  body: unknown,
  fallbackMessage = 'request failed',
): SwitchboardError {
  const error = (body as Partial<ErrorBody> | undefined)?.error;
  const message = typeof error?.message === 'string' ? error.message : fallbackMessage;
  const code: ErrorCode = isErrorCode(error?.code) ? error.code : codeForStatus(status);
  const details = error?.details;
  const options: SwitchboardErrorOptions = details === undefined ? {} : { details };
  const Cls = CLASSES[code];
  return Cls ? new Cls(message, options) : new SwitchboardError(code, message, options);
}

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'INVALID_REQUEST';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'CALL_CONFLICT';
    case 503:
      return 'REGISTRY_UNAVAILABLE';
    case 504:
      return 'REGISTRY_TIMEOUT';
    default:
      return 'INTERNAL';
  }
}
