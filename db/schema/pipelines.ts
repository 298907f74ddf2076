// Pipelines, their stages and the catalogs opportunities pick from.
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { archivedAt, createdAt, id, position, tenantId } from './columns';

export const STAGE_KINDS = ['open', 'won', 'lost'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

export const pipelines = sqliteTable(
  'pipelines',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    position: position(),
    archivedAt: archivedAt(),
    createdAt: createdAt(),
  },
  (t) => [index('pipelines_tenant_idx').on(t.tenantId, t.position)],
);

export const stages = sqliteTable(
  'stages',
  {
    id: id(),
    tenantId: tenantId(),
    pipelineId: text().notNull(),
    name: text().notNull(),
    position: position(),
    probability: integer().notNull(),
    kind: text({ enum: STAGE_KINDS }).notNull(),
    staleAfterDays: integer(),
    // JSON array of opportunity field names required to enter the stage.
    requiredFields: text({ mode: 'json' }).$type<string[]>().notNull().default([]),
    createdAt: createdAt(),
  },
  (t) => [index('stages_tenant_pipeline_idx').on(t.tenantId, t.pipelineId, t.position)],
);

const catalog = (name: string) =>
  sqliteTable(
    name,
    {
      id: id(),
      tenantId: tenantId(),
      name: text().notNull(),
      position: position(),
      archivedAt: archivedAt(),
      createdAt: createdAt(),
    },
    (t) => [index(`${name}_tenant_idx`).on(t.tenantId, t.position)],
  );

export const opportunityTypes = catalog('opportunity_types');
export const sources = catalog('sources');
export const lostReasons = catalog('lost_reasons');

export const products = sqliteTable(
  'products',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    code: text(),
    // Minor units of the tenant currency.
    unitPrice: integer().notNull().default(0),
    position: position(),
    archivedAt: archivedAt(),
    createdAt: createdAt(),
  },
  (t) => [index('products_tenant_idx').on(t.tenantId, t.position)],
);
