import { describe, expect, it } from 'vitest';
import { isoFromTimestamptz } from '../src/calls/call-row.js';

describe('isoFromTimestamptz', () => {
  it('formats PostgreSQL timestamptz text exactly as Date#toISOString would', () => {
    const cases = [
      '2026-11-27 10:00:00+00',
      '2026-11-27 10:00:00.5+00',
      '2026-11-27 10:00:00.05+00',
      '2026-11-27 10:00:00.123+00',
      '1999-12-31 23:59:59.999+00',
      '2026-11-27 11:00:00.25+01',
      '2026-11-27 05:30:00-04:30',
    ];
    for (const text of cases) {
      const expected = new Date(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).toISOString();
      expect(isoFromTimestamptz(text), text).toBe(expected);
    }
  });
});
