import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, errorFromWire, SwitchboardError } from './errors.js';

describe('errors across the wire', () => {
  it('rebuilds every code into an error with the same code and status', () => {
    for (const [code, status] of Object.entries(ERROR_CODES) as [ErrorCode, number][]) {
      const sent = new SwitchboardError(code, `a ${code}`);
      const received = errorFromWire(status, sent.toBody());
      expect(received).toBeInstanceOf(SwitchboardError);
      expect({ code: received.code, status: received.status, message: received.message }).toEqual({
        code,
        status,
        message: `a ${code}`,
      });
    }
  });

  it('falls back on the status when the body says nothing useful', () => {
    expect(errorFromWire(404, 'garbage').code).toBe('NOT_FOUND');
    expect(errorFromWire(503, undefined).retryable).toBe(true);
    expect(errorFromWire(418, {}).code).toBe('INTERNAL');
  });
});
