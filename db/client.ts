import { drizzle } from 'drizzle-orm/d1';
import * as schema from './schema';

export type Database = ReturnType<typeof createDatabase>;

/** The one place a D1 binding becomes a drizzle database (and, later, where a tenant's database is chosen). */
export function createDatabase(d1: D1Database) {
  return drizzle(d1, { schema, casing: 'snake_case' });
}
