/**
 * Follow-ups (跟进) of one tenant's opportunities: plans (due time, expected result) and records
 * (done time, outcome, customer feedback). Every write also refreshes the opportunity's last
 * activity and next planned follow-up in the same atomic batch.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { ACTIVITY_KINDS, activities, opportunities, users, type ActivityKind } from '../../db/schema';
import { newId } from '../services/ids';
import { isoInstant as iso, type RepoScope } from './scope';

export { ACTIVITY_KINDS };

export interface ActivityFields {
  kind?: ActivityKind;
  subject?: string;
  dueAt?: number | null;
  expectedResult?: string | null;
  doneAt?: number | null;
  outcome?: string | null;
  feedback?: string | null;
  ownerId?: string;
}


type ActivityRow = typeof activities.$inferSelect & { ownerName: string | null };

export function toActivity(row: ActivityRow) {
  return {
    id: row.id,
    opportunityId: row.opportunityId,
    kind: row.kind,
    subject: row.subject,
    /** A plan until it is done; then a record. */
    state: row.doneAt === null ? ('planned' as const) : ('done' as const),
    dueAt: iso(row.dueAt),
    expectedResult: row.expectedResult,
    doneAt: iso(row.doneAt),
    outcome: row.outcome,
    feedback: row.feedback,
    ownerId: row.ownerId,
    ownerName: row.ownerName,
    version: row.version,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

export type ActivityRecord = ReturnType<typeof toActivity>;

export function activityRepo(scope: RepoScope) {
  const { db, tenantId, restrictToOwner } = scope;

  // The opportunity's summary columns, recomputed from its follow-ups (not its version: a
  // follow-up never conflicts with someone moving the card).
  const refreshOpportunity = (opportunityId: string) =>
    db
      .update(opportunities)
      .set({
        lastActivityAt: sql`(select max(${activities.doneAt}) from ${activities} where ${activities.tenantId} = ${tenantId} and ${activities.opportunityId} = ${opportunityId})`,
        nextActivityAt: sql`(select min(${activities.dueAt}) from ${activities} where ${activities.tenantId} = ${tenantId} and ${activities.opportunityId} = ${opportunityId} and ${activities.doneAt} is null and ${activities.dueAt} is not null)`,
      })
      .where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.id, opportunityId)));

  const select = () =>
    db
      .select({ activity: activities, ownerName: users.name })
      .from(activities)
      .leftJoin(users, eq(users.id, activities.ownerId));

  async function load(opportunityId: string, id: string) {
    const row = await select()
      .where(and(eq(activities.tenantId, tenantId), eq(activities.opportunityId, opportunityId), eq(activities.id, id)))
      .get();
    return row ? toActivity({ ...row.activity, ownerName: row.ownerName }) : null;
  }

  return {
    /** Plans first by due time, then records newest first — the timeline the UI shows. */
    async list(opportunityId: string) {
      const rows = await select()
        .where(and(eq(activities.tenantId, tenantId), eq(activities.opportunityId, opportunityId)))
        .orderBy(sql`${activities.doneAt} is not null`, asc(activities.dueAt), sql`${activities.doneAt} desc`, asc(activities.id))
        .all();
      return rows.map((r) => toActivity({ ...r.activity, ownerName: r.ownerName }));
    },

    get: load,

    /**
     * Records a follow-up; null when the opportunity is not there. The row is inserted from the
     * opportunity row itself, so a delete racing this request leaves no orphan follow-up.
     */
    async create(opportunityId: string, fields: ActivityFields & { kind: ActivityKind; subject: string }, actor: { userId: string; now: number }) {
      const id = newId();
      const value = (v: string | number | null, name: string) => sql`${v}`.as(name);
      const [inserted] = await db.batch([
        db.insert(activities).select(
          db
            .select({
              id: value(id, 'id'), tenantId: opportunities.tenantId, opportunityId: opportunities.id, ownerId: value(fields.ownerId ?? actor.userId, 'owner_id'),
              kind: value(fields.kind, 'kind'), subject: value(fields.subject, 'subject'), dueAt: value(fields.dueAt ?? null, 'due_at'),
              expectedResult: value(fields.expectedResult ?? null, 'expected_result'), doneAt: value(fields.doneAt ?? null, 'done_at'),
              outcome: value(fields.outcome ?? null, 'outcome'), feedback: value(fields.feedback ?? null, 'feedback'), version: value(1, 'version'),
              createdBy: value(actor.userId, 'created_by'), createdAt: value(actor.now, 'created_at'), updatedAt: value(actor.now, 'updated_at'), importId: value(null, 'import_id'),
            })
            .from(opportunities)
            // Only onto an opportunity this viewer may see (own-only workspaces).
            .where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.id, opportunityId), restrictToOwner ? eq(opportunities.ownerId, restrictToOwner) : undefined)),
        ),
        refreshOpportunity(opportunityId),
      ]);
      if (((inserted as { meta?: { changes?: number } } | undefined)?.meta?.changes ?? 0) === 0) return null;
      return load(opportunityId, id);
    },

    /** Partial update with optimistic version; completing a plan is setting doneAt (+ outcome). */
    async update(opportunityId: string, id: string, version: number, fields: ActivityFields, now: number) {
      const current = await load(opportunityId, id);
      if (!current) return { ok: false as const, kind: 'not_found' as const };
      if (current.version !== version) return { ok: false as const, kind: 'stale_version' as const, current };
      // A follow-up stays either planned or done: it cannot lose both times.
      const dueAt = fields.dueAt !== undefined ? fields.dueAt : current.dueAt;
      const doneAt = fields.doneAt !== undefined ? fields.doneAt : current.doneAt;
      if (dueAt === null && doneAt === null) return { ok: false as const, kind: 'neither_planned_nor_done' as const };
      const set = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      const [result] = await db.batch([
        db
          .update(activities)
          .set({ ...set, version: version + 1, updatedAt: now })
          .where(and(eq(activities.tenantId, tenantId), eq(activities.opportunityId, opportunityId), eq(activities.id, id), eq(activities.version, version))),
        refreshOpportunity(opportunityId),
      ]);
      if (((result as { meta?: { changes?: number } }).meta?.changes ?? 0) === 0) {
        const latest = await load(opportunityId, id);
        return latest ? { ok: false as const, kind: 'stale_version' as const, current: latest } : { ok: false as const, kind: 'not_found' as const };
      }
      return { ok: true as const, value: (await load(opportunityId, id))! };
    },

    async remove(opportunityId: string, id: string): Promise<boolean> {
      const [result] = await db.batch([
        db.delete(activities).where(and(eq(activities.tenantId, tenantId), eq(activities.opportunityId, opportunityId), eq(activities.id, id))),
        refreshOpportunity(opportunityId),
      ]);
      return ((result as { meta?: { changes?: number } }).meta?.changes ?? 0) > 0;
    },
  };
}
