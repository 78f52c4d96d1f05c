import { defineConfig } from 'vitest/config';

// Workspace packages export `switchboard-src` → src/index.ts, so tests run against source without a
// build; tsc and `node` fall through to dist. The rest are Vite's default server conditions.
const conditions = ['switchboard-src', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/console/app/src/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/bench/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at a time, whatever the core count (vitest's default is one less than the cores: one
    // file at a time on these 2-core machines). The suite mostly waits on sockets and timers: 336 s against
    // 580 s, every test passing in both (2026-12-01).
    maxWorkers: 2,
  },
});
