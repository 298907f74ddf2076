/**
 * The audit log of one tenant: who changed what, when, from what to what. Writers get the row as
 * a statement to put in the same atomic batch as the change itself, so a change is never without
 * its entry (and an entry never without its change).
 */
import { and, desc, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import { apiTokens, auditLog, tenants, users } from '../../db/schema';
import { newId } from '../services/ids';
import { decodeCursor, encodeCursor, isoInstant, type RepoScope } from './scope';

/** What the log knows how to say. Entity types: settings, pipeline, stage, catalog entries, member, invitation, ownership. */
export type AuditEntityType =
  | 'settings'
  | 'pipeline'
  | 'stage'
  | 'opportunity_type'
  | 'source'
  | 'lost_reason'
  | 'product'
  | 'member'
  | 'invitation'
  | 'ownership'
  | 'opportunity'
  | 'statistics'
  | 'api_token'
  | 'import';

export interface AuditEntry {
  actorUserId: string | null;
  /** A verb in snake case: create, update, archive, unarchive, reorder, delete, invite, accept, revoke, role_change, remove, transfer, recompute. */
  action: string;
  entityType: AuditEntityType;
  entityId: string | null;
  before?: unknown;
  after?: unknown;
  at: number;
}

export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  action?: string;
  actorUserId?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  cursor?: string;
  limit: number;
}

export function auditRepo(scope: RepoScope) {
  const { db, tenantId } = scope;
  // Changes made through an API token name it; the actor is then the token's creator.
  const actorTokenId = scope.viewer?.apiTokenId ?? null;
  return {
    /** The audit row for a change, as a statement for the change's own batch. */
    entry(entry: AuditEntry) {
      return db.insert(auditLog).values({
        id: newId(), tenantId, actorUserId: entry.actorUserId, actorTokenId, action: entry.action, entityType: entry.entityType, entityId: entry.entityId,
        before: entry.before ?? null, after: entry.after ?? null, at: entry.at,
      });
    },

    /**
     * The audit row as a statement that writes only when `condition` holds when it runs — e.g.
     * "the row is gone" after a guarded delete in the same batch — so the log never records a
     * change that a concurrent request prevented.
     */
    entryWhere(entry: AuditEntry, condition: SQL) {
      const literal = (value: string | number | null, name: string) => sql`${value}`.as(name);
      const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
      return db.insert(auditLog).select(
        db
          .select({
            id: literal(newId(), 'id'), tenantId: tenants.id, actorUserId: literal(entry.actorUserId, 'actor_user_id'), actorTokenId: literal(actorTokenId, 'actor_token_id'), action: literal(entry.action, 'action'),
            entityType: literal(entry.entityType, 'entity_type'), entityId: literal(entry.entityId, 'entity_id'), before: literal(json(entry.before), 'before'),
            after: literal(json(entry.after), 'after'), at: literal(entry.at, 'at'),
          })
          .from(tenants)
          .where(and(eq(tenants.id, tenantId), condition)),
      );
    },

    /** Newest first, keyset-paginated; null when the cursor is not one this list handed out. */
    async list(filter: AuditFilter) {
      const conditions: (SQL | undefined)[] = [eq(auditLog.tenantId, tenantId)];
      if (filter.entityType) conditions.push(eq(auditLog.entityType, filter.entityType));
      if (filter.entityId) conditions.push(eq(auditLog.entityId, filter.entityId));
      if (filter.action) conditions.push(eq(auditLog.action, filter.action));
      if (filter.actorUserId) conditions.push(eq(auditLog.actorUserId, filter.actorUserId));
      if (filter.from !== undefined) conditions.push(gte(auditLog.at, filter.from));
      if (filter.to !== undefined) conditions.push(lt(auditLog.at, filter.to));
      if (filter.cursor) {
        const decoded = decodeCursor(filter.cursor);
        if (!decoded || decoded.length !== 2 || typeof decoded[0] !== 'number' || !Number.isFinite(decoded[0]) || typeof decoded[1] !== 'string') return null;
        const [at, id] = decoded as [number, string];
        conditions.push(or(lt(auditLog.at, at), and(eq(auditLog.at, at), lt(auditLog.id, id))));
      }
      const rows = await db
        .select({ entry: auditLog, actorName: users.name, actorTokenName: apiTokens.name })
        .from(auditLog)
        .leftJoin(users, eq(users.id, auditLog.actorUserId))
        .leftJoin(apiTokens, and(eq(apiTokens.id, auditLog.actorTokenId), eq(apiTokens.tenantId, tenantId)))
        .where(and(...conditions))
        .orderBy(desc(auditLog.at), desc(auditLog.id))
        .limit(filter.limit + 1)
        .all();
      const page = rows.slice(0, filter.limit);
      const last = page.at(-1);
      return {
        entries: page.map(({ entry, actorName, actorTokenName }) => ({
          id: entry.id, actorUserId: entry.actorUserId, actorName, actorTokenId: entry.actorTokenId, actorTokenName, action: entry.action, entityType: entry.entityType, entityId: entry.entityId,
          before: entry.before ?? null, after: entry.after ?? null, at: isoInstant(entry.at),
        })),
        nextCursor: rows.length > filter.limit && last ? encodeCursor([last.entry.at, last.entry.id]) : null,
      };
    },
  };
}

