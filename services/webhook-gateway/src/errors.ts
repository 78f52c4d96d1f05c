import {
  type ErrorBody,
  InternalError,
  InvalidRequestError,
  SwitchboardError,
  type SwitchboardErrorOptions,
} from '@switchboard/contracts';

export interface TwilioErrorDetails {
  /** Twilio's own error number (https://www.twilio.com/docs/api/errors), when it sent one. */
  twilioCode?: number;
  /** The HTTP status Twilio answered with, when it answered. */
  twilioStatus?: number;
  moreInfo?: string;
}

/**
 * Twilio's REST API refused or failed a request. Its HTTP status is what the API client should see: Twilio's
 * own 4xx for a request Twilio found wrong (a bad number, a trial account's unverified callee), 502 for
 * everything that is Twilio's or our configuration's fault.
 */
export class TwilioError extends SwitchboardError {
  readonly httpStatus: number;

  constructor(
    message: string,
    httpStatus: number,
    details: TwilioErrorDetails,
    options: Omit<SwitchboardErrorOptions, 'details'> = {},
  ) {
    super('TWILIO_ERROR', message, { ...options, details });
    this.httpStatus = httpStatus;
  }
}

export class UnauthorizedError extends SwitchboardError {
  constructor(message = 'a valid API key is required: Authorization: Bearer <key>') {
    super('UNAUTHORIZED', message);
  }
}

export class ForbiddenError extends SwitchboardError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class RouteNotFoundError extends SwitchboardError {
  constructor(method: string, path: string) {
    super('NOT_FOUND', `no route for ${method} ${path}`);
  }
}

export class PayloadTooLargeError extends SwitchboardError {
  constructor(limitBytes: number) {
    super('PAYLOAD_TOO_LARGE', `request bodies are limited to ${limitBytes} bytes`);
  }
}

export interface HttpError {
  status: number;
  body: ErrorBody;
  /** Whether it is our fault (5xx): logged as an error, with the cause. */
  serverSide: boolean;
}

/** Anything thrown → the status and `{"error": {code, message}}` body the client sees. Never a stack trace. */
export function toHttpError(err: unknown): HttpError {
  const error = toSwitchboardError(err);
  const status = error instanceof TwilioError ? error.httpStatus : error.status;
  return { status, body: error.toBody(), serverSide: status >= 500 };
}

/**
 * Errors of our own keep their code. A path whose percent-encoding does not decode (express' router throws a
 * URIError with status 400 for `/api/agents/%E0`) is the client's; anything else is ours: 500.
 */
export function toSwitchboardError(err: unknown): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  if (err instanceof URIError) {
    return new InvalidRequestError('the path is not valid percent-encoding', { cause: err });
  }
  return new InternalError('internal error', { cause: err });
}

/** `GET /api/events` already has as many streams open as this gateway allows. */
export class EventStreamsFullError extends SwitchboardError {
  constructor(max: number) {
    super(
      'EVENTS_UNAVAILABLE',
      `this gateway already serves ${max} event streams (CONSOLE_MAX_EVENT_STREAMS)`,
    );
  }
}
