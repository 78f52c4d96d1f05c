import { describe, expect, it } from 'vitest';
import { ERROR_HEADER_MAX_CHARS, headerText } from './reply.js';

describe('error messages as NATS headers', () => {
  it('turns CR, LF and other control characters into spaces and caps the length', () => {
    expect(headerText('invalid key "a\r\nInjected: 1"')).toBe('invalid key "a  Injected: 1"');
    expect(headerText('tab\there\u0000nul\u007fdel')).toBe('tab here nul del');
    expect(headerText('café ☎ 😀')).toBe('café ☎ 😀');
    expect(headerText('x'.repeat(2_000))).toHaveLength(ERROR_HEADER_MAX_CHARS);
  });
});
