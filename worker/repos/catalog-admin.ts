/**
 * Catalog administration: opportunity types, sources, lost reasons and products, archived ones
 * included. Every change writes its audit entry in the same batch. Deleting is for values nothing
 * uses; a used value is archived instead (it stays on the records that carry it).
 */
import { and, asc, eq, isNull, ne, sql, type SQL } from 'drizzle-orm';
import type { SelectedFields } from 'drizzle-orm/sqlite-core';
import { lostReasons, opportunities, opportunityProducts, opportunityTypes, products, sources, tenants } from '../../db/schema';
import { newId } from '../services/ids';
import { auditRepo, type AuditEntityType } from './audit';
import { runAtomically, type Statement } from './batch';
import { isoInstant, type RepoScope } from './scope';

export const CATALOG_KINDS = ['opportunity-types', 'sources', 'lost-reasons', 'products'] as const;
export type CatalogKind = (typeof CATALOG_KINDS)[number];

const TABLES = { 'opportunity-types': opportunityTypes, sources, 'lost-reasons': lostReasons, products } as const;
export const CATALOG_ENTITY: Record<CatalogKind, AuditEntityType> = {
  'opportunity-types': 'opportunity_type',
  sources: 'source',
  'lost-reasons': 'lost_reason',
  products: 'product',
};

export interface CatalogEntryInput {
  name?: string;
  code?: string | null;
  unitPrice?: number;
  archived?: boolean;
}

export interface AdminCatalogEntry {
  id: string;
  name: string;
  position: number;
  archived: boolean;
  archivedAt: string | null;
  /** Products only. */
  code?: string | null;
  unitPrice?: number;
}

export type CatalogRefusal =
  | { kind: 'not_found' }
  | { kind: 'duplicate_name'; existingId: string }
  | { kind: 'in_use'; uses: number }
  | { kind: 'ids_mismatch' };

interface Actor {
  userId: string;
  now: number;
}

/** Rows a write statement changed, from D1's result metadata. */
const changes = (result: unknown) => (result as { meta?: { changes?: number } } | undefined)?.meta?.changes ?? 0;

type Row = { id: string; name: string; position: number; archivedAt: number | null; code?: string | null; unitPrice?: number };

export function catalogAdminRepo(scope: RepoScope) {
  const { db, tenantId } = scope;
  const audit = auditRepo(scope);

  const tableOf = (kind: CatalogKind) => TABLES[kind] as typeof sources;
  const columnsOf = (kind: CatalogKind): SelectedFields =>
    kind === 'products'
      ? { id: products.id, name: products.name, position: products.position, archivedAt: products.archivedAt, code: products.code, unitPrice: products.unitPrice }
      : { id: tableOf(kind).id, name: tableOf(kind).name, position: tableOf(kind).position, archivedAt: tableOf(kind).archivedAt };

  const present = (kind: CatalogKind, row: Row): AdminCatalogEntry => ({
    id: row.id,
    name: row.name,
    position: row.position,
    archived: row.archivedAt !== null,
    archivedAt: isoInstant(row.archivedAt),
    ...(kind === 'products' ? { code: row.code ?? null, unitPrice: row.unitPrice ?? 0 } : {}),
  });

  /** What the audit log keeps of an entry: the fields an admin edits. */
  const snapshot = (kind: CatalogKind, row: Row) => ({
    name: row.name,
    archived: row.archivedAt !== null,
    ...(kind === 'products' ? { code: row.code ?? null, unitPrice: row.unitPrice ?? 0 } : {}),
  });

  async function findOne(kind: CatalogKind, id: string): Promise<Row | null> {
    const table = tableOf(kind);
    const row = await db.select(columnsOf(kind)).from(table).where(and(eq(table.tenantId, tenantId), eq(table.id, id))).get();
    return (row as Row | undefined) ?? null;
  }

  /** An active entry of the kind with the same name (case-insensitive), other than `exceptId`. */
  const activeNamed = (kind: CatalogKind, name: string) => {
    const table = tableOf(kind);
    return and(eq(table.tenantId, tenantId), isNull(table.archivedAt), sql`lower(${table.name}) = lower(${name})`)!;
  };

  async function activeNamesake(kind: CatalogKind, name: string, exceptId?: string) {
    const table = tableOf(kind);
    const conditions: SQL[] = [activeNamed(kind, name)];
    if (exceptId) conditions.push(ne(table.id, exceptId));
    return (await db.select({ id: table.id }).from(table).where(and(...conditions)).get()) ?? null;
  }

  /** How many records use the entry: opportunities for types, sources, lost reasons; product lines for products. */
  async function uses(kind: CatalogKind, id: string): Promise<number> {
    const count = sql<number>`count(*)`;
    if (kind === 'products') {
      const row = await db.select({ count }).from(opportunityProducts).where(and(eq(opportunityProducts.tenantId, tenantId), eq(opportunityProducts.productId, id))).get();
      return row?.count ?? 0;
    }
    const column = kind === 'opportunity-types' ? opportunities.typeId : kind === 'sources' ? opportunities.sourceId : opportunities.lostReasonId;
    const row = await db.select({ count }).from(opportunities).where(and(eq(opportunities.tenantId, tenantId), eq(column, id))).get();
    return row?.count ?? 0;
  }

  return {
    async list(kind: CatalogKind): Promise<AdminCatalogEntry[]> {
      const table = tableOf(kind);
      const rows = await db.select(columnsOf(kind)).from(table).where(eq(table.tenantId, tenantId)).orderBy(asc(table.position), asc(table.id)).all();
      return (rows as Row[]).map((row) => present(kind, row));
    },

    async create(kind: CatalogKind, input: Required<Pick<CatalogEntryInput, 'name'>> & CatalogEntryInput, actor: Actor): Promise<AdminCatalogEntry | CatalogRefusal> {
      const namesake = await activeNamesake(kind, input.name);
      if (namesake) return { kind: 'duplicate_name', existingId: namesake.id };
      const table = tableOf(kind);
      const last = await db.select({ max: sql<number | null>`max(${table.position})` }).from(table).where(eq(table.tenantId, tenantId)).get();
      const row: Row = {
        id: newId(),
        name: input.name,
        position: (last?.max ?? -1) + 1,
        archivedAt: null,
        ...(kind === 'products' ? { code: input.code ?? null, unitPrice: input.unitPrice ?? 0 } : {}),
      };
      // Guarded: a namesake added by a concurrent request since the check above keeps this out,
      // and the audit row is written only if the entry was.
      const literal = (value: string | number | null, name: string) => sql`${value}`.as(name);
      const guard = and(eq(tenants.id, tenantId), sql`not exists (select 1 from ${table} where ${activeNamed(kind, row.name)})`);
      // insert … select needs every column, in the table's order.
      const insert =
        kind === 'products'
          ? db.insert(products).select(
              db
                .select({
                  id: literal(row.id, 'id'), tenantId: tenants.id, name: literal(row.name, 'name'), code: literal(row.code ?? null, 'code'),
                  unitPrice: literal(row.unitPrice ?? 0, 'unit_price'), position: literal(row.position, 'position'), archivedAt: literal(null, 'archived_at'),
                  createdAt: literal(actor.now, 'created_at'),
                })
                .from(tenants)
                .where(guard),
            )
          : db.insert(table).select(
              db
                .select({
                  id: literal(row.id, 'id'), tenantId: tenants.id, name: literal(row.name, 'name'), position: literal(row.position, 'position'),
                  archivedAt: literal(null, 'archived_at'), createdAt: literal(actor.now, 'created_at'),
                })
                .from(tenants)
                .where(guard),
            );
      const [inserted] = await db.batch([
        insert,
        audit.entryWhere(
          { actorUserId: actor.userId, action: 'create', entityType: CATALOG_ENTITY[kind], entityId: row.id, before: null, after: snapshot(kind, row), at: actor.now },
          sql`exists (select 1 from ${table} where ${table.tenantId} = ${tenantId} and ${table.id} = ${row.id})`,
        ),
      ]);
      if (changes(inserted) === 0) {
        const winner = await activeNamesake(kind, input.name);
        return { kind: 'duplicate_name', existingId: winner?.id ?? '' };
      }
      return present(kind, row);
    },

    /** Rename / edit / archive / unarchive. The audit action is archive or unarchive when that is all that changed. */
    async update(kind: CatalogKind, id: string, input: CatalogEntryInput, actor: Actor): Promise<AdminCatalogEntry | CatalogRefusal> {
      const current = await findOne(kind, id);
      if (!current) return { kind: 'not_found' };
      const next: Row = {
        ...current,
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(kind === 'products' && input.code !== undefined ? { code: input.code } : {}),
        ...(kind === 'products' && input.unitPrice !== undefined ? { unitPrice: input.unitPrice } : {}),
        ...(input.archived !== undefined ? { archivedAt: input.archived ? (current.archivedAt ?? actor.now) : null } : {}),
      };
      // An entry coming back (or renamed while active) must not duplicate an active name.
      if (next.archivedAt === null && (next.name.toLowerCase() !== current.name.toLowerCase() || current.archivedAt !== null)) {
        const namesake = await activeNamesake(kind, next.name, id);
        if (namesake) return { kind: 'duplicate_name', existingId: namesake.id };
      }
      const before = snapshot(kind, current);
      const after = snapshot(kind, next);
      const changed = (Object.keys(after) as (keyof typeof after)[]).filter((key) => before[key] !== after[key]);
      if (changed.length === 0) return present(kind, current);
      // The changed fields, plus the name so the log says which entry it was.
      const pick = (source: Record<string, unknown>) => ({ name: source.name, ...Object.fromEntries(changed.map((key) => [key, source[key]])) });
      const action = changed.length === 1 && changed[0] === 'archived' ? (after.archived ? 'archive' : 'unarchive') : 'update';
      const table = tableOf(kind);
      const set = { name: next.name, archivedAt: next.archivedAt, ...(kind === 'products' ? { code: next.code ?? null, unitPrice: next.unitPrice ?? 0 } : {}) };
      await runAtomically(db, [
        db.update(table).set(set).where(and(eq(table.tenantId, tenantId), eq(table.id, id))),
        audit.entry({ actorUserId: actor.userId, action, entityType: CATALOG_ENTITY[kind], entityId: id, before: pick(before), after: pick(after), at: actor.now }),
      ]);
      return present(kind, next);
    },

    /** Deletes an entry nothing uses; the delete itself re-checks, so a use added meanwhile keeps it. */
    async remove(kind: CatalogKind, id: string, actor: Actor): Promise<{ deleted: true } | CatalogRefusal> {
      const current = await findOne(kind, id);
      if (!current) return { kind: 'not_found' };
      const count = await uses(kind, id);
      if (count > 0) return { kind: 'in_use', uses: count };
      const table = tableOf(kind);
      const unused =
        kind === 'products'
          ? sql`not exists (select 1 from ${opportunityProducts} where ${opportunityProducts.tenantId} = ${tenantId} and ${opportunityProducts.productId} = ${id})`
          : sql`not exists (select 1 from ${opportunities} where ${opportunities.tenantId} = ${tenantId} and ${
              kind === 'opportunity-types' ? opportunities.typeId : kind === 'sources' ? opportunities.sourceId : opportunities.lostReasonId
            } = ${id})`;
      const [deleted] = await db.batch([
        db.delete(table).where(and(eq(table.tenantId, tenantId), eq(table.id, id), unused)),
        audit.entryWhere(
          { actorUserId: actor.userId, action: 'delete', entityType: CATALOG_ENTITY[kind], entityId: id, before: snapshot(kind, current), after: null, at: actor.now },
          sql`not exists (select 1 from ${table} where ${table.tenantId} = ${tenantId} and ${table.id} = ${id})`,
        ),
      ]);
      // A use added by a concurrent request since the check above kept the entry.
      if (changes(deleted) === 0) return (await findOne(kind, id)) ? { kind: 'in_use', uses: Math.max(1, await uses(kind, id)) } : { kind: 'not_found' };
      return { deleted: true };
    },

    /** Rewrites positions 0..n-1 in the given order; `ids` must be exactly the kind's entries. */
    async reorder(kind: CatalogKind, ids: string[], actor: Actor): Promise<AdminCatalogEntry[] | CatalogRefusal> {
      const table = tableOf(kind);
      const rows = (await db.select(columnsOf(kind)).from(table).where(eq(table.tenantId, tenantId)).orderBy(asc(table.position), asc(table.id)).all()) as Row[];
      const known = new Set(rows.map((r) => r.id));
      if (ids.length !== rows.length || new Set(ids).size !== ids.length || ids.some((id) => !known.has(id))) return { kind: 'ids_mismatch' };
      const byId = new Map(rows.map((r) => [r.id, r]));
      // One set-based statement (one bound JSON array), however long the catalog: D1 allows
      // 1,000 statements per batch, and a statement per moved entry would outgrow it.
      const order = JSON.stringify(ids);
      const changed = ids.some((id, position) => byId.get(id)!.position !== position);
      const statements: Statement[] = changed
        ? [
            db
              .update(table)
              .set({ position: sql`(select cast(o.key as integer) from json_each(${order}) o where o.value = ${table.id})` })
              .where(and(eq(table.tenantId, tenantId), sql`${table.id} in (select o.value from json_each(${order}) o)`)),
          ]
        : [];
      const reordered = ids.map((id, position) => ({ ...byId.get(id)!, position }));
      if (statements.length > 0) {
        statements.push(
          audit.entry({
            actorUserId: actor.userId, action: 'reorder', entityType: CATALOG_ENTITY[kind], entityId: null,
            before: rows.map((r) => r.name), after: reordered.map((r) => r.name), at: actor.now,
          }),
        );
        await runAtomically(db, statements);
      }
      return reordered.map((row) => present(kind, row));
    },
  };
}
