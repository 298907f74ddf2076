// The pickers' contents for one tenant: members, opportunity types, sources, lost reasons, products.
import { and, asc, eq, isNull } from 'drizzle-orm';
import { lostReasons, memberships, opportunityTypes, products, sources, users } from '../../db/schema';
import type { RepoScope } from './scope';

export function catalogRepo(scope: RepoScope) {
  const { db, tenantId } = scope;
  // The three simple catalogs share one shape; archived values stay on old records only.
  const activeEntries = (table: typeof opportunityTypes | typeof sources | typeof lostReasons) =>
    db
      .select({ id: table.id, name: table.name, position: table.position })
      .from(table)
      .where(and(eq(table.tenantId, tenantId), isNull(table.archivedAt)))
      .orderBy(asc(table.position), asc(table.id));

  return {
    /** Everything an opportunity form picks from, read in one batched round trip. */
    async forPickers() {
      const [members, types, sourceRows, lostReasonRows, productRows] = await db.batch([
        db
          .select({ id: users.id, name: users.name, email: users.email, role: memberships.role })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .where(eq(memberships.tenantId, tenantId))
          .orderBy(asc(users.name), asc(users.id)),
        activeEntries(opportunityTypes),
        activeEntries(sources),
        activeEntries(lostReasons),
        db
          .select({ id: products.id, name: products.name, code: products.code, unitPrice: products.unitPrice, position: products.position })
          .from(products)
          .where(and(eq(products.tenantId, tenantId), isNull(products.archivedAt)))
          .orderBy(asc(products.position), asc(products.id)),
      ]);
      return { members, opportunityTypes: types, sources: sourceRows, lostReasons: lostReasonRows, products: productRows };
    },
  };
}
