// Nightly statistics for one tenant and one local date, computed in SQL aggregates as the data
// stood at the END of that date (stage history and opportunities created before it), and
// written atomically (delete the date's rows + one insert + the run marker in ONE batch).
//
// Statements per tenant and date, whatever the tenant's size: STATS_STATEMENTS_PER_RUN = 5
//   reads:              1 opportunity-state aggregate + 1 per-product aggregate
//   writes (one batch): 1 delete + 1 insert (all rows as ONE JSON parameter, expanded by
//                       json_each, so the row count never changes the statement count) + 1 run marker
// (the consumer reads the workspace row once more before calling this: 6 in all per message).
// The forecasts (worker/repos/forecasts.ts) add FORECAST_READ_STATEMENTS = 2 reads (opportunities
// with their stage changes, stages) and FORECAST_WRITE_STATEMENTS = 2 writes (delete + insert)
// passed in as `alongside`, so the same batch holds 1 + 1 + 2 + 1 = 5 statements, and a nightly
// message runs 1 + 5 + 2 + 2 = 10 statements in all, whatever the tenant's size.
//
// Rows: one per (pipeline_id — '' for all pipelines —, dimension, dimension_key), dimensions
// 'total' (key ''), 'stage', 'owner', 'type', 'source', 'product', 'lost_reason' ('' key = none).
// The insert's single parameter is bounded by D1's 2 MB string limit (~10,000 rows), not by the
// 100-parameter or 1,000-statement limits.
//
// Counting rules:
// - An opportunity's state at the end of the date is the latest stage change before it; its
//   amount is the amount recorded on that change; opportunities created later do not exist.
// - Won / lost in a period: the latest change (into a won / lost stage) falls in the period.
// - Created in a period: created_at falls in the period (amount as of the end of the date).
// - Product: an opportunity with several products counts once (with its whole amount) in EACH of
//   its products' rows, so product rows may add up to more than the total.
// - Lost reason: the opportunity's current lost reason (the field is not versioned).
// - Win rate = won / (won + lost) among opportunities closed in the trailing 90 days (the date
//   and the 89 before it) and all time; null when nothing closed.
import { and, eq, ne, sql, type SQL } from 'drizzle-orm';
import { dailyStats, nightlyRuns, opportunities, opportunityProducts, stageChanges, stages } from '../../db/schema';
import { addDays, localTimeToInstant } from '../services/dates';
import { runAtomically, type Statement } from './batch';
import type { RepoScope } from './scope';

export const STATS_STATEMENTS_PER_RUN = 5;

export const STATS_DIMENSIONS = ['total', 'stage', 'owner', 'type', 'source', 'product', 'lost_reason'] as const;
export type StatsDimension = (typeof STATS_DIMENSIONS)[number];

const PERIODS = ['Day', 'Mtd', 'Qtd'] as const;
const SUMMED = [
  'openCount', 'openAmount', 'weightedAmount',
  ...PERIODS.flatMap((p) => [`createdCount${p}`, `createdAmount${p}`, `wonCount${p}`, `wonAmount${p}`, `lostCount${p}`, `lostAmount${p}`]),
  'wonCount90', 'lostCount90', 'wonAmount90', 'wonCountAll', 'lostCountAll', 'wonAmountAll',
] as const;
export type StatsMetrics = Record<string, number | null>;

interface GroupRow extends Record<string, unknown> {
  pipelineId: string; stageId: string; kind: string; ownerId: string; typeId: string; sourceId: string; lostReasonId: string; productId?: string;
}

export interface StatsTenant { timezone: string; fiscalYearStartMonth: number }

/** First local day of the fiscal quarter holding `date` (fiscal year starting in month `fyStart`). */
export function fiscalQuarterStart(date: string, fyStart: number): string {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const offset = (month - fyStart + 12) % 12;
  let startMonth = month - (offset % 3);
  let startYear = year;
  if (startMonth < 1) { startMonth += 12; startYear -= 1; }
  return `${startYear}-${String(startMonth).padStart(2, '0')}-01`;
}

export function statsRepo({ db, tenantId }: RepoScope) {
  const aggregate = (endOfDay: number, starts: Record<(typeof PERIODS)[number] | '90', number>, byProduct: boolean) => {
    const periodColumns = PERIODS.map((p) => {
      const from = starts[p];
      return sql`,
        sum(st.created_at >= ${from}) as ${sql.raw(`"createdCount${p}"`)},
        total(case when st.created_at >= ${from} then st.amount end) as ${sql.raw(`"createdAmount${p}"`)},
        sum(st.kind = 'won' and st.changed_at >= ${from}) as ${sql.raw(`"wonCount${p}"`)},
        total(case when st.kind = 'won' and st.changed_at >= ${from} then st.amount end) as ${sql.raw(`"wonAmount${p}"`)},
        sum(st.kind = 'lost' and st.changed_at >= ${from}) as ${sql.raw(`"lostCount${p}"`)},
        total(case when st.kind = 'lost' and st.changed_at >= ${from} then st.amount end) as ${sql.raw(`"lostAmount${p}"`)}`;
    });
    const productJoin: SQL = byProduct
      ? sql`join (select distinct opportunity_id, product_id from ${opportunityProducts} where tenant_id = ${tenantId}) op on op.opportunity_id = st.id`
      : sql``;
    const productColumn = byProduct ? sql`, op.product_id as "productId"` : sql``;
    const productGroup = byProduct ? sql`, op.product_id` : sql``;
    return sql`
      with latest as (
        select sc.opportunity_id, sc.to_stage_id, sc.amount, sc.changed_at,
               row_number() over (partition by sc.opportunity_id order by sc.changed_at desc, sc.id desc) as rn
        from ${stageChanges} sc
        where sc.tenant_id = ${tenantId} and sc.changed_at < ${endOfDay}
      ),
      st as (
        select o.id, s.pipeline_id, s.id as stage_id, s.kind, o.owner_id,
               coalesce(o.type_id, '') as type_id, coalesce(o.source_id, '') as source_id,
               coalesce(o.lost_reason_id, '') as lost_reason_id, coalesce(l.amount, 0) as amount,
               coalesce(o.probability_override, s.probability) as probability, l.changed_at, o.created_at
        from latest l
        join ${opportunities} o on o.id = l.opportunity_id and o.tenant_id = ${tenantId}
        join ${stages} s on s.id = l.to_stage_id and s.tenant_id = ${tenantId}
        where l.rn = 1 and o.created_at < ${endOfDay}
      )
      select st.pipeline_id as "pipelineId", st.stage_id as "stageId", st.kind as "kind", st.owner_id as "ownerId",
             st.type_id as "typeId", st.source_id as "sourceId", st.lost_reason_id as "lostReasonId"${productColumn},
             sum(st.kind = 'open') as "openCount",
             total(case when st.kind = 'open' then st.amount end) as "openAmount",
             total(case when st.kind = 'open' then st.amount * st.probability / 100.0 end) as "weightedAmount"
             ${sql.join(periodColumns, sql``)},
             sum(st.kind = 'won' and st.changed_at >= ${starts['90']}) as "wonCount90",
             sum(st.kind = 'lost' and st.changed_at >= ${starts['90']}) as "lostCount90",
             total(case when st.kind = 'won' and st.changed_at >= ${starts['90']} then st.amount end) as "wonAmount90",
             sum(st.kind = 'won') as "wonCountAll",
             sum(st.kind = 'lost') as "lostCountAll",
             total(case when st.kind = 'won' then st.amount end) as "wonAmountAll"
      from st ${productJoin}
      group by st.pipeline_id, st.stage_id, st.kind, st.owner_id, st.type_id, st.source_id, st.lost_reason_id${productGroup}`;
  };

  const markRun = (asOfDate: string, at: number) =>
    db
      .insert(nightlyRuns)
      .values({ tenantId, asOfDate, status: 'done', updatedAt: at })
      .onConflictDoUpdate({ target: [nightlyRuns.tenantId, nightlyRuns.asOfDate], set: { status: 'done', updatedAt: at } });

  return {
    /**
     * Computes and replaces the statistics of `asOfDate` (a tenant-local date). Returns the row
     * count. `alongside` (e.g. the date's forecast rows) is written in the same atomic batch.
     */
    async writeSnapshot(asOfDate: string, tenant: StatsTenant, computedAt: number, alongside: Statement[] = []) {
      const tz = tenant.timezone;
      const endOfDay = localTimeToInstant(addDays(asOfDate, 1), 0, tz);
      const starts = {
        Day: localTimeToInstant(asOfDate, 0, tz),
        Mtd: localTimeToInstant(`${asOfDate.slice(0, 8)}01`, 0, tz),
        Qtd: localTimeToInstant(fiscalQuarterStart(asOfDate, tenant.fiscalYearStartMonth), 0, tz),
        '90': localTimeToInstant(addDays(asOfDate, -89), 0, tz),
      };
      const groups = await db.all<GroupRow>(aggregate(endOfDay, starts, false));
      const productGroups = await db.all<GroupRow>(aggregate(endOfDay, starts, true));

      const acc = new Map<string, StatsMetrics>();
      const add = (pipelineId: string, dimension: StatsDimension, key: string, row: GroupRow) => {
        const id = JSON.stringify([pipelineId, dimension, key]);
        let metrics = acc.get(id);
        if (!metrics) { metrics = Object.fromEntries(SUMMED.map((m) => [m, 0])); acc.set(id, metrics); }
        for (const m of SUMMED) metrics[m] = (metrics[m] ?? 0) + Number(row[m] ?? 0);
      };
      for (const row of groups) {
        for (const pipelineId of [row.pipelineId, '']) {
          add(pipelineId, 'total', '', row);
          add(pipelineId, 'stage', row.stageId, row);
          add(pipelineId, 'owner', row.ownerId, row);
          add(pipelineId, 'type', row.typeId, row);
          add(pipelineId, 'source', row.sourceId, row);
          if (row.kind === 'lost') add(pipelineId, 'lost_reason', row.lostReasonId, row);
        }
      }
      for (const row of productGroups) {
        for (const pipelineId of [row.pipelineId, '']) add(pipelineId, 'product', row.productId!, row);
      }
      const rows = [...acc.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, metrics]) => {
        const rate = (won: number | null | undefined, lost: number | null | undefined) => ((won ?? 0) + (lost ?? 0) > 0 ? (won ?? 0) / ((won ?? 0) + (lost ?? 0)) : null);
        for (const m of SUMMED) metrics[m] = Math.round(metrics[m] ?? 0);
        metrics.winRate90 = rate(metrics.wonCount90, metrics.lostCount90);
        metrics.winRateAll = rate(metrics.wonCountAll, metrics.lostCountAll);
        const [pipelineId, dimension, key] = JSON.parse(id) as [string, string, string];
        return [pipelineId, dimension, key, metrics];
      });
      await runAtomically(db, [
        db.delete(dailyStats).where(and(eq(dailyStats.tenantId, tenantId), eq(dailyStats.asOfDate, asOfDate))),
        db.insert(dailyStats).select(sql`
          select ${tenantId}, ${asOfDate}, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'),
                 json_extract(j.value, '$[2]'), json(json_extract(j.value, '$[3]')), ${computedAt}
          from json_each(${JSON.stringify(rows)}) j`),
        ...alongside,
        markRun(asOfDate, computedAt),
      ]);
      return rows.length;
    },

    /** After the queue's retries: the date is logged as failed and the schedule moves past it. */
    async markFailed(asOfDate: string, now: number) {
      await db
        .insert(nightlyRuns)
        .values({ tenantId, asOfDate, status: 'failed', updatedAt: now })
        .onConflictDoUpdate({ target: [nightlyRuns.tenantId, nightlyRuns.asOfDate], set: { status: 'failed', updatedAt: now } });
    },

    /** Per-pipeline stage rows of a date (the overall '' pipeline's duplicates left out). */
    async stageSnapshot(asOfDate: string) {
      return db
        .select()
        .from(dailyStats)
        .where(and(eq(dailyStats.tenantId, tenantId), eq(dailyStats.asOfDate, asOfDate), eq(dailyStats.dimension, 'stage'), ne(dailyStats.pipelineId, '')))
        .all();
    },

    /** Every row of a date, in key order. */
    async rows(asOfDate: string) {
      return db
        .select()
        .from(dailyStats)
        .where(and(eq(dailyStats.tenantId, tenantId), eq(dailyStats.asOfDate, asOfDate)))
        .orderBy(dailyStats.pipelineId, dailyStats.dimension, dailyStats.dimensionKey)
        .all();
    },
  };
}
