// The scheduler's view across tenants: whose night has ended, which dates were already sent or
// finished. It reads no tenant-owned business data; the per-tenant work goes through
// tenantRepos in the queue consumer.
import { asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { nightlyRuns, tenants } from '../../db/schema';
import { D1_MAX_STATEMENTS, insertChunked, runAtomically, type Statement } from './batch';

export function tenantDirectory(db: Database) {
  return {
    async listForSchedule() {
      const [tenantRows, runRows] = await db.batch([
        db
          .select({ id: tenants.id, timezone: tenants.timezone, lastSnapshotDate: tenants.lastSnapshotDate, createdAt: tenants.createdAt })
          .from(tenants)
          .orderBy(asc(tenants.id)),
        db
          .select({ tenantId: nightlyRuns.tenantId, asOfDate: nightlyRuns.asOfDate, status: nightlyRuns.status, updatedAt: nightlyRuns.updatedAt })
          .from(nightlyRuns)
          .innerJoin(tenants, eq(tenants.id, nightlyRuns.tenantId))
          .where(sql`${nightlyRuns.asOfDate} > coalesce(${tenants.lastSnapshotDate}, '')`),
      ]);
      const runsByTenant = Map.groupBy(runRows, (r) => r.tenantId);
      return tenantRows.map((t) => ({ ...t, runs: runsByTenant.get(t.id) ?? [] }));
    },

    /** Records sent dates as queued and moves tenants' last snapshot dates forward. */
    async recordSchedule(queued: { tenantId: string; asOfDate: string }[], advances: { tenantId: string; date: string }[], now: number) {
      const statements: Statement[] = [
        ...insertChunked(
          db,
          nightlyRuns,
          queued.map((q) => ({ ...q, status: 'queued' as const, updatedAt: now })),
        ).map((insert) =>
          (insert as unknown as { onConflictDoUpdate: (c: object) => Statement }).onConflictDoUpdate({
            target: [nightlyRuns.tenantId, nightlyRuns.asOfDate],
            set: { status: sql`excluded.status`, updatedAt: sql`excluded.updated_at` },
          }),
        ),
        ...advances.map((a) =>
          db
            .update(tenants)
            .set({ lastSnapshotDate: a.date })
            .where(sql`${tenants.id} = ${a.tenantId} and coalesce(${tenants.lastSnapshotDate}, '') < ${a.date}`),
        ),
      ];
      for (let i = 0; i < statements.length; i += D1_MAX_STATEMENTS / 2) {
        await runAtomically(db, statements.slice(i, i + D1_MAX_STATEMENTS / 2));
      }
    },
  };
}
