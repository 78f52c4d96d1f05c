import { defineConfig } from 'prisma/config';

// Prisma 7 reads the connection from here, not from schema.prisma. The fallback lets `prisma generate`
// run without a database (its own env() helper throws when the variable is unset).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard' },
});
