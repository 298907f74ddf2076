/**
 * What the exports read, page by page. Each reader is an async generator of pages (rows of cells
 * in the order of EXPORT_COLUMNS), walking a keyset so a 100,000-row export holds one page in
 * memory at a time and every page is one index range scan, however deep:
 * opportunities by (created_at, id), accounts and contacts by (name, id), follow-ups by
 * (opportunity_id, id). "Own only" applies as in the lists: opportunities and their follow-ups
 * through opportunityFilterConditions; accounts and contacts are shared by the whole workspace.
 *
 * Columns are the import's target field names (worker/services/import), so an export imports
 * back as it is: externalId is our id, references are by name, instants ISO 8601 (UTC), calendar
 * dates YYYY-MM-DD, amounts in major units of the workspace currency with a currency column.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import {
  accounts, activities, contacts, lostReasons, memberships, opportunities, opportunityProducts, opportunityTypes, pipelines, products, sources, stages, tenants, users,
} from '../../db/schema';
import type { CsvCell } from '../services/export-files';
import { opportunityFilterConditions, type OpportunityFilter } from './opportunities';
import { isoInstant, type RepoScope } from './scope';

export const EXPORT_COLUMNS = {
  opportunities: [
    'externalId', 'title', 'pipeline', 'stage', 'status', 'account', 'contact', 'owner', 'ownerEmail', 'type', 'source', 'product', 'amount', 'currency',
    'expectedCloseDate', 'probability', 'createdAt', 'stageEnteredAt', 'closedAt', 'lostReason', 'needs', 'notes',
  ],
  accounts: ['externalId', 'name', 'industry', 'city', 'phone', 'website', 'owner', 'ownerEmail', 'notes', 'createdAt'],
  contacts: ['externalId', 'name', 'account', 'accountExternalId', 'jobTitle', 'phone', 'email', 'wechat', 'isKey', 'createdAt'],
  activities: [
    'externalId', 'opportunityExternalId', 'opportunity', 'kind', 'subject', 'state', 'dueAt', 'expectedResult', 'doneAt', 'outcome', 'feedback', 'owner', 'ownerEmail', 'createdAt',
  ],
} as const;

export type ExportEntity = keyof typeof EXPORT_COLUMNS;
export type ExportCell = CsvCell;
export type ExportPage = ExportCell[][];

/** Rows per page: small enough for memory and D1's response size, large enough to be few round trips. */
export const EXPORT_PAGE_SIZE = 500;

/** Minor units → a decimal string in major units ("1234.50"), exact for every integer amount. */
export function majorUnits(amount: number | null, digits: number): string | null {
  if (amount === null) return null;
  if (digits === 0) return String(amount);
  const sign = amount < 0 ? '-' : '';
  const text = String(Math.abs(amount)).padStart(digits + 1, '0');
  return `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

export function exportRepo(scope: RepoScope) {
  const { db, tenantId } = scope;
  const contactOf = alias(contacts, 'primary_contact');
  const owner = alias(users, 'owner');

  /** Reads page after page (each from the last row of the one before) until a short page. */
  async function* pages<Row>(page: (after: Row | null) => Promise<Row[]>, toCells: (row: Row) => ExportCell[]): AsyncGenerator<ExportPage> {
    let after: Row | null = null;
    for (;;) {
      const rows: Row[] = await page(after);
      if (rows.length > 0) yield rows.map(toCells);
      if (rows.length < EXPORT_PAGE_SIZE) return;
      after = rows.at(-1)!;
    }
  }

  return {
    /** The filtered opportunities (the list's filters and "own only"), oldest first. */
    opportunities(filter: OpportunityFilter, currency: { code: string; digits: number }): AsyncGenerator<ExportPage> {
      const conditions = opportunityFilterConditions(scope, filter);
      const productNames = sql<string | null>`(select group_concat(${products.name}, '; ') from ${opportunityProducts} inner join ${products} on ${products.id} = ${opportunityProducts.productId} and ${products.tenantId} = ${tenantId} where ${opportunityProducts.tenantId} = ${tenantId} and ${opportunityProducts.opportunityId} = ${opportunities.id})`;
      type Row = Awaited<ReturnType<typeof read>>[number];
      const read = (after: { createdAt: number; id: string } | null) =>
        db
          .select({
            id: opportunities.id, title: opportunities.title, pipeline: sql<string | null>`${pipelines.name}`.as('pipeline_name'), stage: sql<string | null>`${stages.name}`.as('stage_name'),
            status: opportunities.status, account: sql<string | null>`${accounts.name}`.as('account_name'), contact: sql<string | null>`${contactOf.name}`.as('contact_name'),
            owner: sql<string | null>`${owner.name}`.as('owner_name'), ownerEmail: sql<string | null>`${owner.email}`.as('owner_email'),
            type: sql<string | null>`${opportunityTypes.name}`.as('type_name'), source: sql<string | null>`${sources.name}`.as('source_name'), product: productNames.as('product_names'),
            amount: opportunities.amount, expectedCloseDate: opportunities.expectedCloseDate, probability: opportunities.probabilityOverride,
            createdAt: opportunities.createdAt, stageEnteredAt: opportunities.stageEnteredAt, closedAt: opportunities.closedAt,
            lostReason: sql<string | null>`${lostReasons.name}`.as('lost_reason_name'), needs: opportunities.needs, notes: opportunities.notes,
          })
          .from(opportunities)
          .leftJoin(pipelines, and(eq(pipelines.id, opportunities.pipelineId), eq(pipelines.tenantId, tenantId)))
          .leftJoin(stages, and(eq(stages.id, opportunities.stageId), eq(stages.tenantId, tenantId)))
          .leftJoin(accounts, and(eq(accounts.id, opportunities.accountId), eq(accounts.tenantId, tenantId)))
          .leftJoin(contactOf, and(eq(contactOf.id, opportunities.primaryContactId), eq(contactOf.tenantId, tenantId)))
          .leftJoin(owner, eq(owner.id, opportunities.ownerId))
          .leftJoin(opportunityTypes, and(eq(opportunityTypes.id, opportunities.typeId), eq(opportunityTypes.tenantId, tenantId)))
          .leftJoin(sources, and(eq(sources.id, opportunities.sourceId), eq(sources.tenantId, tenantId)))
          .leftJoin(lostReasons, and(eq(lostReasons.id, opportunities.lostReasonId), eq(lostReasons.tenantId, tenantId)))
          .where(and(...conditions, after ? sql`(${opportunities.createdAt}, ${opportunities.id}) > (${after.createdAt}, ${after.id})` : undefined))
          .orderBy(asc(opportunities.createdAt), asc(opportunities.id))
          .limit(EXPORT_PAGE_SIZE)
          .all();
      return pages<Row>(read, (r) => [
        r.id, r.title, r.pipeline, r.stage, r.status, r.account, r.contact, r.owner, r.ownerEmail, r.type, r.source, r.product,
        majorUnits(r.amount, currency.digits), r.amount === null ? null : currency.code, r.expectedCloseDate, r.probability,
        isoInstant(r.createdAt), isoInstant(r.stageEnteredAt), isoInstant(r.closedAt), r.lostReason, r.needs, r.notes,
      ]);
    },

    /** Every account of the workspace, by name. */
    accounts(): AsyncGenerator<ExportPage> {
      type Row = Awaited<ReturnType<typeof read>>[number];
      const read = (after: { name: string; id: string } | null) =>
        db
          .select({
            id: accounts.id, name: accounts.name, industry: accounts.industry, city: accounts.city, phone: accounts.phone, website: accounts.website,
            owner: sql<string | null>`${users.name}`.as('owner_name'), ownerEmail: sql<string | null>`${users.email}`.as('owner_email'), notes: accounts.notes, createdAt: accounts.createdAt,
          })
          .from(accounts)
          .leftJoin(users, eq(users.id, accounts.ownerId))
          .where(and(eq(accounts.tenantId, tenantId), after ? sql`(${accounts.name}, ${accounts.id}) > (${after.name}, ${after.id})` : undefined))
          .orderBy(asc(accounts.name), asc(accounts.id))
          .limit(EXPORT_PAGE_SIZE)
          .all();
      return pages<Row>(read, (r) => [r.id, r.name, r.industry, r.city, r.phone, r.website, r.owner, r.ownerEmail, r.notes, isoInstant(r.createdAt)]);
    },

    /** Every contact of the workspace, by name, with its account's name and id. */
    contacts(): AsyncGenerator<ExportPage> {
      type Row = Awaited<ReturnType<typeof read>>[number];
      const read = (after: { name: string; id: string } | null) =>
        db
          .select({
            id: contacts.id, name: contacts.name, account: sql<string | null>`${accounts.name}`.as('account_name'), accountId: contacts.accountId, title: contacts.title,
            phone: contacts.phone, email: contacts.email, wechat: contacts.wechat, isKey: contacts.isKey, createdAt: contacts.createdAt,
          })
          .from(contacts)
          .leftJoin(accounts, and(eq(accounts.id, contacts.accountId), eq(accounts.tenantId, tenantId)))
          .where(and(eq(contacts.tenantId, tenantId), after ? sql`(${contacts.name}, ${contacts.id}) > (${after.name}, ${after.id})` : undefined))
          .orderBy(asc(contacts.name), asc(contacts.id))
          .limit(EXPORT_PAGE_SIZE)
          .all();
      return pages<Row>(read, (r) => [r.id, r.name, r.account, r.account === null ? null : r.accountId, r.title, r.phone, r.email, r.wechat, r.isKey, isoInstant(r.createdAt)]);
    },

    /** Follow-ups of the opportunities the viewer may see, grouped by opportunity. */
    activities(): AsyncGenerator<ExportPage> {
      const visible = opportunityFilterConditions(scope, {});
      type Row = Awaited<ReturnType<typeof read>>[number];
      const read = (after: { opportunityId: string; id: string } | null) =>
        db
          .select({
            id: activities.id, opportunityId: activities.opportunityId, opportunity: sql<string>`${opportunities.title}`.as('opportunity_title'), kind: activities.kind,
            subject: activities.subject, dueAt: activities.dueAt, expectedResult: activities.expectedResult, doneAt: activities.doneAt, outcome: activities.outcome,
            feedback: activities.feedback, owner: sql<string | null>`${users.name}`.as('owner_name'), ownerEmail: sql<string | null>`${users.email}`.as('owner_email'),
            createdAt: activities.createdAt,
          })
          .from(activities)
          .innerJoin(opportunities, and(eq(opportunities.id, activities.opportunityId), ...visible))
          .leftJoin(users, eq(users.id, activities.ownerId))
          .where(and(eq(activities.tenantId, tenantId), after ? sql`(${activities.opportunityId}, ${activities.id}) > (${after.opportunityId}, ${after.id})` : undefined))
          .orderBy(asc(activities.opportunityId), asc(activities.id))
          .limit(EXPORT_PAGE_SIZE)
          .all();
      return pages<Row>(read, (r) => [
        r.id, r.opportunityId, r.opportunity, r.kind, r.subject, r.doneAt === null ? 'planned' : 'done', isoInstant(r.dueAt), r.expectedResult,
        isoInstant(r.doneAt), r.outcome, r.feedback, r.owner, r.ownerEmail, isoInstant(r.createdAt),
      ]);
    },

    /** The workspace's configuration for the full export: settings, pipelines and stages, catalogs (archived entries too), members. */
    async workspace() {
      const catalog = (table: typeof opportunityTypes | typeof sources | typeof lostReasons) =>
        db.select({ id: table.id, name: table.name, position: table.position, archivedAt: table.archivedAt }).from(table).where(eq(table.tenantId, tenantId)).orderBy(asc(table.position), asc(table.id));
      const [tenantRows, pipelineRows, stageRows, typeRows, sourceRows, lostReasonRows, productRows, memberRows] = await db.batch([
        db.select().from(tenants).where(eq(tenants.id, tenantId)),
        db.select().from(pipelines).where(eq(pipelines.tenantId, tenantId)).orderBy(asc(pipelines.position), asc(pipelines.id)),
        db.select().from(stages).where(eq(stages.tenantId, tenantId)).orderBy(asc(stages.pipelineId), asc(stages.position)),
        catalog(opportunityTypes),
        catalog(sources),
        catalog(lostReasons),
        db
          .select({ id: products.id, name: products.name, code: products.code, unitPrice: products.unitPrice, position: products.position, archivedAt: products.archivedAt })
          .from(products)
          .where(eq(products.tenantId, tenantId))
          .orderBy(asc(products.position), asc(products.id)),
        db
          .select({ id: users.id, name: users.name, email: users.email, role: memberships.role, joinedAt: memberships.createdAt })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .where(eq(memberships.tenantId, tenantId))
          .orderBy(asc(users.name), asc(users.id)),
      ]);
      const t = tenantRows[0];
      if (!t) return null;
      const archived = <T extends { archivedAt: number | null }>({ archivedAt, ...rest }: T) => ({ ...rest, archivedAt: isoInstant(archivedAt) });
      return {
        settings: {
          name: t.name, slug: t.slug, locale: t.locale, currency: t.currency, timezone: t.timezone, fiscalYearStartMonth: t.fiscalYearStartMonth,
          membersSeeOwnOnly: t.membersSeeOwnOnly, salesTargetMonthly: t.salesTargetMonthly, salesTargetQuarterly: t.salesTargetQuarterly, templateId: t.templateId,
          createdAt: isoInstant(t.createdAt),
        },
        pipelines: pipelineRows.map((p) => ({
          id: p.id, name: p.name, position: p.position, archivedAt: isoInstant(p.archivedAt),
          stages: stageRows
            .filter((s) => s.pipelineId === p.id)
            .map((s) => ({ id: s.id, name: s.name, position: s.position, probability: s.probability, kind: s.kind, staleAfterDays: s.staleAfterDays, requiredFields: s.requiredFields })),
        })),
        catalogs: {
          opportunityTypes: typeRows.map(archived),
          sources: sourceRows.map(archived),
          lostReasons: lostReasonRows.map(archived),
          products: productRows.map(archived),
        },
        members: memberRows.map((m) => ({ ...m, joinedAt: isoInstant(m.joinedAt) })),
      };
    },
  };
}
