/**
 * tenantRepos(db, tenantId, viewer) — the only path from a route or job to tenant-owned data.
 *
 * Every query built here filters by `tenant_id = tenantId`; every insert sets it (rows handed in
 * are re-stamped, so a caller cannot write into another tenant). When the workspace shows members
 * only their own opportunities, the viewer's scope is applied here too, so no route can forget it.
 * Lookups return null for "not found" — including rows that belong to another tenant.
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Database } from '../../db/client';
import {
  accounts, activities, contacts, lostReasons, opportunities, opportunityContacts, opportunityProducts,
  opportunityTypes, pipelines, products, sources, stageChanges, stages, tenants,
} from '../../db/schema';
import type { WorkspaceRows } from '../services/template-install';
import { accountRepo, contactRepo } from './accounts';
import { apiTokenRepo } from './api-tokens';
import { exportRepo } from './exports';
import { importRepo } from './imports';
import { activityRepo } from './activities';
import { auditRepo } from './audit';
import { opportunityRepo } from './opportunities';
import { catalogRepo } from './catalog';
import { pipelineAdminRepo } from './pipelines';
import { catalogAdminRepo } from './catalog-admin';
import { settingsRepo } from './settings';
import { teamRepo } from './team';
import { statsRepo } from './stats';
import { statsReadRepo } from './stats-read';
import { forecastRepo } from './forecasts';
import { repoScope, type Viewer } from './scope';
import { insertChunked, type Statement } from './batch';

export type { Viewer } from './scope';

export function tenantRepos(db: Database, tenantId: string, viewer?: Viewer) {
  // Members (and viewers) restricted to their own opportunities when the workspace says so.
  const scope = repoScope(db, tenantId, viewer);
  const { restrictToOwner } = scope;
  const visibleOpportunities = () =>
    restrictToOwner
      ? and(eq(opportunities.tenantId, tenantId), eq(opportunities.ownerId, restrictToOwner))
      : eq(opportunities.tenantId, tenantId);

  const stamp = <T extends { tenantId?: string }>(rows: T[]) => rows.map((row) => ({ ...row, tenantId }));

  return {
    tenantId,
    opportunities: opportunityRepo(scope),
    activities: activityRepo(scope),
    accounts: accountRepo(scope),
    contacts: contactRepo(scope),
    catalog: catalogRepo(scope),
    audit: auditRepo(scope),
    pipelineAdmin: pipelineAdminRepo(scope),
    catalogAdmin: catalogAdminRepo(scope),
    settings: settingsRepo(scope),
    team: teamRepo(scope),
    apiTokens: apiTokenRepo(scope),
    exports: exportRepo(scope),
    imports: importRepo(scope),

    workspace: {
      async get() {
        const row = await db.select().from(tenants).where(eq(tenants.id, tenantId)).get();
        return row ?? null;
      },
    },

    pipelines: {
      /** Active pipelines with their stages in board order and, per stage, the opportunities in it. */
      async listWithStageTotals() {
        const [pipelineRows, stageRows, totals] = await db.batch([
          db.select().from(pipelines).where(and(eq(pipelines.tenantId, tenantId), isNull(pipelines.archivedAt))).orderBy(asc(pipelines.position)),
          db.select().from(stages).where(eq(stages.tenantId, tenantId)).orderBy(asc(stages.pipelineId), asc(stages.position)),
          db
            .select({
              stageId: opportunities.stageId,
              count: sql<number>`count(*)`,
              amount: sql<number>`cast(total(${opportunities.amount}) as integer)`,
              weightedAmount: sql<number>`total(${opportunities.amount} * coalesce(${opportunities.probabilityOverride}, ${stages.probability}) / 100.0)`,
            })
            .from(opportunities)
            .innerJoin(stages, and(eq(stages.id, opportunities.stageId), eq(stages.tenantId, tenantId)))
            .where(visibleOpportunities())
            .groupBy(opportunities.stageId),
        ]);
        const byStage = new Map(totals.map((t) => [t.stageId, t]));
        return pipelineRows.map((pipeline) => ({
          id: pipeline.id,
          name: pipeline.name,
          position: pipeline.position,
          stages: stageRows
            .filter((s) => s.pipelineId === pipeline.id)
            .map((s) => ({
              id: s.id,
              name: s.name,
              position: s.position,
              probability: s.probability,
              kind: s.kind,
              staleAfterDays: s.staleAfterDays,
              requiredFields: s.requiredFields,
              count: byStage.get(s.id)?.count ?? 0,
              amount: byStage.get(s.id)?.amount ?? 0,
              weightedAmount: Math.round(byStage.get(s.id)?.weightedAmount ?? 0),
            })),
        }));
      },
    },

    snapshots: statsRepo(scope),
    /** Reading the snapshots back, and recompute jobs. */
    reports: statsReadRepo(scope),
    forecasts: forecastRepo(scope),

    /** Statements writing a template's rows into this tenant (run atomically with the signup). */
    installStatements(rows: WorkspaceRows): Statement[] {
      const insert = <T extends SQLiteTable>(table: T, values: { tenantId?: string }[]) =>
        insertChunked(db, table, stamp(values) as never[]);
      return [
        ...insert(pipelines, rows.pipelines),
        ...insert(stages, rows.stages),
        ...insert(opportunityTypes, rows.opportunityTypes),
        ...insert(sources, rows.sources),
        ...insert(lostReasons, rows.lostReasons),
        ...insert(products, rows.products),
        ...insert(accounts, rows.accounts),
        ...insert(contacts, rows.contacts),
        ...insert(opportunities, rows.opportunities),
        ...insert(opportunityContacts, rows.opportunityContacts),
        ...insert(opportunityProducts, rows.opportunityProducts),
        ...insert(stageChanges, rows.stageChanges),
        ...insert(activities, rows.activities),
      ];
    },
  };
}

export type TenantRepos = ReturnType<typeof tenantRepos>;
