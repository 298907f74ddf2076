/**
 * Reading the nightly statistics back (GET /stats, /stats/series) and the recompute jobs that
 * refill them (POST /stats/recompute, GET /stats/jobs/:jobId), for one tenant.
 *
 * Rows are read generically by dimension: the metrics inside each row are whatever the nightly
 * job wrote (worker/repos/stats.ts), so a metric added there shows up here without a change.
 * A job's progress is not stored: it is counted from nightly_runs — dates of the job's range whose
 * run finished (done, or failed after the queue's retries) at or after the job was created.
 */
import { and, asc, between, eq, gte, inArray, min, sql } from 'drizzle-orm';
import { dailyStats, nightlyRuns, opportunities, pipelines, stages, statsJobs, tenants } from '../../db/schema';
import { addDays, localDate } from '../services/dates';
import { insertChunked, runAtomically, type Statement } from './batch';
import type { RepoScope } from './scope';

export type StatsRowMetrics = Record<string, number | null>;

export interface StatsRow {
  dimension: string;
  key: string;
  metrics: StatsRowMetrics;
  computedAt: number;
}

export interface StatsJob {
  id: string;
  from: string;
  to: string;
  total: number;
  createdBy: string;
  createdAt: number;
}

/** Inclusive number of days from `from` to `to` (1 for the same day; ≤ 0 when from > to). */
export const daysInRange = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;

/** Every date from `from` to `to`, inclusive. */
export function datesInRange(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) dates.push(d);
  return dates;
}

export function statsReadRepo({ db, tenantId }: RepoScope) {
  // Dates with a finished snapshot: a tenant without opportunities has a finished run but no rows.
  const snapshotDates = sql`
    select as_of_date as d from ${dailyStats} where tenant_id = ${tenantId}
    union select as_of_date as d from ${nightlyRuns} where tenant_id = ${tenantId} and status = 'done'`;

  return {
    /** First and last dates with a snapshot; null before the first nightly run finished. */
    async snapshotRange(): Promise<{ first: string; last: string } | null> {
      const row = await db.get<{ first: string | null; last: string | null }>(sql`select min(d) as first, max(d) as last from (${snapshotDates})`);
      return row?.first && row.last ? { first: row.first, last: row.last } : null;
    },

    /** Whether `asOfDate` has a finished snapshot. */
    async hasSnapshot(asOfDate: string): Promise<boolean> {
      const row = await db.get<{ n: number }>(sql`select count(*) as n from (${snapshotDates}) where d = ${asOfDate}`);
      return (row?.n ?? 0) > 0;
    },

    /** One date's rows for one pipeline ('' = all pipelines), in dimension and key order. */
    async snapshotRows(asOfDate: string, pipelineId: string): Promise<StatsRow[]> {
      const rows = await db
        .select({ dimension: dailyStats.dimension, key: dailyStats.dimensionKey, metrics: dailyStats.metrics, computedAt: dailyStats.computedAt })
        .from(dailyStats)
        .where(and(eq(dailyStats.tenantId, tenantId), eq(dailyStats.asOfDate, asOfDate), eq(dailyStats.pipelineId, pipelineId)))
        .orderBy(asc(dailyStats.dimension), asc(dailyStats.dimensionKey))
        .all();
      return rows;
    },

    /** One metric of the `total` row per snapshot date in [from, to]; dates without a row are left out. */
    async series(metric: string, from: string, to: string, pipelineId: string): Promise<{ date: string; value: number | null }[]> {
      const rows = await db
        .select({ date: dailyStats.asOfDate, value: sql<number | null>`json_extract(${dailyStats.metrics}, ${`$.${metric}`})` })
        .from(dailyStats)
        .where(
          and(
            eq(dailyStats.tenantId, tenantId),
            eq(dailyStats.pipelineId, pipelineId),
            eq(dailyStats.dimension, 'total'),
            eq(dailyStats.dimensionKey, ''),
            between(dailyStats.asOfDate, from, to),
          ),
        )
        .orderBy(asc(dailyStats.asOfDate))
        .all();
      return rows.map((r) => ({ date: r.date, value: r.value === null ? null : Number(r.value) }));
    },

    /** Whether the tenant has this pipeline (archived ones too: their history stays reportable). */
    async pipelineExists(pipelineId: string): Promise<boolean> {
      const row = await db.select({ id: pipelines.id }).from(pipelines).where(and(eq(pipelines.tenantId, tenantId), eq(pipelines.id, pipelineId))).get();
      return row !== undefined;
    },

    /** Stage order for sorting stage rows: pipeline position, then stage position. */
    async stageOrder(): Promise<Map<string, number>> {
      const rows = await db
        .select({ id: stages.id })
        .from(stages)
        .innerJoin(pipelines, and(eq(pipelines.id, stages.pipelineId), eq(pipelines.tenantId, tenantId)))
        .where(eq(stages.tenantId, tenantId))
        .orderBy(asc(pipelines.position), asc(stages.position))
        .all();
      return new Map(rows.map((r, i) => [r.id, i]));
    },

    /**
     * The workspace's first local day with data: its creation day, or the day its earliest
     * opportunity was created when that is earlier (imported or sample history).
     */
    async firstDay(timeZone: string): Promise<string | null> {
      const [tenantRows, oppRows] = await db.batch([
        db.select({ createdAt: tenants.createdAt }).from(tenants).where(eq(tenants.id, tenantId)),
        db.select({ first: min(opportunities.createdAt) }).from(opportunities).where(eq(opportunities.tenantId, tenantId)),
      ]);
      const created = tenantRows[0]?.createdAt;
      if (created === undefined) return null;
      const first = oppRows[0]?.first;
      return localDate(first !== null && first !== undefined && first < created ? first : created, timeZone);
    },

    /**
     * Records a recompute job and marks its dates queued (like the hourly scheduler does, so it
     * does not send them again) in one atomic batch, with `alongside` (the audit entry).
     */
    async createJob(job: StatsJob, alongside: Statement[] = []): Promise<void> {
      const dates = job.total > 0 ? datesInRange(job.from, job.to) : [];
      const queued = insertChunked(db, nightlyRuns, dates.map((asOfDate) => ({ tenantId, asOfDate, status: 'queued' as const, updatedAt: job.createdAt }))).map((insert) =>
        (insert as unknown as { onConflictDoUpdate: (c: object) => Statement }).onConflictDoUpdate({
          target: [nightlyRuns.tenantId, nightlyRuns.asOfDate],
          set: { status: sql`excluded.status`, updatedAt: sql`excluded.updated_at` },
        }),
      );
      await runAtomically(db, [
        db.insert(statsJobs).values({ id: job.id, tenantId, fromDate: job.from, toDate: job.to, total: job.total, createdBy: job.createdBy, createdAt: job.createdAt }),
        ...queued,
        ...alongside,
      ]);
    },

    /** Forgets a job whose messages could not be sent. */
    async deleteJob(jobId: string): Promise<void> {
      await db.delete(statsJobs).where(and(eq(statsJobs.tenantId, tenantId), eq(statsJobs.id, jobId)));
    },

    /** A job and its progress; null when this tenant has no such job. */
    async job(jobId: string) {
      const job = await db.select().from(statsJobs).where(and(eq(statsJobs.tenantId, tenantId), eq(statsJobs.id, jobId))).get();
      if (!job) return null;
      const counts = job.total === 0
        ? []
        : await db
            .select({ status: nightlyRuns.status, n: sql<number>`count(*)` })
            .from(nightlyRuns)
            .where(
              and(
                eq(nightlyRuns.tenantId, tenantId),
                between(nightlyRuns.asOfDate, job.fromDate, job.toDate),
                inArray(nightlyRuns.status, ['done', 'failed']),
                gte(nightlyRuns.updatedAt, job.createdAt),
              ),
            )
            .groupBy(nightlyRuns.status)
            .all();
      const done = counts.find((c) => c.status === 'done')?.n ?? 0;
      const failed = counts.find((c) => c.status === 'failed')?.n ?? 0;
      return {
        id: job.id, from: job.fromDate, to: job.toDate, total: job.total, done, failed,
        status: done + failed >= job.total ? ('done' as const) : ('running' as const),
        createdAt: job.createdAt,
      };
    },
  };
}

export type StatsReadRepo = ReturnType<typeof statsReadRepo>;
