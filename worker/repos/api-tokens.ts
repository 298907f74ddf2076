/**
 * API tokens of one tenant: create (the row and its audit entry in one batch), list (never a
 * secret or its hash) and revoke. Checking a token on a request is the identity repo's job
 * (findApiToken, useApiToken): a bearer request has no tenant scope yet when it is checked.
 */
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { apiTokens, users, type ApiTokenRole } from '../../db/schema';
import { auditRepo } from './audit';
import { runAtomically } from './batch';
import { isoInstant, type RepoScope } from './scope';

export interface ApiTokenRecord {
  id: string;
  name: string;
  role: ApiTokenRole;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdBy: { id: string; name: string | null };
}

export function apiTokenRepo(scope: RepoScope) {
  const { db, tenantId } = scope;
  const audit = auditRepo(scope);
  const active = (id: string) => and(eq(apiTokens.tenantId, tenantId), eq(apiTokens.id, id), isNull(apiTokens.revokedAt));

  return {
    /** Tokens not revoked, newest first (expired ones included: the list says so). */
    async list(): Promise<ApiTokenRecord[]> {
      const rows = await db
        .select({
          id: apiTokens.id, name: apiTokens.name, role: apiTokens.role, createdAt: apiTokens.createdAt, expiresAt: apiTokens.expiresAt,
          lastUsedAt: apiTokens.lastUsedAt, createdById: apiTokens.createdBy, createdByName: users.name,
        })
        .from(apiTokens)
        .leftJoin(users, eq(users.id, apiTokens.createdBy))
        .where(and(eq(apiTokens.tenantId, tenantId), isNull(apiTokens.revokedAt)))
        .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
        .all();
      return rows.map((row) => ({
        id: row.id, name: row.name, role: row.role, createdAt: isoInstant(row.createdAt), expiresAt: isoInstant(row.expiresAt),
        lastUsedAt: isoInstant(row.lastUsedAt), createdBy: { id: row.createdById, name: row.createdByName },
      }));
    },

    async create(input: { id: string; secretHash: string; name: string; role: ApiTokenRole; expiresAt: number | null }, actor: { userId: string; now: number }) {
      const { now, userId } = actor;
      await runAtomically(db, [
        db.insert(apiTokens).values({
          id: input.id, tenantId, name: input.name, role: input.role, secretHash: input.secretHash, createdBy: userId, createdAt: now, expiresAt: input.expiresAt,
        }),
        audit.entry({
          actorUserId: userId, action: 'create', entityType: 'api_token', entityId: input.id, at: now,
          after: { name: input.name, role: input.role, expiresAt: isoInstant(input.expiresAt) },
        }),
      ]);
      return { id: input.id, name: input.name, role: input.role, createdAt: isoInstant(now), expiresAt: isoInstant(input.expiresAt) };
    },

    /** Revokes a token of this tenant; false when there is no such (unrevoked) token. */
    async revoke(id: string, actor: { userId: string; now: number }): Promise<boolean> {
      const token = await db.select({ name: apiTokens.name, role: apiTokens.role }).from(apiTokens).where(active(id)).get();
      if (!token) return false;
      const [revoked] = await db.batch([
        db.update(apiTokens).set({ revokedAt: actor.now }).where(active(id)).returning({ id: apiTokens.id }),
        // Written only when this batch's update revoked it (not a concurrent revoke).
        audit.entryWhere(
          { actorUserId: actor.userId, action: 'revoke', entityType: 'api_token', entityId: id, at: actor.now, before: { name: token.name, role: token.role } },
          revokedAt(id, actor.now),
        ),
      ]);
      return revoked.length > 0;
    },
  };

  function revokedAt(id: string, now: number) {
    return sql`exists (select 1 from ${apiTokens} where ${apiTokens.tenantId} = ${tenantId} and ${apiTokens.id} = ${id} and ${apiTokens.revokedAt} = ${now})`;
  }
}
