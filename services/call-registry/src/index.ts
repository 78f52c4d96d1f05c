export { BatchLoader, type BatchLoaderOptions } from './calls/batch-loader.js';
export { loadConfig, type PoolConfig, type RegistryConfig, SETTINGS } from './config.js';
export { MIGRATIONS_DIR, MIGRATIONS_KEY, migrate, readMigrations } from './db/migrate.js';
export { type Registry, type RegistryDeps, startRegistry } from './registry.js';
