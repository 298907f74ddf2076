// Opportunities (商机), their products and contacts, stage history and follow-ups (跟进).
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, tenantId, updatedAt } from './columns';

export const OPPORTUNITY_STATUSES = ['open', 'won', 'lost'] as const;
export type OpportunityStatus = (typeof OPPORTUNITY_STATUSES)[number];

export const opportunities = sqliteTable(
  'opportunities',
  {
    id: id(),
    tenantId: tenantId(),
    pipelineId: text().notNull(),
    stageId: text().notNull(),
    title: text().notNull(),
    accountId: text(),
    primaryContactId: text(),
    ownerId: text().notNull(),
    typeId: text(),
    sourceId: text(),
    // Minor units of the tenant currency; null when not yet known.
    amount: integer(),
    // Calendar date YYYY-MM-DD in the tenant's timezone.
    expectedCloseDate: text(),
    // Overrides the stage's probability when set (0–100).
    probabilityOverride: integer(),
    needs: text(),
    notes: text(),
    status: text({ enum: OPPORTUNITY_STATUSES }).notNull().default('open'),
    lostReasonId: text(),
    closedAt: instant(),
    // Fractional index key: a move rewrites only the moved row.
    position: text().notNull(),
    version: integer().notNull().default(1),
    stageEnteredAt: integer().notNull(),
    lastActivityAt: instant(),
    nextActivityAt: instant(),
    createdBy: text().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    // Set on rows a CSV import created (undo removes them) and to the file's id column (re-imports update).
    importId: text(),
    externalId: text(),
  },
  (t) => [
    index('opportunities_external_idx').on(t.tenantId, t.externalId),
    index('opportunities_import_idx').on(t.tenantId, t.importId),
    index('opportunities_board_idx').on(t.tenantId, t.pipelineId, t.stageId, t.position),
    // Positions are unique within a column; a concurrent move that computed the same key retries.
    uniqueIndex('opportunities_position_uq').on(t.tenantId, t.stageId, t.position),
    index('opportunities_owner_idx').on(t.tenantId, t.ownerId, t.status),
    index('opportunities_close_idx').on(t.tenantId, t.status, t.expectedCloseDate),
    index('opportunities_account_idx').on(t.tenantId, t.accountId),
    // Keyset order of the list's default sort and of exports: (created_at, id) within the tenant.
    index('opportunities_created_idx').on(t.tenantId, t.createdAt, t.id),
  ],
);

export const opportunityContacts = sqliteTable(
  'opportunity_contacts',
  {
    tenantId: tenantId(),
    opportunityId: text().notNull(),
    contactId: text().notNull(),
    // e.g. decision maker, influencer, user (free text).
    role: text(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.opportunityId, t.contactId] }),
    index('opportunity_contacts_contact_idx').on(t.tenantId, t.contactId),
  ],
);

export const opportunityProducts = sqliteTable(
  'opportunity_products',
  {
    id: id(),
    tenantId: tenantId(),
    opportunityId: text().notNull(),
    productId: text().notNull(),
    quantity: integer().notNull(),
    // Minor units per unit.
    unitPrice: integer().notNull(),
  },
  (t) => [
    index('opportunity_products_opp_idx').on(t.tenantId, t.opportunityId),
    index('opportunity_products_product_idx').on(t.tenantId, t.productId),
  ],
);

export const stageChanges = sqliteTable(
  'stage_changes',
  {
    id: id(),
    tenantId: tenantId(),
    opportunityId: text().notNull(),
    pipelineId: text().notNull(),
    // Null when the opportunity was created (entered its first stage).
    fromStageId: text(),
    toStageId: text().notNull(),
    changedAt: integer().notNull(),
    changedBy: text().notNull(),
    // The opportunity's amount at the time of the change.
    amount: integer(),
    // Set on history rebuilt by a CSV import.
    importId: text(),
  },
  (t) => [
    index('stage_changes_import_idx').on(t.tenantId, t.importId),
    index('stage_changes_opp_idx').on(t.tenantId, t.opportunityId, t.changedAt),
    index('stage_changes_time_idx').on(t.tenantId, t.changedAt),
  ],
);

// How a follow-up happens (the API's `kind`).
export const ACTIVITY_KINDS = ['call', 'visit', 'meeting', 'email', 'wechat', 'other'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

// A follow-up plan has dueAt (+ expectedResult); a record has doneAt (+ outcome, customer feedback).
// Completing a plan sets doneAt on the same row.
export const activities = sqliteTable(
  'activities',
  {
    id: id(),
    tenantId: tenantId(),
    opportunityId: text().notNull(),
    ownerId: text().notNull(),
    kind: text({ enum: ACTIVITY_KINDS }).notNull(),
    subject: text().notNull(),
    dueAt: instant(),
    expectedResult: text(),
    doneAt: instant(),
    outcome: text(),
    // What the customer said (客户反馈).
    feedback: text(),
    version: integer().notNull().default(1),
    createdBy: text().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    importId: text(),
  },
  (t) => [
    index('activities_opp_idx').on(t.tenantId, t.opportunityId, t.dueAt),
    index('activities_owner_due_idx').on(t.tenantId, t.ownerId, t.dueAt),
    index('activities_done_idx').on(t.tenantId, t.doneAt),
  ],
);
