// Accounts (customers) and contacts of one tenant. Built by tenantRepos; see scope.ts.
//
// Lists page by keyset on (name, id): a cursor is the last row's [name, id], so a page costs one
// index range scan however deep it is. Updates are optimistic: `where version = ?` and version + 1,
// and 0 rows changed means someone else wrote first (the caller answers 409 with the current row).
import { and, asc, desc, eq, gt, inArray, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { accounts, contacts, memberships, opportunities, opportunityContacts } from '../../db/schema';
import { newId } from '../services/ids';
import { containsText, decodeCursor, encodeCursor, isoInstant as iso, type RepoScope } from './scope';

export interface AccountRecord {
  id: string;
  name: string;
  industry: string | null;
  city: string | null;
  phone: string | null;
  website: string | null;
  notes: string | null;
  ownerId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ContactRecord {
  id: string;
  accountId: string | null;
  name: string;
  title: string | null;
  phone: string | null;
  email: string | null;
  wechat: string | null;
  isKey: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface AccountFields {
  name: string;
  industry?: string | null;
  city?: string | null;
  phone?: string | null;
  website?: string | null;
  notes?: string | null;
  ownerId?: string | null;
}

export interface ContactFields {
  name: string;
  accountId?: string | null;
  title?: string | null;
  phone?: string | null;
  email?: string | null;
  wechat?: string | null;
  isKey?: boolean;
}

export interface ListQuery {
  q?: string;
  limit: number;
  cursor?: string;
}

/** Why a write was refused: a stale version (with the row as it is now) or a missing row. */
export type UpdateResult<T> = { updated: T } | { stale: T } | null;

/** True when `cursor` is one this module handed out: the [name, id] of a page's last row. */
export function isNameCursor(cursor: string): boolean {
  return parseNameCursor(cursor) !== null;
}

function nameCursor(name: string, id: string): string {
  return encodeCursor([name, id]);
}

function parseNameCursor(cursor: string): [string, string] | null {
  const values = decodeCursor(cursor);
  if (values?.length !== 2 || typeof values[0] !== 'string' || typeof values[1] !== 'string') return null;
  return [values[0], values[1]];
}

function anyColumnContains(term: string, columns: SQLWrapper[]): SQL {
  return sql.join(
    columns.map((column) => containsText(column, term)),
    sql` or `,
  );
}

/** Empty or blank optional text is stored as null, so "no phone" has one representation. */
function blankToNull<T extends object>(fields: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'string' && key !== 'name' && value.trim() === '' ? null : value;
  }
  return out as T;
}

function toAccount(row: typeof accounts.$inferSelect): AccountRecord {
  return {
    id: row.id,
    name: row.name,
    industry: row.industry,
    city: row.city,
    phone: row.phone,
    website: row.website,
    notes: row.notes,
    ownerId: row.ownerId,
    version: row.version,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function toContact(row: typeof contacts.$inferSelect): ContactRecord {
  return {
    id: row.id,
    accountId: row.accountId,
    name: row.name,
    title: row.title,
    phone: row.phone,
    email: row.email,
    wechat: row.wechat,
    isKey: row.isKey,
    version: row.version,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function accountRepo(scope: RepoScope) {
  const { db, tenantId, restrictToOwner } = scope;
  const inTenant = eq(accounts.tenantId, tenantId);
  const byId = (id: string) => and(inTenant, eq(accounts.id, id));
  // Guards every statement of a delete: none applies once an opportunity points at the account.
  const unreferenced = (id: string) =>
    sql`not exists (select 1 from ${opportunities} where ${opportunities.tenantId} = ${tenantId} and ${opportunities.accountId} = ${id})`;
  const contactIdsOf = (id: string) =>
    db.select({ id: contacts.id }).from(contacts).where(and(eq(contacts.tenantId, tenantId), eq(contacts.accountId, id)));
  const referencingCount = (id: string) =>
    db
      .select({ count: sql<number>`count(*)` })
      .from(opportunities)
      .where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.accountId, id)));

  const get = async (id: string): Promise<AccountRecord | null> => {
    const row = await db.select().from(accounts).where(byId(id)).get();
    return row ? toAccount(row) : null;
  };

  return {
    get,

    async list({ q, limit, cursor }: ListQuery): Promise<{ accounts: AccountRecord[]; nextCursor: string | null }> {
      const after = cursor === undefined ? null : parseNameCursor(cursor);
      const conditions = [inTenant];
      if (q) conditions.push(sql`(${anyColumnContains(q, [accounts.name, accounts.city, accounts.phone])})`);
      if (after) conditions.push(or(gt(accounts.name, after[0]), and(eq(accounts.name, after[0]), gt(accounts.id, after[1])))!);
      const rows = await db
        .select()
        .from(accounts)
        .where(and(...conditions))
        .orderBy(asc(accounts.name), asc(accounts.id))
        .limit(limit + 1)
        .all();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { accounts: page.map(toAccount), nextCursor: rows.length > limit && last ? nameCursor(last.name, last.id) : null };
    },

    /** The account, its contacts (key contacts first) and how many open opportunities it has. */
    async getWithContacts(id: string) {
      const openOpportunities = and(
        eq(opportunities.tenantId, tenantId),
        eq(opportunities.accountId, id),
        eq(opportunities.status, 'open'),
        // Members who see only their own opportunities do not learn about anyone else's.
        restrictToOwner ? eq(opportunities.ownerId, restrictToOwner) : undefined,
      );
      const [account, contactRows, [open]] = await db.batch([
        db.select().from(accounts).where(byId(id)),
        db
          .select()
          .from(contacts)
          .where(and(eq(contacts.tenantId, tenantId), eq(contacts.accountId, id)))
          .orderBy(desc(contacts.isKey), asc(contacts.name), asc(contacts.id)),
        db.select({ count: sql<number>`count(*)` }).from(opportunities).where(openOpportunities),
      ]);
      if (!account[0]) return null;
      return { account: toAccount(account[0]), contacts: contactRows.map(toContact), openOpportunityCount: open?.count ?? 0 };
    },

    /** Whether `userId` belongs to this tenant (owners of records must). */
    async isMember(userId: string): Promise<boolean> {
      const row = await db
        .select({ userId: memberships.userId })
        .from(memberships)
        .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)))
        .get();
      return row !== undefined;
    },

    async create(fields: AccountFields, now: number): Promise<AccountRecord> {
      const [row] = await db
        .insert(accounts)
        .values({ ...blankToNull(fields), id: newId(), tenantId, version: 1, createdAt: now, updatedAt: now })
        .returning();
      return toAccount(row!);
    },

    async update(id: string, version: number, fields: Partial<AccountFields>, now: number): Promise<UpdateResult<AccountRecord>> {
      const [row] = await db
        .update(accounts)
        .set({ ...blankToNull(fields), version: sql`${accounts.version} + 1`, updatedAt: now })
        .where(and(byId(id), eq(accounts.version, version)))
        .returning();
      if (row) return { updated: toAccount(row) };
      const current = await get(id);
      return current ? { stale: current } : null;
    },

    /**
     * Deletes the account with its contacts, their opportunity links and primary-contact marks, in
     * one atomic batch — unless opportunities reference the account: then nothing is deleted and the
     * answer says how many. Every statement carries the same "no opportunity references it" guard,
     * so an opportunity created between the check and the batch cannot be left dangling.
     */
    async delete(id: string, now: number): Promise<{ deleted: true } | { inUse: number } | null> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const ofThisAccount = inArray(opportunities.primaryContactId, contactIdsOf(id));
        const [, , , removed] = await db.batch([
          db
            .update(opportunities)
            .set({ primaryContactId: null, updatedAt: now })
            .where(and(eq(opportunities.tenantId, tenantId), ofThisAccount, unreferenced(id))),
          db
            .delete(opportunityContacts)
            .where(and(eq(opportunityContacts.tenantId, tenantId), inArray(opportunityContacts.contactId, contactIdsOf(id)), unreferenced(id))),
          db.delete(contacts).where(and(eq(contacts.tenantId, tenantId), eq(contacts.accountId, id), unreferenced(id))),
          db.delete(accounts).where(and(byId(id), unreferenced(id))).returning({ id: accounts.id }),
        ]);
        if (removed.length > 0) return { deleted: true };
        const [account, [references]] = await db.batch([db.select({ id: accounts.id }).from(accounts).where(byId(id)), referencingCount(id)]);
        if (!account[0]) return null;
        if ((references?.count ?? 0) > 0) return { inUse: references!.count };
        // The referencing opportunities went away in between: try again.
      }
      throw new Error('Account delete kept racing with opportunity changes');
    },
  };
}

export function contactRepo(scope: RepoScope) {
  const { db, tenantId } = scope;
  const inTenant = eq(contacts.tenantId, tenantId);
  const byId = (id: string) => and(inTenant, eq(contacts.id, id));

  const get = async (id: string): Promise<ContactRecord | null> => {
    const row = await db.select().from(contacts).where(byId(id)).get();
    return row ? toContact(row) : null;
  };

  return {
    get,

    async list({ q, limit, cursor, accountId }: ListQuery & { accountId?: string }): Promise<{ contacts: ContactRecord[]; nextCursor: string | null }> {
      const after = cursor === undefined ? null : parseNameCursor(cursor);
      const conditions = [inTenant];
      if (accountId !== undefined) conditions.push(eq(contacts.accountId, accountId));
      if (q) conditions.push(sql`(${anyColumnContains(q, [contacts.name, contacts.phone, contacts.email, contacts.wechat])})`);
      if (after) conditions.push(or(gt(contacts.name, after[0]), and(eq(contacts.name, after[0]), gt(contacts.id, after[1])))!);
      const rows = await db
        .select()
        .from(contacts)
        .where(and(...conditions))
        .orderBy(asc(contacts.name), asc(contacts.id))
        .limit(limit + 1)
        .all();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { contacts: page.map(toContact), nextCursor: rows.length > limit && last ? nameCursor(last.name, last.id) : null };
    },

    /**
     * Creates the contact; null when `accountId` names no account of this tenant. The insert itself
     * is conditional on the account, so a concurrent account delete cannot leave it dangling.
     */
    async create(fields: ContactFields, now: number): Promise<ContactRecord | null> {
      const values = { ...blankToNull(fields), id: newId(), tenantId, version: 1, createdAt: now, updatedAt: now };
      if (!values.accountId) {
        const [row] = await db.insert(contacts).values({ ...values, accountId: null }).returning();
        return toContact(row!);
      }
      const literal = (value: string | number | null | undefined, name: string) => sql`${value ?? null}`.as(name);
      const [row] = await db
        .insert(contacts)
        .select(
          db
            .select({
              id: literal(values.id, 'id'), tenantId: accounts.tenantId, accountId: accounts.id, name: literal(values.name, 'name'),
              title: literal(values.title, 'title'), phone: literal(values.phone, 'phone'), email: literal(values.email, 'email'),
              wechat: literal(values.wechat, 'wechat'), isKey: literal(values.isKey ? 1 : 0, 'is_key'), version: literal(1, 'version'),
              createdAt: literal(now, 'created_at'), updatedAt: literal(now, 'updated_at'), importId: literal(null, 'import_id'), externalId: literal(null, 'external_id'),
            })
            .from(accounts)
            .where(and(eq(accounts.tenantId, tenantId), eq(accounts.id, values.accountId))),
        )
        .returning();
      return row ? toContact(row) : null;
    },

    /**
     * Applies the change while the contact still has `version` (and a new `accountId` names an
     * account of this tenant, checked in the same statement).
     */
    async update(id: string, version: number, fields: Partial<ContactFields>, now: number): Promise<UpdateResult<ContactRecord> | { unknownAccount: true }> {
      const changes = blankToNull(fields);
      const accountId = changes.accountId;
      const accountExists = (account: string) =>
        sql`exists (select 1 from ${accounts} where ${accounts.tenantId} = ${tenantId} and ${accounts.id} = ${account})`;
      const [row] = await db
        .update(contacts)
        .set({ ...changes, version: sql`${contacts.version} + 1`, updatedAt: now })
        .where(and(byId(id), eq(contacts.version, version), accountId ? accountExists(accountId) : undefined))
        .returning();
      if (row) return { updated: toContact(row) };
      const [current, account] = await db.batch([
        db.select().from(contacts).where(byId(id)),
        db.select({ id: accounts.id }).from(accounts).where(and(eq(accounts.tenantId, tenantId), eq(accounts.id, accountId ?? ''))),
      ]);
      if (!current[0]) return null;
      if (accountId && !account[0]) return { unknownAccount: true };
      return { stale: toContact(current[0]) };
    },

    /** Deletes the contact, its opportunity links and any primary-contact marks on it, atomically. */
    async delete(id: string, now: number): Promise<boolean> {
      const [, , removed] = await db.batch([
        db
          .update(opportunities)
          .set({ primaryContactId: null, updatedAt: now })
          .where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.primaryContactId, id))),
        db.delete(opportunityContacts).where(and(eq(opportunityContacts.tenantId, tenantId), eq(opportunityContacts.contactId, id))),
        db.delete(contacts).where(byId(id)).returning({ id: contacts.id }),
      ]);
      return removed.length > 0;
    },
  };
}
