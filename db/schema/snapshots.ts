// Nightly per-tenant snapshots, keyed so that re-runs upsert identical rows.
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { tenantId } from './columns';

export const dailyStats = sqliteTable(
  'daily_stats',
  {
    tenantId: tenantId(),
    asOfDate: text().notNull(),
    // '' for all pipelines together.
    pipelineId: text().notNull(),
    // 'total' | 'stage' | 'owner' | 'type' | 'source' | 'product' | …
    dimension: text().notNull(),
    dimensionKey: text().notNull(),
    metrics: text({ mode: 'json' }).$type<Record<string, number | null>>().notNull(),
    computedAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.asOfDate, t.pipelineId, t.dimension, t.dimensionKey] })],
);

export const forecasts = sqliteTable(
  'forecasts',
  {
    tenantId: tenantId(),
    asOfDate: text().notNull(),
    pipelineId: text().notNull(),
    // First day of the forecast period (month or fiscal quarter), and its kind.
    periodStart: text().notNull(),
    periodKind: text({ enum: ['month', 'quarter'] }).notNull(),
    method: text({ enum: ['closed', 'weighted', 'calibrated'] }).notNull(),
    low: integer(),
    expected: integer().notNull(),
    high: integer(),
    details: text({ mode: 'json' }).$type<Record<string, unknown>>(),
    computedAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.asOfDate, t.pipelineId, t.periodStart, t.periodKind, t.method] })],
);

export const NIGHTLY_RUN_STATUSES = ['queued', 'done', 'failed'] as const;

// One row per tenant and date the scheduler has sent: lets it send each date once, re-send
// only a message that seems lost, and move the tenant's last snapshot date past finished ones.
export const nightlyRuns = sqliteTable(
  'nightly_runs',
  {
    tenantId: tenantId(),
    asOfDate: text().notNull(),
    status: text({ enum: NIGHTLY_RUN_STATUSES }).notNull(),
    updatedAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.asOfDate] })],
);

// An admin's "recompute these dates" request (after an import or a settings change). Its progress
// is read from nightly_runs: dates of the range whose run finished after the job was created.
export const statsJobs = sqliteTable(
  'stats_jobs',
  {
    id: text().primaryKey(),
    tenantId: tenantId(),
    fromDate: text().notNull(),
    toDate: text().notNull(),
    total: integer().notNull(),
    createdBy: text().notNull(),
    createdAt: integer().notNull(),
  },
  (t) => [index('stats_jobs_tenant_idx').on(t.tenantId, t.createdAt)],
);
