import { drizzle } from 'drizzle-orm/d1';
import * as schema from './schema';

export type Database = ReturnType<typeof createDatabase>;

/** The one place a D1 binding becomes a drizzle database. */
export function createDatabase(d1: D1Database) {
  return drizzle(d1, { schema, casing: 'snake_case' });
}

/**
 * Tenant → database routing: the one function that decides which D1 database holds a tenant's rows
 * (docs/scaling.md, "Past one database"). Today every tenant lives in `DB`, which also holds the
 * directory (users, sessions, tenants, memberships) that finds the tenant in the first place.
 *
 * The seam for more than one database: `TENANT_DATABASES` (a wrangler var, JSON `{ "<tenant id>":
 * "<D1 binding name>" }`) places a tenant in another bound database. Moving a tenant = copy its rows
 * (every table is keyed tenant-first), add its entry, redeploy; unlisted tenants stay in `DB`. A
 * tenant placed on a binding that is not bound is a configuration error and fails loudly — never a
 * silent fallback to the wrong database. Callers: the tenant middleware, the nightly and recompute
 * jobs (and every job that touches one tenant).
 */
export function tenantDatabaseBinding(env: Env, tenantId: string): D1Database {
  const placement = tenantPlacement(env);
  const name = placement[tenantId];
  if (name === undefined || name === 'DB') return env.DB;
  const binding = (env as unknown as Record<string, unknown>)[name];
  if (!isD1(binding)) throw new Error(`TENANT_DATABASES places tenant ${tenantId} on "${name}", which is not a bound D1 database`);
  return binding;
}

/** The drizzle database of one tenant's rows (see tenantDatabaseBinding). */
export function tenantDatabase(env: Env, tenantId: string): Database {
  return createDatabase(tenantDatabaseBinding(env, tenantId));
}

const placements = new WeakMap<object, Record<string, string>>();

function tenantPlacement(env: Env): Record<string, string> {
  const raw = (env as unknown as { TENANT_DATABASES?: unknown }).TENANT_DATABASES;
  if (raw === undefined || raw === '') return {};
  const cached = placements.get(env);
  if (cached) return cached;
  let parsed: unknown;
  try {
    parsed = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    throw new Error('TENANT_DATABASES is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new Error('TENANT_DATABASES must be a JSON object of tenant id → D1 binding name');
  }
  const placement = parsed as Record<string, string>;
  placements.set(env, placement);
  return placement;
}

function isD1(value: unknown): value is D1Database {
  return typeof value === 'object' && value !== null && typeof (value as D1Database).prepare === 'function' && typeof (value as D1Database).batch === 'function';
}
