export { AGENT_CACHE_MAX_AGE_MS } from './agents/agent-cache.js';
export { AGENT_CHANGED_SUBJECT } from './agents/agent-changes.js';
export { BatchLoader, type BatchLoaderOptions } from './calls/batch-loader.js';
export { loadConfig, type PoolConfig, type RegistryConfig, SETTINGS } from './config.js';
export { MIGRATIONS_DIR, MIGRATIONS_KEY, migrate, readMigrations } from './db/migrate.js';
export { type Registry, type RegistryDeps, startRegistry } from './registry.js';
