import type { Role } from '../db/schema';
import type { IdentityRepo, Membership, TenantRecord, UserRecord } from './repos/identity';
import type { TenantRepos } from './repos/tenant';

/** Variables every request has (set by middleware/context.ts). */
export interface BaseVariables {
  requestId: string;
  identity: IdentityRepo;
  /** The clock, injectable so tests can move time. */
  now: () => number;
  user: UserRecord | null;
  sessionId: string | null;
  /** Set by the session reader under /api/t/:slug: the user's membership there (null: none). */
  membership?: Membership | null;
  /** The API token a bearer request authenticated with (middleware/api-token.ts); null otherwise. */
  apiToken: { id: string; name: string } | null;
}

export interface AppEnv {
  Bindings: Env;
  Variables: BaseVariables;
}

/** Routes under /api/t/:tenant also get the tenant, the caller's role and the tenant's repos. */
export interface TenantEnv {
  Bindings: Env;
  Variables: BaseVariables & {
    user: UserRecord;
    tenant: TenantRecord;
    role: Role;
    repos: TenantRepos;
  };
}
