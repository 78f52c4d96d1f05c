import fc from 'fast-check';

// fast-check arbitraries for the bad-input tests (issue 10): what an attacker sends, and valid requests with one
// part of them made bad.

/** Strings as an attacker picks them: any code point, and the ones that break databases and terminals. */
export const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '',
    '\u0000',
    '+1555\u00001230000',
    '\ud800',
    'x\udc00y',
    '\u001b[31mred',
    '\u202eevil',
    '%00',
    "'; DROP TABLE agents; --",
    '+15551230000',
    'CA0123456789abcdef0123456789abcdef',
    'default',
    'sip:desk@pbx.example.com',
    'https://tools.example.com/x',
  ),
);

/** Any JSON value, with nasty strings in it. */
export const nastyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nastyString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nastyString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A valid request with one field replaced by something nasty (or removed, or an unknown field added). */
export function mutated(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  const added = fc
    .record({ key: nastyString, value: nastyJson })
    .map(({ key, value }) => ({ ...valid, [key]: value }));
  if (keys.length === 0) return fc.oneof(fc.constant(valid), added);
  return fc.oneof(
    fc
      .record({ key: fc.constantFrom(...keys), value: nastyJson })
      .map(({ key, value }) => ({ ...valid, [key]: value })),
    fc
      .record({ key: fc.constantFrom(...keys), value: nastyString })
      .map(({ key, value }) => ({ ...valid, [key]: value })),
    fc.constantFrom(...keys).map((key) => {
      const { [key]: _gone, ...rest } = valid;
      return rest;
    }),
    added,
  );
}
