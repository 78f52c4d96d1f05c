import type { Agent } from '@switchboard/contracts';

/**
 * An agent with every field the contracts know, each set to something other than its default: what a test
 * stores and reads back to show that every field round-trips.
 */
export function fullAgent(id = 'full', overrides: Partial<Agent> = {}): Agent {
  return {
    id,
    phoneNumber: '+15550004444',
    instructions: 'Book tables.\nBe brief.',
    voice: 'verse',
    model: 'gpt-realtime',
    greeting: 'Hello, bookings!',
    language: 'es',
    turnDetection: { type: 'server_vad', threshold: 0.6, silenceMs: 700 },
    noiseReduction: null,
    idleTimeoutMs: 8_000,
    idleReprompts: 1,
    maxCallSeconds: 600,
    record: true,
    tools: [
      {
        name: 'book_table',
        description: 'Books a table.',
        parameters: {
          type: 'object',
          properties: { people: { type: 'integer' }, time: { type: 'string' } },
          required: ['people'],
        },
        url: 'https://tools.example.com/book',
        timeoutMs: 4_000,
      },
    ],
    transferTargets: [{ name: 'front_desk', description: 'A person at the desk.', to: '+15550005555' }],
    keypad: { terminator: '#', pauseMs: 2_000, maxDigits: 8 },
    ...overrides,
  };
}
