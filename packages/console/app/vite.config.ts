import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the webhook gateway under /console: every asset is bundled into dist/app with
// hashed names, and nothing is loaded from another origin (the gateway's Content-Security-Policy forbids it).
// `pnpm --filter @switchboard/console dev` serves it with hot reload, the API proxied to a gateway on :3000.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/app', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be an inline script, which the Content-Security-Policy refuses; every browser the
    // console supports has module preloading.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:3000', '/console/session': 'http://127.0.0.1:3000' },
  },
});
