export {
  createTestDatabase,
  databaseUrl,
  TEST_DATABASE_ADMIN_URL,
  type TestDatabase,
  type TestDatabaseOptions,
} from './database.js';
export { NATS_SERVER_BINARY, type NatsServerOptions, TestNatsServer } from './nats-server.js';
export { freePort, waitForPort } from './ports.js';
export { TcpProxy } from './tcp-proxy.js';
