// Prisma 7 reads the datasource URL from here (the schema has none). Only `prisma generate`
// runs through the CLI on these machines; migrations go through prisma/migrate.ts.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/unused' },
});
