import { describe, expect, it } from 'vitest';
import { BatchVariables, fillVariables } from './batches.js';

describe('batch variables', () => {
  it('replaces {{name}} (spaces inside the braces allowed) and leaves unknown names as written', () => {
    expect(fillVariables('Hi {{name}}, at {{ time }}; {{other}} {name}', { name: 'Ana', time: '9:00' })).toBe(
      'Hi Ana, at 9:00; {{other}} {name}',
    );
  });

  it('puts values in as they are: no pattern of the value is read again', () => {
    expect(fillVariables('{{a}} {{b}}', { a: '{{b}}', b: '$& $1' })).toBe('{{b}} $& $1');
  });

  it('takes only own names, not what every object inherits', () => {
    expect(fillVariables('{{constructor}} {{toString}}', {})).toBe('{{constructor}} {{toString}}');
  });

  it('refuses names that are not [A-Za-z_][A-Za-z0-9_]*, values PostgreSQL or a prompt cannot take, and more than 50', () => {
    expect(BatchVariables.safeParse({ 'a b': 'x' }).success).toBe(false);
    expect(BatchVariables.safeParse({ '1a': 'x' }).success).toBe(false);
    expect(BatchVariables.safeParse({ first_name: 'x', _n2: 'y' }).success).toBe(true);
    expect(BatchVariables.safeParse({ a: 'line\nbreak' }).success).toBe(true);
    expect(BatchVariables.safeParse({ a: 'nul \u0000' }).success).toBe(false);
    expect(BatchVariables.safeParse({ a: 'lone \ud800' }).success).toBe(false);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`v${i}`, 'x']));
    expect(BatchVariables.safeParse(many).success).toBe(false);
  });
});
