/**
 * Opportunities of one tenant: lists and boards (aggregates in SQL), create/update/delete, moves
 * between and within stages (fractional order, optimistic version, stage history in the same
 * atomic batch), and stage history. Built by tenantRepos over a RepoScope; every statement here
 * filters by the scope's tenant and, when the workspace says so, by the viewer's ownership.
 */
import { and, asc, desc, eq, gt, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import {
  accounts, activities, contacts, lostReasons, memberships, opportunities, opportunityContacts, opportunityProducts,
  opportunityTypes, pipelines, products, sources, stageChanges, stages, users,
} from '../../db/schema';
import { newId } from '../services/ids';
import { positionBetween } from '../services/ordering';
import { missingRequiredFields } from '../services/required-fields';
import { runAtomically, type Statement } from './batch';
import { containsText, encodeCursor, isoInstant as iso, type RepoScope } from './scope';

export interface OpportunityFilter {
  pipelineId?: string;
  stageId?: string;
  ownerId?: string;
  typeId?: string;
  sourceId?: string;
  productId?: string;
  status?: 'open' | 'won' | 'lost';
  closeFrom?: string;
  closeTo?: string;
  q?: string;
}

export const OPPORTUNITY_SORTS = ['position', 'createdAt', 'updatedAt', 'amount', 'expectedCloseDate', 'title'] as const;
export type OpportunitySort = (typeof OPPORTUNITY_SORTS)[number];

export interface ProductLineInput {
  productId: string;
  quantity: number;
  unitPrice?: number;
}

export interface ContactLinkInput {
  contactId: string;
  role?: string | null;
}

/** Fields a caller may set on create, patch or (to satisfy a stage's requirements) move. */
export interface OpportunityFields {
  title?: string;
  accountId?: string | null;
  accountName?: string;
  primaryContactId?: string | null;
  ownerId?: string;
  typeId?: string | null;
  sourceId?: string | null;
  amount?: number | null;
  expectedCloseDate?: string | null;
  probability?: number | null;
  needs?: string | null;
  notes?: string | null;
  lostReasonId?: string | null;
  products?: ProductLineInput[];
  contacts?: ContactLinkInput[];
}

/** Why a write was refused, for the route to turn into a problem. */
export type WriteRefusal =
  | { kind: 'not_found' }
  | { kind: 'invalid_reference'; paths: string[] }
  | { kind: 'stale_version'; current: OpportunityRecord }
  | { kind: 'missing_fields'; fields: string[]; stageId: string }
  | { kind: 'invalid_value'; errors: { path: string; message: string }[] }
  | { kind: 'busy' };

type Result<T> = { ok: true; value: T } | ({ ok: false } & WriteRefusal);

const MAX_WRITE_ATTEMPTS = 6;
/** Largest amount (minor units) an opportunity or a product line may reach: 100 billion. */
export const MAX_AMOUNT = 10_000_000_000_000;

// The columns of a card (board, list) — joined names included so the UI needs no second call.
const cardColumns = {
  id: opportunities.id,
  title: opportunities.title,
  pipelineId: opportunities.pipelineId,
  stageId: opportunities.stageId,
  status: opportunities.status,
  amount: opportunities.amount,
  accountId: opportunities.accountId,
  accountName: sql<string | null>`${accounts.name}`.as('account_name'),
  primaryContactId: opportunities.primaryContactId,
  ownerId: opportunities.ownerId,
  ownerName: sql<string | null>`${users.name}`.as('owner_name'),
  typeId: opportunities.typeId,
  sourceId: opportunities.sourceId,
  lostReasonId: opportunities.lostReasonId,
  expectedCloseDate: opportunities.expectedCloseDate,
  probability: opportunities.probabilityOverride,
  stageProbability: sql<number>`${stages.probability}`.as('stage_probability'),
  needs: opportunities.needs,
  notes: opportunities.notes,
  position: opportunities.position,
  version: opportunities.version,
  stageEnteredAt: opportunities.stageEnteredAt,
  closedAt: opportunities.closedAt,
  lastActivityAt: opportunities.lastActivityAt,
  nextActivityAt: opportunities.nextActivityAt,
  createdAt: opportunities.createdAt,
  updatedAt: opportunities.updatedAt,
};

type CardRow = {
  id: string; title: string; pipelineId: string; stageId: string; status: 'open' | 'won' | 'lost'; amount: number | null;
  accountId: string | null; accountName: string | null; primaryContactId: string | null; ownerId: string; ownerName: string | null;
  typeId: string | null; sourceId: string | null; lostReasonId: string | null; expectedCloseDate: string | null;
  probability: number | null; stageProbability: number; needs: string | null; notes: string | null; position: string; version: number;
  stageEnteredAt: number; closedAt: number | null; lastActivityAt: number | null; nextActivityAt: number | null;
  createdAt: number; updatedAt: number;
};

export function toCard(row: CardRow) {
  return {
    id: row.id,
    title: row.title,
    pipelineId: row.pipelineId,
    stageId: row.stageId,
    status: row.status,
    amount: row.amount,
    accountId: row.accountId,
    accountName: row.accountName,
    primaryContactId: row.primaryContactId,
    ownerId: row.ownerId,
    ownerName: row.ownerName,
    typeId: row.typeId,
    sourceId: row.sourceId,
    lostReasonId: row.lostReasonId,
    expectedCloseDate: row.expectedCloseDate,
    probability: row.probability,
    effectiveProbability: row.probability ?? row.stageProbability,
    needs: row.needs,
    notes: row.notes,
    position: row.position,
    version: row.version,
    stageEnteredAt: iso(row.stageEnteredAt)!,
    closedAt: iso(row.closedAt),
    lastActivityAt: iso(row.lastActivityAt),
    nextActivityAt: iso(row.nextActivityAt),
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

export type OpportunityCard = ReturnType<typeof toCard>;

// What a board card shows and what a move needs (no free text, no ids the card never uses): a
// board of 6 × 50 cards stays small on the wire. The drawer reads the full record by id.
const boardCardColumns = {
  id: opportunities.id,
  title: opportunities.title,
  stageId: opportunities.stageId,
  status: opportunities.status,
  amount: opportunities.amount,
  accountName: sql<string | null>`${accounts.name}`.as('account_name'),
  ownerId: opportunities.ownerId,
  ownerName: sql<string | null>`${users.name}`.as('owner_name'),
  expectedCloseDate: opportunities.expectedCloseDate,
  probability: opportunities.probabilityOverride,
  stageProbability: sql<number>`${stages.probability}`.as('stage_probability'),
  position: opportunities.position,
  version: opportunities.version,
  stageEnteredAt: opportunities.stageEnteredAt,
  lastActivityAt: opportunities.lastActivityAt,
  nextActivityAt: opportunities.nextActivityAt,
};

type BoardCardRow = Pick<
  CardRow,
  'id' | 'title' | 'stageId' | 'status' | 'amount' | 'accountName' | 'ownerId' | 'ownerName' | 'expectedCloseDate' | 'probability'
  | 'stageProbability' | 'position' | 'version' | 'stageEnteredAt' | 'lastActivityAt' | 'nextActivityAt'
>;

export function toBoardCard(row: BoardCardRow) {
  return {
    id: row.id,
    title: row.title,
    stageId: row.stageId,
    status: row.status,
    amount: row.amount,
    accountName: row.accountName,
    ownerId: row.ownerId,
    ownerName: row.ownerName,
    expectedCloseDate: row.expectedCloseDate,
    probability: row.probability,
    effectiveProbability: row.probability ?? row.stageProbability,
    position: row.position,
    version: row.version,
    stageEnteredAt: iso(row.stageEnteredAt)!,
    lastActivityAt: iso(row.lastActivityAt),
    nextActivityAt: iso(row.nextActivityAt),
  };
}

export type BoardCard = ReturnType<typeof toBoardCard>;

export type OpportunityRecord = OpportunityCard & {
  contacts: { contactId: string; role: string | null; name: string; title: string | null; phone: string | null; email: string | null; wechat: string | null; isKey: boolean }[];
  products: { id: string; productId: string; name: string; quantity: number; unitPrice: number }[];
};

/**
 * The WHERE conditions of a filtered list (tenant, "own only", the filters). The text search
 * needs `accounts` joined on the opportunity's account; exports use the same conditions.
 */
export function opportunityFilterConditions(scope: RepoScope, filter: OpportunityFilter): SQL[] {
  const { tenantId, restrictToOwner } = scope;
  const conditions: SQL[] = [eq(opportunities.tenantId, tenantId), ...(restrictToOwner ? [eq(opportunities.ownerId, restrictToOwner)] : [])];
  if (filter.pipelineId) conditions.push(eq(opportunities.pipelineId, filter.pipelineId));
  if (filter.stageId) conditions.push(eq(opportunities.stageId, filter.stageId));
  if (filter.ownerId) conditions.push(eq(opportunities.ownerId, filter.ownerId));
  if (filter.typeId) conditions.push(eq(opportunities.typeId, filter.typeId));
  if (filter.sourceId) conditions.push(eq(opportunities.sourceId, filter.sourceId));
  if (filter.status) conditions.push(eq(opportunities.status, filter.status));
  if (filter.closeFrom) conditions.push(sql`${opportunities.expectedCloseDate} >= ${filter.closeFrom}`);
  if (filter.closeTo) conditions.push(sql`${opportunities.expectedCloseDate} <= ${filter.closeTo}`);
  if (filter.productId) {
    conditions.push(
      sql`exists (select 1 from ${opportunityProducts} where ${opportunityProducts.tenantId} = ${tenantId} and ${opportunityProducts.opportunityId} = ${opportunities.id} and ${opportunityProducts.productId} = ${filter.productId})`,
    );
  }
  if (filter.q?.trim()) {
    const term = filter.q.trim();
    conditions.push(sql`(${containsText(opportunities.title, term)} or ${containsText(accounts.name, term)})`);
  }
  return conditions;
}

export function opportunityRepo(scope: RepoScope) {
  const { db, tenantId, restrictToOwner } = scope;

  const visible = (): SQL[] => [eq(opportunities.tenantId, tenantId), ...(restrictToOwner ? [eq(opportunities.ownerId, restrictToOwner)] : [])];

  const filterConditions = (filter: OpportunityFilter) => opportunityFilterConditions(scope, filter);

  // Every card query joins the same three tables, each on the tenant too.
  const cardsFrom = () =>
    db
      .select(cardColumns)
      .from(opportunities)
      .innerJoin(stages, and(eq(stages.id, opportunities.stageId), eq(stages.tenantId, tenantId)))
      .leftJoin(accounts, and(eq(accounts.id, opportunities.accountId), eq(accounts.tenantId, tenantId)))
      .leftJoin(users, eq(users.id, opportunities.ownerId));

  // total() sums in floating point and never raises an integer overflow.
  const weighted = sql<number>`total(${opportunities.amount} * coalesce(${opportunities.probabilityOverride}, ${stages.probability}) / 100.0)`;

  function sortExpression(sort: OpportunitySort): SQL {
    switch (sort) {
      case 'position': return sql`${opportunities.position}`;
      case 'createdAt': return sql`${opportunities.createdAt}`;
      case 'updatedAt': return sql`${opportunities.updatedAt}`;
      // Unknown amounts and dates sort as the smallest / latest, consistently on every page.
      case 'amount': return sql`coalesce(${opportunities.amount}, -1)`;
      case 'expectedCloseDate': return sql`coalesce(${opportunities.expectedCloseDate}, '9999-12-31')`;
      case 'title': return sql`${opportunities.title} collate nocase`;
    }
  }
  const sortValue = (card: CardRow, sort: OpportunitySort): string | number => {
    switch (sort) {
      case 'position': return card.position;
      case 'createdAt': return card.createdAt;
      case 'updatedAt': return card.updatedAt;
      case 'amount': return card.amount ?? -1;
      case 'expectedCloseDate': return card.expectedCloseDate ?? '9999-12-31';
      case 'title': return card.title;
    }
  };

  /** `afterWrite`: read back what the caller just wrote even if they gave it to someone else. */
  async function loadRecord(id: string, afterWrite = false): Promise<OpportunityRecord | null> {
    const [rows, contactRows, productRows] = await db.batch([
      cardsFrom().where(and(...(afterWrite ? [eq(opportunities.tenantId, tenantId)] : visible()), eq(opportunities.id, id))),
      db
        .select({
          contactId: opportunityContacts.contactId, role: opportunityContacts.role, name: contacts.name, title: contacts.title,
          phone: contacts.phone, email: contacts.email, wechat: contacts.wechat, isKey: contacts.isKey,
        })
        .from(opportunityContacts)
        .innerJoin(contacts, and(eq(contacts.id, opportunityContacts.contactId), eq(contacts.tenantId, tenantId)))
        .where(and(eq(opportunityContacts.tenantId, tenantId), eq(opportunityContacts.opportunityId, id)))
        .orderBy(asc(contacts.name)),
      db
        .select({ id: opportunityProducts.id, productId: opportunityProducts.productId, name: products.name, quantity: opportunityProducts.quantity, unitPrice: opportunityProducts.unitPrice })
        .from(opportunityProducts)
        .innerJoin(products, and(eq(products.id, opportunityProducts.productId), eq(products.tenantId, tenantId)))
        .where(and(eq(opportunityProducts.tenantId, tenantId), eq(opportunityProducts.opportunityId, id)))
        .orderBy(asc(products.name)),
    ]);
    const row = rows[0];
    if (!row) return null;
    return { ...toCard(row as CardRow), contacts: contactRows, products: productRows };
  }

  /** A stage of this tenant, whatever its pipeline's state (an archived pipeline's cards stay editable). */
  async function anyStageById(stageId: string) {
    const row = await db.select().from(stages).where(and(eq(stages.tenantId, tenantId), eq(stages.id, stageId))).get();
    return row ?? null;
  }

  /** A stage of an active (not archived) pipeline of this tenant. */
  async function stageById(stageId: string) {
    const row = await db
      .select({ stage: stages })
      .from(stages)
      .innerJoin(pipelines, and(eq(pipelines.id, stages.pipelineId), eq(pipelines.tenantId, tenantId), isNull(pipelines.archivedAt)))
      .where(and(eq(stages.tenantId, tenantId), eq(stages.id, stageId)))
      .get();
    return row?.stage ?? null;
  }

  /** Refuses amounts beyond MAX_AMOUNT, whether sent or computed from product lines. */
  function amountProblem(amount: number | null, lines: { quantity: number; unitPrice: number }[] | undefined): WriteRefusal | null {
    if (lines?.some((l) => l.quantity * l.unitPrice > MAX_AMOUNT) || (amount !== null && amount > MAX_AMOUNT)) {
      return { kind: 'invalid_value', errors: [{ path: lines?.length ? 'products' : 'amount', message: 'The amount is too large.' }] };
    }
    return null;
  }

  /** Paths of referenced ids that do not exist in this tenant (one batched round trip). */
  async function invalidReferences(fields: OpportunityFields): Promise<string[]> {
    const checks: { path: string; query: Statement; expected: number }[] = [];
    const one = (path: string, table: typeof opportunityTypes | typeof sources | typeof lostReasons | typeof accounts | typeof contacts, id: string | null | undefined) => {
      if (id) checks.push({ path, expected: 1, query: db.select({ id: table.id }).from(table).where(and(eq(table.tenantId, tenantId), eq(table.id, id))) });
    };
    one('typeId', opportunityTypes, fields.typeId);
    one('sourceId', sources, fields.sourceId);
    one('lostReasonId', lostReasons, fields.lostReasonId);
    one('accountId', accounts, fields.accountId);
    one('primaryContactId', contacts, fields.primaryContactId);
    if (fields.ownerId) {
      checks.push({ path: 'ownerId', expected: 1, query: db.select({ id: memberships.userId }).from(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, fields.ownerId))) });
    }
    const productIds = [...new Set((fields.products ?? []).map((p) => p.productId))];
    if (productIds.length) {
      checks.push({ path: 'products', expected: productIds.length, query: db.select({ id: products.id }).from(products).where(and(eq(products.tenantId, tenantId), inArray(products.id, productIds))) });
    }
    const contactIds = [...new Set((fields.contacts ?? []).map((c) => c.contactId))];
    if (contactIds.length) {
      checks.push({ path: 'contacts', expected: contactIds.length, query: db.select({ id: contacts.id }).from(contacts).where(and(eq(contacts.tenantId, tenantId), inArray(contacts.id, contactIds))) });
    }
    if (checks.length === 0) return [];
    const results = (await db.batch(checks.map((c) => c.query) as unknown as [Statement, ...Statement[]])) as unknown[][];
    return checks.filter((c, i) => results[i]!.length !== c.expected).map((c) => c.path);
  }

  /** Product line prices: given, else the product's list price. */
  async function productLines(lines: ProductLineInput[]) {
    const ids = [...new Set(lines.map((l) => l.productId))];
    const prices = ids.length
      ? await db.select({ id: products.id, unitPrice: products.unitPrice }).from(products).where(and(eq(products.tenantId, tenantId), inArray(products.id, ids))).all()
      : [];
    const listPrice = new Map(prices.map((p) => [p.id, p.unitPrice]));
    return lines.map((l) => ({ productId: l.productId, quantity: l.quantity, unitPrice: l.unitPrice ?? listPrice.get(l.productId) ?? 0 }));
  }

  /**
   * Statements that replace the product lines / contact links of an opportunity — each guarded
   * to run only while the opportunity still carries `version`. Placed before the versioned update
   * in the same batch, they apply exactly when that update does.
   */
  function replaceLines(
    opportunityId: string,
    version: number,
    lines: { productId: string; quantity: number; unitPrice: number }[] | undefined,
    links: ContactLinkInput[] | undefined,
  ): Statement[] {
    const ours = and(eq(opportunities.tenantId, tenantId), eq(opportunities.id, opportunityId), eq(opportunities.version, version));
    const guard = sql`exists (select 1 from ${opportunities} where ${ours})`;
    const literal = (value: string | number | null, name: string) => sql`${value}`.as(name);
    const statements: Statement[] = [];
    if (lines) {
      statements.push(db.delete(opportunityProducts).where(and(eq(opportunityProducts.tenantId, tenantId), eq(opportunityProducts.opportunityId, opportunityId), guard)));
      for (const line of lines) {
        statements.push(
          db.insert(opportunityProducts).select(
            db
              .select({
                id: literal(newId(), 'id'), tenantId: opportunities.tenantId, opportunityId: opportunities.id, productId: literal(line.productId, 'product_id'),
                quantity: literal(line.quantity, 'quantity'), unitPrice: literal(line.unitPrice, 'unit_price'),
              })
              .from(opportunities)
              .where(ours),
          ),
        );
      }
    }
    if (links) {
      statements.push(db.delete(opportunityContacts).where(and(eq(opportunityContacts.tenantId, tenantId), eq(opportunityContacts.opportunityId, opportunityId), guard)));
      const unique = [...new Map(links.map((l) => [l.contactId, l])).values()];
      for (const link of unique) {
        statements.push(
          db.insert(opportunityContacts).select(
            db
              .select({ tenantId: opportunities.tenantId, opportunityId: opportunities.id, contactId: literal(link.contactId, 'contact_id'), role: literal(link.role ?? null, 'role') })
              .from(opportunities)
              .where(ours),
          ),
        );
      }
    }
    return statements;
  }

  /** Creates an account named on the fly, only while the opportunity still has `version`. */
  function newAccountIfStill(account: { id: string; name: string }, ownerId: string, opportunityId: string, version: number, now: number): Statement {
    const literal = (value: string | number | null, name: string) => sql`${value}`.as(name);
    return db.insert(accounts).select(
      db
        .select({
          id: literal(account.id, 'id'), tenantId: opportunities.tenantId, name: literal(account.name, 'name'), industry: literal(null, 'industry'),
          city: literal(null, 'city'), phone: literal(null, 'phone'), website: literal(null, 'website'), ownerId: literal(ownerId, 'owner_id'),
          notes: literal(null, 'notes'), version: literal(1, 'version'), createdAt: literal(now, 'created_at'), updatedAt: literal(now, 'updated_at'),
          importId: literal(null, 'import_id'), externalId: literal(null, 'external_id'),
        })
        .from(opportunities)
        .where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.id, opportunityId), eq(opportunities.version, version))),
    );
  }

  /** The first (`asc`) or last (`desc`) position in a column. */
  async function edgePositionIn(stageId: string, edge: 'first' | 'last'): Promise<string | null> {
    const row = await db
      .select({ position: opportunities.position })
      .from(opportunities)
      .where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.stageId, stageId)))
      .orderBy(edge === 'first' ? asc(opportunities.position) : desc(opportunities.position))
      .limit(1)
      .get();
    return row?.position ?? null;
  }

  /** Where a moved card lands: before `beforeId`, after `afterId`, or at the end of the column. */
  async function targetPosition(stageId: string, movingId: string, beforeId?: string, afterId?: string): Promise<string | null> {
    const anchorId = beforeId ?? afterId;
    if (!anchorId) return positionBetween(await edgePositionIn(stageId, 'last'), null);
    const anchor = await db
      .select({ position: opportunities.position })
      .from(opportunities)
      .where(and(...visible(), eq(opportunities.stageId, stageId), eq(opportunities.id, anchorId)))
      .get();
    if (!anchor || anchorId === movingId) return null;
    const column = and(eq(opportunities.tenantId, tenantId), eq(opportunities.stageId, stageId), sql`${opportunities.id} != ${movingId}`);
    if (beforeId) {
      const previous = await db.select({ position: opportunities.position }).from(opportunities).where(and(column, lt(opportunities.position, anchor.position))).orderBy(desc(opportunities.position)).limit(1).get();
      return positionBetween(previous?.position ?? null, anchor.position);
    }
    const next = await db.select({ position: opportunities.position }).from(opportunities).where(and(column, gt(opportunities.position, anchor.position))).orderBy(asc(opportunities.position)).limit(1).get();
    return positionBetween(anchor.position, next?.position ?? null);
  }

  const isUniquePositionClash = (error: unknown) => /UNIQUE constraint failed: opportunities\.(tenant_id|position)/.test(`${String(error)} ${String((error as { cause?: unknown }).cause)}`);

  return {
    async get(id: string) {
      return loadRecord(id);
    },

    /** A page of opportunities, sorted with keyset pagination, and totals over all matches. */
    async list(filter: OpportunityFilter, options: { sort: OpportunitySort; direction: 'asc' | 'desc'; limit: number; cursor?: (string | number | null)[] }) {
      const conditions = filterConditions(filter);
      const key = sortExpression(options.sort);
      const after = options.cursor;
      if (after) {
        const [value, id] = after;
        conditions.push(options.direction === 'asc' ? sql`(${key}, ${opportunities.id}) > (${value}, ${id})` : sql`(${key}, ${opportunities.id}) < (${value}, ${id})`);
      }
      const order = options.direction === 'asc' ? [sql`${key} asc`, asc(opportunities.id)] : [sql`${key} desc`, desc(opportunities.id)];
      const totalsConditions = filterConditions(filter);
      const [rows, totals] = await db.batch([
        cardsFrom().where(and(...conditions)).orderBy(...order).limit(options.limit + 1),
        db
          .select({ count: sql<number>`count(*)`, amount: sql<number>`cast(total(${opportunities.amount}) as integer)`, weightedAmount: weighted })
          .from(opportunities)
          .innerJoin(stages, and(eq(stages.id, opportunities.stageId), eq(stages.tenantId, tenantId)))
          .leftJoin(accounts, and(eq(accounts.id, opportunities.accountId), eq(accounts.tenantId, tenantId)))
          .where(and(...totalsConditions)),
      ]);
      const page = (rows as CardRow[]).slice(0, options.limit);
      const last = page.at(-1);
      return {
        opportunities: page.map(toCard),
        nextCursor: rows.length > options.limit && last ? encodeCursor([sortValue(last, options.sort), last.id]) : null,
        totals: { count: totals[0]?.count ?? 0, amount: totals[0]?.amount ?? 0, weightedAmount: Math.round(totals[0]?.weightedAmount ?? 0) },
      };
    },

    /**
     * A pipeline's board: every stage with count / amount / weighted amount over ALL matching
     * opportunities, and each column's first `limit` cards by position. Two statements, one round.
     */
    async board(pipelineId: string, filter: OpportunityFilter, limit: number) {
      const conditions = [...filterConditions(filter), eq(opportunities.pipelineId, pipelineId)];
      // Accounts are joined for the text search only; without it the aggregates
      // and the first cards read the opportunities table alone (through the board index).
      const searching = Boolean(filter.q?.trim());
      const accountJoin = and(eq(accounts.id, opportunities.accountId), eq(accounts.tenantId, tenantId));
      const totalsBase = db
        .select({
          stageId: sql<string>`${opportunities.stageId}`.as('agg_stage_id'),
          count: sql<number>`count(*)`.as('agg_count'),
          amount: sql<number>`cast(total(${opportunities.amount}) as integer)`.as('agg_amount'),
          weightedAmount: sql<number>`${weighted}`.as('agg_weighted'),
        })
        .from(opportunities)
        .innerJoin(stages, and(eq(stages.id, opportunities.stageId), eq(stages.tenantId, tenantId)));
      const totals = (searching ? totalsBase.leftJoin(accounts, accountJoin) : totalsBase).where(and(...conditions)).groupBy(opportunities.stageId).as('totals');
      // Each column's first `limit` + 1 cards: per stage, a subquery walks the board index in
      // position order (positions are unique within a column) and stops after limit + 1 matches;
      // only those rows are read from the table and joined. Inside the subquery "opportunities"
      // (and "accounts", when searching) are its own; "stages" is the outer row.
      const firstRowsBase = db.select({ rowid: sql<number>`${opportunities}.rowid` }).from(opportunities);
      const firstRows = (searching ? firstRowsBase.leftJoin(accounts, accountJoin) : firstRowsBase)
        .where(and(...conditions, eq(opportunities.stageId, stages.id)))
        .orderBy(asc(opportunities.position))
        .limit(limit + 1);
      const [columnRows, cardRows] = await db.batch([
        db
          .select({
            // Aliased: D1 returns rows by column name, so two "name" columns would collide.
            pipelineName: sql<string>`${pipelines.name}`.as('pipeline_name'),
            stage: stages,
            count: sql<number>`coalesce(${totals.count}, 0)`,
            amount: sql<number>`coalesce(${totals.amount}, 0)`,
            weightedAmount: sql<number>`coalesce(${totals.weightedAmount}, 0)`,
          })
          .from(stages)
          .innerJoin(pipelines, and(eq(pipelines.id, stages.pipelineId), eq(pipelines.tenantId, tenantId), isNull(pipelines.archivedAt)))
          .leftJoin(totals, eq(totals.stageId, stages.id))
          .where(and(eq(stages.tenantId, tenantId), eq(stages.pipelineId, pipelineId)))
          .orderBy(asc(stages.position)),
        db
          .select(boardCardColumns)
          // CROSS JOIN keeps SQLite's join order: the stages first, then the rows their subqueries pick.
          .from(stages)
          .crossJoin(opportunities)
          .leftJoin(accounts, accountJoin)
          .leftJoin(users, eq(users.id, opportunities.ownerId))
          .where(and(eq(stages.tenantId, tenantId), eq(stages.pipelineId, pipelineId), sql`${opportunities}.rowid in ${firstRows}`))
          .orderBy(asc(opportunities.stageId), asc(opportunities.position)),
      ]);
      if (columnRows.length === 0) return null;
      const cardsByStage = Map.groupBy(cardRows as BoardCardRow[], (c) => c.stageId);
      return {
        pipeline: { id: pipelineId, name: columnRows[0]!.pipelineName },
        columns: columnRows.map((row) => {
          const cards = cardsByStage.get(row.stage.id) ?? [];
          const page = cards.slice(0, limit);
          const last = page.at(-1);
          return {
            stage: {
              id: row.stage.id, name: row.stage.name, position: row.stage.position, probability: row.stage.probability, kind: row.stage.kind,
              staleAfterDays: row.stage.staleAfterDays, requiredFields: row.stage.requiredFields,
            },
            count: row.count,
            amount: row.amount,
            weightedAmount: Math.round(row.weightedAmount),
            opportunities: page.map(toBoardCard),
            nextCursor: cards.length > limit && last ? encodeCursor([last.position, last.id]) : null,
          };
        }),
      };
    },

    async create(input: OpportunityFields & { title: string; pipelineId?: string; stageId?: string; at?: 'top' | 'bottom' }, actor: { userId: string; now: number }): Promise<Result<OpportunityRecord>> {
      // The stage: given, or the first open stage of the given (or first) pipeline.
      const stage = input.stageId
        ? await stageById(input.stageId)
        : await db
            .select({ stage: stages })
            .from(stages)
            .innerJoin(pipelines, and(eq(pipelines.id, stages.pipelineId), eq(pipelines.tenantId, tenantId), isNull(pipelines.archivedAt)))
            .where(and(eq(stages.tenantId, tenantId), eq(stages.kind, 'open'), ...(input.pipelineId ? [eq(stages.pipelineId, input.pipelineId)] : [])))
            .orderBy(asc(pipelines.position), asc(stages.position))
            .limit(1)
            .get()
            .then((r) => r?.stage ?? null);
      if (!stage || (input.pipelineId && stage.pipelineId !== input.pipelineId)) {
        return { ok: false, kind: 'invalid_reference', paths: [input.stageId ? 'stageId' : 'pipelineId'] };
      }
      const invalid = await invalidReferences({ ...input, ownerId: input.ownerId ?? actor.userId });
      if (invalid.length) return { ok: false, kind: 'invalid_reference', paths: invalid };
      const lines = input.products ? await productLines(input.products) : [];
      const amount = input.amount !== undefined ? input.amount : lines.length ? lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0) : null;
      const tooLarge = amountProblem(amount, lines);
      if (tooLarge) return { ok: false, ...tooLarge };
      const accountId = input.accountId ?? (input.accountName ? newId() : null);
      const missing = missingRequiredFields(stage.requiredFields, {
        amount, expectedCloseDate: input.expectedCloseDate ?? null, accountId, primaryContactId: input.primaryContactId ?? null,
        typeId: input.typeId ?? null, sourceId: input.sourceId ?? null, productCount: lines.length, notes: input.notes ?? null,
      });
      if (stage.kind === 'lost' && !input.lostReasonId) missing.push('lostReasonId' as never);
      if (missing.length) return { ok: false, kind: 'missing_fields', fields: missing, stageId: stage.id };

      const id = newId();
      const { now, userId } = actor;
      for (let attempt = 1; ; attempt++) {
        const statements: Statement[] = [];
        if (!input.accountId && input.accountName && accountId) {
          statements.push(db.insert(accounts).values({ id: accountId, tenantId, name: input.accountName, ownerId: input.ownerId ?? userId, createdAt: now, updatedAt: now }));
        }
        statements.push(
          db.insert(opportunities).values({
            id, tenantId, pipelineId: stage.pipelineId, stageId: stage.id, title: input.title, accountId,
            primaryContactId: input.primaryContactId ?? null, ownerId: input.ownerId ?? userId, typeId: input.typeId ?? null,
            sourceId: input.sourceId ?? null, amount, expectedCloseDate: input.expectedCloseDate ?? null,
            probabilityOverride: input.probability ?? null, needs: input.needs ?? null, notes: input.notes ?? null,
            status: stage.kind, lostReasonId: stage.kind === 'lost' ? (input.lostReasonId ?? null) : null,
            closedAt: stage.kind === 'open' ? null : now, position: input.at === 'top' ? positionBetween(null, await edgePositionIn(stage.id, 'first')) : positionBetween(await edgePositionIn(stage.id, 'last'), null),
            stageEnteredAt: now, createdBy: userId, createdAt: now, updatedAt: now,
          }),
          db.insert(stageChanges).values({ id: newId(), tenantId, opportunityId: id, pipelineId: stage.pipelineId, fromStageId: null, toStageId: stage.id, changedAt: now, changedBy: userId, amount }),
          ...replaceLines(id, 1, lines, input.contacts ?? (input.primaryContactId ? [{ contactId: input.primaryContactId }] : undefined)),
        );
        try {
          await runAtomically(db, statements);
          break;
        } catch (error) {
          // Two cards created at the end of one column at once: take the next free position.
          if (!isUniquePositionClash(error)) throw error;
          if (attempt >= MAX_WRITE_ATTEMPTS) return { ok: false, kind: 'busy' };
        }
      }
      return { ok: true, value: (await loadRecord(id, true))! };
    },

    async update(id: string, version: number, fields: OpportunityFields, actor: { userId: string; now: number }): Promise<Result<OpportunityRecord>> {
      const current = await loadRecord(id);
      if (!current) return { ok: false, kind: 'not_found' };
      if (current.version !== version) return { ok: false, kind: 'stale_version', current };
      const invalid = await invalidReferences(fields);
      if (invalid.length) return { ok: false, kind: 'invalid_reference', paths: invalid };
      const stage = await anyStageById(current.stageId);
      if (!stage) return { ok: false, kind: 'not_found' };
      const lines = fields.products ? await productLines(fields.products) : undefined;
      const merged = mergeFields(current, fields, lines);
      const tooLarge = amountProblem(merged.columns.amount, lines);
      if (tooLarge) return { ok: false, ...tooLarge };
      const missing = missingRequiredFields(stage.requiredFields, merged.required);
      if (stage.kind === 'lost' && !merged.lostReasonId) missing.push('lostReasonId' as never);
      if (missing.length) return { ok: false, kind: 'missing_fields', fields: missing, stageId: stage.id };
      const statements: Statement[] = [];
      if (merged.newAccount) statements.push(newAccountIfStill(merged.newAccount, merged.ownerId, id, version, actor.now));
      statements.push(
        db
          .update(opportunities)
          .set({ ...merged.columns, ...(stage.kind === 'lost' ? { lostReasonId: merged.lostReasonId } : {}), version: version + 1, updatedAt: actor.now })
          .where(and(...visible(), eq(opportunities.id, id), eq(opportunities.version, version))),
      );
      // Lines and links are replaced before the versioned update, guarded by the same version:
      // D1 runs a batch as one serial transaction, so either all of it applies or none does.
      const lineStatements = replaceLines(id, version, lines, fields.contacts);
      const results = await db.batch([...lineStatements, ...statements] as unknown as [Statement, ...Statement[]]);
      const changed = (results[lineStatements.length + (merged.newAccount ? 1 : 0)] as { meta?: { changes?: number } }).meta?.changes ?? 0;
      if (changed === 0) {
        const latest = await loadRecord(id);
        return latest ? { ok: false, kind: 'stale_version', current: latest } : { ok: false, kind: 'not_found' };
      }
      return { ok: true, value: (await loadRecord(id, true))! };
    },

    /**
     * Moves a card to `stageId` (same or another stage) before/after a neighbour, with the
     * version it was read at. Fields may come along to satisfy the target stage's requirements.
     * The move, the fields and the stage history row are one atomic batch; the history row is
     * inserted only if the guarded update took effect.
     */
    async move(
      id: string,
      input: { stageId: string; version: number; beforeId?: string; afterId?: string; fields: OpportunityFields },
      actor: { userId: string; now: number },
    ): Promise<Result<OpportunityRecord> | { ok: false; kind: 'invalid_reference'; paths: string[] }> {
      for (let attempt = 1; ; attempt++) {
        const current = await loadRecord(id);
        if (!current) return { ok: false, kind: 'not_found' };
        if (current.version !== input.version) return { ok: false, kind: 'stale_version', current };
        const target = await stageById(input.stageId);
        // Moves stay within the opportunity's pipeline: history mixing pipelines would skew stats.
        if (!target || target.pipelineId !== current.pipelineId) return { ok: false, kind: 'invalid_reference', paths: ['stageId'] };
        const invalid = await invalidReferences(input.fields);
        if (invalid.length) return { ok: false, kind: 'invalid_reference', paths: invalid };
        const position = await targetPosition(target.id, id, input.beforeId, input.afterId);
        if (position === null) return { ok: false, kind: 'invalid_reference', paths: [input.beforeId ? 'beforeId' : 'afterId'] };
        const lines = input.fields.products ? await productLines(input.fields.products) : undefined;
        const merged = mergeFields(current, input.fields, lines);
        const stageChanged = target.id !== current.stageId;
        const tooLarge = amountProblem(merged.columns.amount, lines);
        if (tooLarge) return { ok: false, ...tooLarge };
        const missing = missingRequiredFields(target.requiredFields, merged.required);
        if (target.kind === 'lost' && !merged.lostReasonId) missing.push('lostReasonId' as never);
        if (missing.length) return { ok: false, kind: 'missing_fields', fields: missing, stageId: target.id };

        const { now, userId } = actor;
        const status = target.kind;
        const statements: Statement[] = [];
        if (merged.newAccount) statements.push(newAccountIfStill(merged.newAccount, merged.ownerId, id, input.version, now));
        statements.push(
          db
            .update(opportunities)
            .set({
              ...merged.columns,
              pipelineId: target.pipelineId,
              stageId: target.id,
              position,
              version: input.version + 1,
              updatedAt: now,
              ...(stageChanged
                ? {
                    stageEnteredAt: now,
                    status,
                    // Won/lost close the opportunity; moving back out reopens it.
                    closedAt: status === 'open' ? null : now,
                    lostReasonId: status === 'lost' ? merged.lostReasonId : null,
                  }
                : {}),
            })
            .where(and(...visible(), eq(opportunities.id, id), eq(opportunities.version, input.version))),
        );
        // History row, lines and links go first, each guarded by the version read; then the
        // versioned update. D1 runs a batch as one serial transaction, so a concurrent writer
        // that got there first leaves this batch with no history row, no lines and no move.
        const guarded = replaceLines(id, input.version, lines, input.fields.contacts);
        if (stageChanged) {
          const literal = (value: string | number | null, name: string) => sql`${value}`.as(name);
          guarded.unshift(
            db.insert(stageChanges).select(
              db
                .select({
                  id: literal(newId(), 'id'), tenantId: opportunities.tenantId, opportunityId: opportunities.id, pipelineId: literal(target.pipelineId, 'pipeline_id'),
                  fromStageId: literal(current.stageId, 'from_stage_id'), toStageId: literal(target.id, 'to_stage_id'), changedAt: literal(now, 'changed_at'),
                  changedBy: literal(userId, 'changed_by'), amount: literal(merged.columns.amount, 'amount'), importId: literal(null, 'import_id'),
                })
                .from(opportunities)
                .where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.id, id), eq(opportunities.version, input.version))),
            ),
          );
        }
        try {
          const results = await db.batch([...guarded, ...statements] as unknown as [Statement, ...Statement[]]);
          const changed = (results[guarded.length + (merged.newAccount ? 1 : 0)] as { meta?: { changes?: number } }).meta?.changes ?? 0;
          if (changed === 0) {
            const latest = await loadRecord(id);
            return latest ? { ok: false, kind: 'stale_version', current: latest } : { ok: false, kind: 'not_found' };
          }
          return { ok: true, value: (await loadRecord(id, true))! };
        } catch (error) {
          if (!isUniquePositionClash(error)) throw error;
          if (attempt >= MAX_WRITE_ATTEMPTS) return { ok: false, kind: 'busy' };
        }
      }
    },

    /** Deletes an opportunity with its lines, links, follow-ups and history, atomically. */
    async remove(id: string): Promise<boolean> {
      const found = await db.select({ id: opportunities.id }).from(opportunities).where(and(...visible(), eq(opportunities.id, id))).get();
      if (!found) return false;
      await runAtomically(db, [
        db.delete(activities).where(and(eq(activities.tenantId, tenantId), eq(activities.opportunityId, id))),
        db.delete(opportunityProducts).where(and(eq(opportunityProducts.tenantId, tenantId), eq(opportunityProducts.opportunityId, id))),
        db.delete(opportunityContacts).where(and(eq(opportunityContacts.tenantId, tenantId), eq(opportunityContacts.opportunityId, id))),
        db.delete(stageChanges).where(and(eq(stageChanges.tenantId, tenantId), eq(stageChanges.opportunityId, id))),
        db.delete(opportunities).where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.id, id))),
      ]);
      return true;
    },

    /** Stage changes, oldest first, with how long the opportunity stayed in each stage. */
    async history(id: string, now: number) {
      const found = await db.select({ id: opportunities.id }).from(opportunities).where(and(...visible(), eq(opportunities.id, id))).get();
      if (!found) return null;
      const fromStage = sql<string | null>`(select s.name from ${stages} s where s.tenant_id = ${tenantId} and s.id = ${stageChanges.fromStageId})`.as('from_stage_name');
      const rows = await db
        .select({
          id: stageChanges.id, fromStageId: stageChanges.fromStageId, fromStageName: fromStage, toStageId: stageChanges.toStageId,
          toStageName: sql<string | null>`${stages.name}`.as('to_stage_name'), changedAt: stageChanges.changedAt, changedBy: stageChanges.changedBy,
          changedByName: sql<string | null>`${users.name}`.as('changed_by_name'), amount: stageChanges.amount,
        })
        .from(stageChanges)
        .leftJoin(stages, and(eq(stages.id, stageChanges.toStageId), eq(stages.tenantId, tenantId)))
        .leftJoin(users, eq(users.id, stageChanges.changedBy))
        .where(and(eq(stageChanges.tenantId, tenantId), eq(stageChanges.opportunityId, id)))
        .orderBy(asc(stageChanges.changedAt), sql`${stageChanges}.rowid`)
        .all();
      return rows.map((row, i) => {
        const until = rows[i + 1]?.changedAt ?? now;
        return { ...row, changedAt: iso(row.changedAt)!, leftAt: i + 1 < rows.length ? iso(until) : null, durationMs: until - row.changedAt };
      });
    },

    /** Opportunities a follow-up may attach to: visible to this viewer. */
    async exists(id: string): Promise<boolean> {
      return (await db.select({ id: opportunities.id }).from(opportunities).where(and(...visible(), eq(opportunities.id, id))).get()) !== undefined;
    },
  };
}

/** The record after applying `fields`, as columns to write and as values to check requirements on. */
function mergeFields(current: OpportunityRecord, fields: OpportunityFields, lines: { productId: string; quantity: number; unitPrice: number }[] | undefined) {
  const newAccount = fields.accountId === undefined && fields.accountName ? { id: newId(), name: fields.accountName } : null;
  const pick = <K extends keyof OpportunityFields & keyof OpportunityRecord>(key: K) => (fields[key] !== undefined ? fields[key] : current[key]);
  const lineAmount = lines?.length ? lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0) : null;
  // Amount follows the product lines when lines are sent without an explicit amount.
  const amount = fields.amount !== undefined ? fields.amount : lineAmount !== null ? lineAmount : current.amount;
  const accountId = newAccount ? newAccount.id : (pick('accountId') as string | null);
  const ownerId = (pick('ownerId') as string) ?? current.ownerId;
  const columns = {
    title: pick('title') as string,
    accountId,
    primaryContactId: pick('primaryContactId') as string | null,
    ownerId,
    typeId: pick('typeId') as string | null,
    sourceId: pick('sourceId') as string | null,
    amount,
    expectedCloseDate: pick('expectedCloseDate') as string | null,
    probabilityOverride: fields.probability !== undefined ? fields.probability : current.probability,
    needs: pick('needs') as string | null,
    notes: pick('notes') as string | null,
  };
  return {
    newAccount,
    ownerId,
    lostReasonId: (fields.lostReasonId !== undefined ? fields.lostReasonId : current.lostReasonId) ?? null,
    columns,
    required: {
      amount, expectedCloseDate: columns.expectedCloseDate, accountId, primaryContactId: columns.primaryContactId,
      typeId: columns.typeId, sourceId: columns.sourceId, productCount: lines ? lines.length : current.products.length, notes: columns.notes,
    },
  };
}

