// The list of tenants, for the scheduler only: it decides whose night has ended. It reads no
// tenant-owned data; the per-tenant work goes through tenantRepos in the queue consumer.
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { tenants } from '../../db/schema';

export function tenantDirectory(db: Database) {
  return {
    async listForSchedule() {
      return db
        .select({ id: tenants.id, timezone: tenants.timezone, lastSnapshotDate: tenants.lastSnapshotDate, createdAt: tenants.createdAt })
        .from(tenants)
        .orderBy(asc(tenants.id))
        .all();
    },
    async exists(tenantId: string) {
      return (await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).get()) !== undefined;
    },
  };
}
