/**
 * Identity data that lives above any one tenant: users, sessions, memberships, tenant lookup by
 * slug, and login throttling counters. Tenant-owned data is reached only through tenantRepos.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { apiTokens, loginAttempts, memberships, sessions, tenants, users, type ApiTokenRole, type Role } from '../../db/schema';
import { ABSOLUTE_TIMEOUT_MS, INACTIVITY_TIMEOUT_MS, type SessionStore, type StoredSession } from '../auth/session';
import type { WorkspaceRows } from '../services/template-install';
import { insertChunked, runAtomically, type Statement } from './batch';
import { invitationRepo } from './invitations';
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

export interface Membership {
  tenant: TenantRecord;
  role: Role;
}

/** An API token as the bearer check needs it: its tenant, its creator and the creator's role there. */
export interface ApiTokenGrant {
  id: string;
  name: string;
  role: ApiTokenRole;
  secretHash: string;
  expiresAt: number | null;
  revokedAt: number | null;
  tenant: TenantRecord;
  creator: UserRecord;
  /** Null when the creator is no longer a member of the token's tenant. */
  creatorRole: Role | null;
}

/** A session's user, and — when the request names a workspace — the user's membership in it. */
export type SessionUser = UserRecord & { membership?: Membership | null };

const tenantRecord = (t: typeof tenants.$inferSelect): TenantRecord => ({
  id: t.id, slug: t.slug, name: t.name, locale: t.locale, currency: t.currency, timezone: t.timezone,
  fiscalYearStartMonth: t.fiscalYearStartMonth, templateId: t.templateId, membersSeeOwnOnly: t.membersSeeOwnOnly,
});

export function identityRepo(db: Database) {
  const sessionStore: SessionStore<SessionUser> = {
    async insertSession(session) {
      await db.insert(sessions).values(session);
    },
    async findSession(id) {
      // The user comes along in the same query: one round trip per authenticated request.
      const row = await db
        .select({ session: sessions, user: { id: users.id, email: users.email, name: users.name, locale: users.locale } })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(sessions.id, id))
        .get();
      return row ? { ...row.session, user: row.user } : null;
    },
    async touchSession(id, lastVerifiedAt) {
      await db.update(sessions).set({ lastVerifiedAt }).where(eq(sessions.id, id));
    },
    async deleteSession(id) {
      await db.delete(sessions).where(eq(sessions.id, id));
    },
  };

  return {
    sessions: sessionStore,
    invitations: invitationRepo(db),

    /**
     * The session store for a request under /api/t/:slug: the session, its user and the user's
     * membership in that workspace come back in ONE statement (a D1 round trip saved per request).
     */
    sessionsInWorkspace(slug: string): SessionStore<SessionUser> {
      return {
        ...sessionStore,
        async findSession(id) {
          const row = await db
            .select({ session: sessions, user: { id: users.id, email: users.email, name: users.name, locale: users.locale }, tenant: tenants, role: memberships.role })
            .from(sessions)
            .innerJoin(users, eq(users.id, sessions.userId))
            .leftJoin(tenants, eq(tenants.slug, slug))
            .leftJoin(memberships, and(eq(memberships.tenantId, tenants.id), eq(memberships.userId, users.id)))
            .where(eq(sessions.id, id))
            .get();
          if (!row) return null;
          const membership = row.tenant && row.role ? { tenant: tenantRecord(row.tenant), role: row.role } : null;
          return { ...row.session, user: { ...row.user, membership } };
        },
      };
    },

    async ping(): Promise<boolean> {
      try {
        const row = await db.get<{ ok: number }>(sql`select 1 as ok`);
        return row?.ok === 1;
      } catch {
        return false;
      }
    },

    /** The user behind `email` with their password hash (null for sample teammates). */
    async findCredentials(email: string): Promise<(UserRecord & { passwordHash: string | null }) | null> {
      const row = await db
        .select({ id: users.id, email: users.email, name: users.name, locale: users.locale, passwordHash: users.passwordHash })
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
    async membershipBySlug(userId: string, slug: string): Promise<Membership | null> {
      const row = await db
        .select({ tenant: tenants, role: memberships.role })
        .from(tenants)
        .innerJoin(memberships, and(eq(memberships.tenantId, tenants.id), eq(memberships.userId, userId)))
        .where(eq(tenants.slug, slug))
        .get();
      return row ? { tenant: tenantRecord(row.tenant), role: row.role } : null;
    },

    /**
     * Creates a user, their workspace with the template's rows, the owner membership and the
     * first session in one atomic batch: all of it or nothing.
     */
    async createWorkspace(input: {
      user: typeof users.$inferInsert;
      tenant: typeof tenants.$inferInsert & { id: string };
      teammates: (typeof users.$inferInsert & { role: Role })[];
      rows: WorkspaceRows;
      session: StoredSession;
      now: number;
    }): Promise<void> {
      const { user, tenant, teammates, rows, session, now } = input;
      await runAtomically(db, [
        db.insert(users).values(user),
        db.insert(tenants).values(tenant),
        ...insertChunked(db, users, teammates.map(({ role: _role, ...u }) => u)),
        ...insertChunked(db, memberships, [
          { tenantId: tenant.id, userId: user.id, role: 'owner', createdAt: now },
          ...teammates.map((t) => ({ tenantId: tenant.id, userId: t.id, role: t.role, createdAt: now })),
        ]),
        ...tenantRepos(db, tenant.id).installStatements(rows),
        db.insert(sessions).values(session),
      ]);
    },

    /**
     * A password change: the new hash, every session of the user ended (other browsers and devices
     * included) and one fresh session for the browser that made the change — one atomic batch.
     * `expectedHash` guards against a concurrent change: nothing happens if the hash moved meanwhile.
     */
    async changePassword(userId: string, expectedHash: string, passwordHash: string, session: StoredSession): Promise<boolean> {
      const results = await db.batch([
        db.update(users).set({ passwordHash }).where(and(eq(users.id, userId), eq(users.passwordHash, expectedHash))).returning({ id: users.id }),
        db.delete(sessions).where(and(eq(sessions.userId, userId), sql`exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.passwordHash} = ${passwordHash})`)),
        // Columns in the table's order: id, secret_hash, user_id, created_at, last_verified_at.
        db.insert(sessions).select(sql`
          select ${session.id}, ${session.secretHash}, ${session.userId}, ${session.createdAt}, ${session.lastVerifiedAt}
          where exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.passwordHash} = ${passwordHash})`),
      ]);
      return results[0].length === 1;
    },

    /**
     * Attempt counters in fixed windows, persisted in D1 (isolates share no memory). Counts this
     * attempt for every key in one atomic batch *before* the expensive work, so parallel requests
     * cannot all slip under the limit. Returns the seconds to wait when any key is over its limit.
     */
    async countAttempt(keys: { key: string; limit: number }[], windowMs: number, now: number): Promise<number> {
      if (keys.length === 0) return 0;
      const statements = keys.map(({ key }) =>
        db
          .insert(loginAttempts)
          .values({ key, windowStart: now, count: 1 })
          .onConflictDoUpdate({
            target: loginAttempts.key,
            set: {
              // A new window starts once the old one has passed.
              count: sql`case when ${loginAttempts.windowStart} + ${windowMs} <= ${now} then 1 else ${loginAttempts.count} + 1 end`,
              windowStart: sql`case when ${loginAttempts.windowStart} + ${windowMs} <= ${now} then ${now} else ${loginAttempts.windowStart} end`,
            },
          })
          .returning({ key: loginAttempts.key, windowStart: loginAttempts.windowStart, count: loginAttempts.count }),
      );
      const results = (await db.batch(statements as unknown as [Statement, ...Statement[]])) as { key: string; windowStart: number; count: number }[][];
      let wait = 0;
      for (const [row] of results) {
        const limit = keys.find((k) => k.key === row?.key)?.limit ?? Infinity;
        if (row && row.count > limit) wait = Math.max(wait, Math.ceil((row.windowStart + windowMs - now) / 1000));
      }
      return wait;
    },

    /** The token with its tenant, creator and the creator's current role, in one statement. */
    async findApiToken(id: string): Promise<ApiTokenGrant | null> {
      const row = await db
        .select({ token: apiTokens, tenant: tenants, creator: { id: users.id, email: users.email, name: users.name, locale: users.locale }, creatorRole: memberships.role })
        .from(apiTokens)
        .innerJoin(tenants, eq(tenants.id, apiTokens.tenantId))
        .innerJoin(users, eq(users.id, apiTokens.createdBy))
        .leftJoin(memberships, and(eq(memberships.tenantId, apiTokens.tenantId), eq(memberships.userId, apiTokens.createdBy)))
        .where(eq(apiTokens.id, id))
        .get();
      if (!row) return null;
      const { token } = row;
      return {
        id: token.id, name: token.name, role: token.role, secretHash: token.secretHash, expiresAt: token.expiresAt, revokedAt: token.revokedAt,
        tenant: tenantRecord(row.tenant), creator: row.creator, creatorRole: row.creatorRole ?? null,
      };
    },

    /**
     * Counts one request of a token in its fixed window and, at most once per `lastUsedIntervalMs`,
     * writes its "last used" time — one atomic batch. Returns the seconds to wait when over `limit`.
     */
    async useApiToken(id: string, now: number, limit: number, windowMs: number, lastUsedIntervalMs: number): Promise<number> {
      const key = `api-token:${id}`;
      const [counted] = await db.batch([
        db
          .insert(loginAttempts)
          .values({ key, windowStart: now, count: 1 })
          .onConflictDoUpdate({
            target: loginAttempts.key,
            set: {
              count: sql`case when ${loginAttempts.windowStart} + ${windowMs} <= ${now} then 1 else ${loginAttempts.count} + 1 end`,
              windowStart: sql`case when ${loginAttempts.windowStart} + ${windowMs} <= ${now} then ${now} else ${loginAttempts.windowStart} end`,
            },
          })
          .returning({ windowStart: loginAttempts.windowStart, count: loginAttempts.count }),
        db
          .update(apiTokens)
          .set({ lastUsedAt: now })
          .where(and(eq(apiTokens.id, id), sql`(${apiTokens.lastUsedAt} is null or ${apiTokens.lastUsedAt} <= ${now - lastUsedIntervalMs})`)),
      ]);
      const row = counted[0];
      return row && row.count > limit ? Math.max(1, Math.ceil((row.windowStart + windowMs - now) / 1000)) : 0;
    },

    /** Forgets an account's failed attempts after a successful login. */
    async clearAttempts(key: string): Promise<void> {
      await db.delete(loginAttempts).where(eq(loginAttempts.key, key));
    },

    /** Takes back one counted attempt (a successful login should not use up its address's budget). */
    async uncountAttempt(key: string): Promise<void> {
      await db.update(loginAttempts).set({ count: sql`max(${loginAttempts.count} - 1, 0)` }).where(eq(loginAttempts.key, key));
    },

    /** Hourly housekeeping: expired sessions and attempt counters whose window has passed. */
    async purgeExpired(now: number, attemptWindowMs: number): Promise<void> {
      await runAtomically(db, [
        db.delete(sessions).where(sql`${sessions.lastVerifiedAt} <= ${now - INACTIVITY_TIMEOUT_MS} or ${sessions.createdAt} <= ${now - ABSOLUTE_TIMEOUT_MS}`),
        db.delete(loginAttempts).where(sql`${loginAttempts.windowStart} <= ${now - attemptWindowMs}`),
      ]);
    },
  };
}

export type IdentityRepo = ReturnType<typeof identityRepo>;
