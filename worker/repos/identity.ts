/**
 * Identity data that lives above any one tenant: users, sessions, memberships, tenant lookup by
 * slug, and login throttling counters. Tenant-owned data is reached only through tenantRepos.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { loginAttempts, memberships, sessions, tenants, users, type Role } from '../../db/schema';
import type { SessionStore, StoredSession } from '../auth/session';
import { insertChunked, runAtomically, type Statement } from './batch';
import { tenantRepos } from './tenant';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  locale: string;
}

export interface WorkspaceSummary {
  id: string;
  slug: string;
  name: string;
  role: Role;
}

export interface TenantRecord {
  id: string;
  slug: string;
  name: string;
  locale: string;
  currency: string;
  timezone: string;
  fiscalYearStartMonth: number;
  templateId: string;
  membersSeeOwnOnly: boolean;
}

export function identityRepo(db: Database) {
  const sessionStore: SessionStore = {
    async insertSession(session) {
      await db.insert(sessions).values(session);
    },
    async findSession(id) {
      const row = await db.select().from(sessions).where(eq(sessions.id, id)).get();
      return row ?? null;
    },
    async touchSession(id, lastVerifiedAt) {
      await db.update(sessions).set({ lastVerifiedAt }).where(eq(sessions.id, id));
    },
    async deleteSession(id) {
      await db.delete(sessions).where(eq(sessions.id, id));
    },
  };

  return {
    /** Repos of a workspace being created (signup), before any membership exists. */
    newTenantRepos: (tenantId: string) => tenantRepos(db, tenantId),
    sessions: sessionStore,

    async ping(): Promise<boolean> {
      try {
        const row = await db.get<{ ok: number }>(sql`select 1 as ok`);
        return row?.ok === 1;
      } catch {
        return false;
      }
    },

    insertSessionStatement(session: StoredSession): Statement {
      return db.insert(sessions).values(session);
    },

    async findUserById(id: string): Promise<UserRecord | null> {
      const row = await db
        .select({ id: users.id, email: users.email, name: users.name, locale: users.locale })
        .from(users)
        .where(eq(users.id, id))
        .get();
      return row ?? null;
    },

    async findCredentials(email: string) {
      const row = await db
        .select({ id: users.id, passwordHash: users.passwordHash })
        .from(users)
        .where(eq(users.email, email))
        .get();
      return row ?? null;
    },

    async emailExists(email: string): Promise<boolean> {
      return (await db.select({ id: users.id }).from(users).where(eq(users.email, email)).get()) !== undefined;
    },

    async slugExists(slug: string): Promise<boolean> {
      return (await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.slug, slug)).get()) !== undefined;
    },

    async workspacesOf(userId: string): Promise<WorkspaceSummary[]> {
      return db
        .select({ id: tenants.id, slug: tenants.slug, name: tenants.name, role: memberships.role })
        .from(memberships)
        .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
        .where(eq(memberships.userId, userId))
        .orderBy(tenants.name)
        .all();
    },

    /** The tenant behind `slug` and the user's role in it; null when either is missing. */
    async membershipBySlug(userId: string, slug: string): Promise<{ tenant: TenantRecord; role: Role } | null> {
      const row = await db
        .select({ tenant: tenants, role: memberships.role })
        .from(tenants)
        .innerJoin(memberships, and(eq(memberships.tenantId, tenants.id), eq(memberships.userId, userId)))
        .where(eq(tenants.slug, slug))
        .get();
      if (!row) return null;
      const { id, slug: s, name, locale, currency, timezone, fiscalYearStartMonth, templateId, membersSeeOwnOnly } = row.tenant;
      return {
        tenant: { id, slug: s, name, locale, currency, timezone, fiscalYearStartMonth, templateId, membersSeeOwnOnly },
        role: row.role,
      };
    },

    /** Statements creating a user, a tenant and the owner membership (run with the template's rows). */
    newWorkspaceStatements(input: {
      user: typeof users.$inferInsert;
      tenant: typeof tenants.$inferInsert;
      teammates: (typeof users.$inferInsert & { role: Role })[];
      now: number;
    }): Statement[] {
      const { user, tenant, teammates, now } = input;
      return [
        db.insert(users).values(user),
        db.insert(tenants).values(tenant),
        ...insertChunked(db, users, teammates.map(({ role: _role, ...u }) => u)),
        ...insertChunked(db, memberships, [
          { tenantId: tenant.id, userId: user.id, role: 'owner', createdAt: now },
          ...teammates.map((t) => ({ tenantId: tenant.id, userId: t.id, role: t.role, createdAt: now })),
        ]),
      ];
    },

    runAtomically: (statements: Statement[]) => runAtomically(db, statements),

    /**
     * Failed-login counters in fixed windows, persisted in D1 (isolates share no memory).
     * Returns the seconds to wait when any key is over its limit, else 0.
     */
    async loginBlockedFor(keys: { key: string; limit: number }[], windowMs: number, now: number): Promise<number> {
      if (keys.length === 0) return 0;
      const rows = await db
        .select()
        .from(loginAttempts)
        .where(sql`${loginAttempts.key} in ${keys.map((k) => k.key)}`)
        .all();
      let wait = 0;
      for (const row of rows) {
        const limit = keys.find((k) => k.key === row.key)?.limit ?? Infinity;
        const windowEnd = row.windowStart + windowMs;
        if (windowEnd > now && row.failures >= limit) wait = Math.max(wait, Math.ceil((windowEnd - now) / 1000));
      }
      return wait;
    },

    async recordLoginFailure(keys: string[], windowMs: number, now: number): Promise<void> {
      const statements = keys.map((key) =>
        db
          .insert(loginAttempts)
          .values({ key, windowStart: now, failures: 1 })
          .onConflictDoUpdate({
            target: loginAttempts.key,
            set: {
              // A new window starts once the old one has passed.
              failures: sql`case when ${loginAttempts.windowStart} + ${windowMs} <= ${now} then 1 else ${loginAttempts.failures} + 1 end`,
              windowStart: sql`case when ${loginAttempts.windowStart} + ${windowMs} <= ${now} then ${now} else ${loginAttempts.windowStart} end`,
            },
          }),
      );
      await runAtomically(db, statements);
    },

    async clearLoginFailures(key: string): Promise<void> {
      await db.delete(loginAttempts).where(eq(loginAttempts.key, key));
    },
  };
}

export type IdentityRepo = ReturnType<typeof identityRepo>;
