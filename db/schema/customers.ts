// Accounts (customers) and their contacts.
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, tenantId, updatedAt } from './columns';

export const accounts = sqliteTable(
  'accounts',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    industry: text(),
    city: text(),
    phone: text(),
    website: text(),
    ownerId: text(),
    notes: text(),
    version: integer().notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    importId: text(),
    externalId: text(),
  },
  (t) => [
    index('accounts_tenant_name_idx').on(t.tenantId, t.name),
    index('accounts_external_idx').on(t.tenantId, t.externalId),
    index('accounts_import_idx').on(t.tenantId, t.importId),
  ],
);

export const contacts = sqliteTable(
  'contacts',
  {
    id: id(),
    tenantId: tenantId(),
    accountId: text(),
    name: text().notNull(),
    title: text(),
    phone: text(),
    email: text(),
    wechat: text(),
    // A key contact (关键联系人) of the account.
    isKey: integer({ mode: 'boolean' }).notNull().default(false),
    version: integer().notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    importId: text(),
    externalId: text(),
  },
  (t) => [
    index('contacts_external_idx').on(t.tenantId, t.externalId),
    index('contacts_import_idx').on(t.tenantId, t.importId),
    index('contacts_tenant_account_idx').on(t.tenantId, t.accountId),
    index('contacts_tenant_name_idx').on(t.tenantId, t.name),
  ],
);
