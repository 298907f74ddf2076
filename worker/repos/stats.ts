// Nightly statistics for one tenant and one local date, computed in SQL aggregates as the data
// stood at the END of that date (stage history and opportunities created before it), and
// written atomically (delete the date's rows + one insert + the run marker in ONE batch).
//
// Statements per tenant and date, whatever the tenant's size: STATS_STATEMENTS_PER_RUN = 8
//   reads (5):          1 opportunity-state aggregate (with per-opportunity follow-up counts) +
//                       1 per-product aggregate + 1 cycle medians + 1 funnel and time in stage +
//                       1 follow-up channels and frequency bands (stats-effectiveness.ts)
//   writes (one batch): 1 delete + 1 insert (all rows as ONE JSON parameter, expanded by
//                       json_each, so the row count never changes the statement count) + 1 run marker
// (the consumer reads the workspace row once more before calling this: 9 in all per message).
// The forecasts (worker/repos/forecasts.ts) add FORECAST_READ_STATEMENTS = 2 reads (opportunities
// with their stage changes, stages) and FORECAST_WRITE_STATEMENTS = 2 writes (delete + insert)
// passed in as `alongside`, so the write batch holds 1 + 1 + 2 + 1 = 5 statements, and a nightly
// message runs 1 + 5 + 2 + 5 = 13 statements in all, whatever the tenant's size.
// The largest read binds 38 parameters.
// Every read goes over the tenant's rows through indexes (stage_changes_time_idx, primary keys,
// activities_opp_idx, opportunity_products_opp_idx) with sorts and window functions, never a
// scan per opportunity: ~2–5 s in local workerd for 20,000 opportunities and 60,000 follow-ups;
// the same reads on 100,000 / 500,000 in plain SQLite 3.40 without ANALYZE: 2–4 s each, ~14 s.
//
// Rows: one per (pipeline_id — '' for all pipelines —, dimension, dimension_key), dimensions
// 'total' (key ''), 'stage', 'owner', 'type', 'source', 'product', 'lost_reason' ('' key = none),
// 'funnel' (stageId), 'followup_owner' (userId), 'followup_channel' (activity kind),
// 'followup_channel_owner' ('userId:kind'), 'followup_band' (band), 'followup_band_owner'
// ('userId:band'); see docs/reports-contract.md. The overall total row always exists (zeros for
// an empty tenant), as does a total row for every pipeline with stages at the date.
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
// - Cycle, average won amount, velocity: every row but lost_reason gets cycleMedianDays (median
//   days created → won, won at the end of the date), avgWonAmount (wonAmountAll / wonCountAll)
//   and velocityPerDay = openCount × winRate90 × avgWonAmount / cycleMedianDays (null if a part
//   is null or the cycle is 0).
// - Follow-ups (activities created before the end of the date; done only if done_at is before
//   it), on the rows' opportunities: followUpsDone28 = done in the 28 days ending with the date
//   (followUpsDone28Open: on the ones open at the end) → followUpsPerOpenPerWeek =
//   followUpsDone28Open / openCount / 4; plannedCount = open ones with a not-done follow-up due
//   at or after the end → plannedShare = plannedCount / openCount; overdueCount = not-done
//   follow-ups due before the end, on open ones; staleCount = open ones created at least 14 days
//   before the end (boundary included) with no follow-up done in those 14 days. Rates are null
//   when nothing is open.
import { and, eq, ne, sql, type SQL } from 'drizzle-orm';
import { activities, dailyStats, nightlyRuns, opportunityProducts } from '../../db/schema';
import { DAY_MILLISECONDS, addDays, localTimeToInstant } from '../services/dates';
import { asOfState, cycleMedians, followUpEffectiveness, funnel, type EffectivenessRow, type FunnelRow, type MedianRow } from './stats-effectiveness';
import { runAtomically, type Statement } from './batch';
import type { RepoScope } from './scope';

export const STATS_STATEMENTS_PER_RUN = 8;

export const STATS_DIMENSIONS = [
  'total', 'stage', 'owner', 'type', 'source', 'product', 'lost_reason',
  'funnel', 'followup_owner', 'followup_channel', 'followup_channel_owner', 'followup_band', 'followup_band_owner',
] as const;
export type StatsDimension = (typeof STATS_DIMENSIONS)[number];

const PERIODS = ['Day', 'Mtd', 'Qtd'] as const;
const SUMMED = [
  'openCount', 'openAmount', 'weightedAmount',
  ...PERIODS.flatMap((p) => [`createdCount${p}`, `createdAmount${p}`, `wonCount${p}`, `wonAmount${p}`, `lostCount${p}`, `lostAmount${p}`]),
  'wonCount90', 'lostCount90', 'wonAmount90', 'wonCountAll', 'lostCountAll', 'wonAmountAll', 'lostAmountAll',
  'followUpsDone28', 'followUpsDone28Open', 'plannedCount', 'overdueCount', 'staleCount',
] as const;
const FOLLOWUP_OWNER = [
  'openCount', 'followUpsDone28', 'followUpsDone28Open', 'followUpsPerOpenPerWeek', 'plannedCount', 'plannedShare', 'overdueCount', 'staleCount',
] as const;
export type StatsMetrics = Record<string, number | null>;

interface GroupRow extends Record<string, unknown> {
  pipelineId: string; stageId: string; kind: string; ownerId: string; typeId: string; sourceId: string; lostReasonId: string; productId?: string;
}

// Instants bounding the periods: the end of the date and the starts of the day, month, fiscal
// quarter and trailing 90 / 28 / 14 days (tenant-local midnights).
interface Instants { end: number; Day: number; Mtd: number; Qtd: number; '90': number; '28': number; '14': number }

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
  const aggregate = (at: Instants, byProduct: boolean) => {
    const periodColumns = PERIODS.map((p) => {
      const from = at[p];
      return sql`,
        sum(st.created_at >= ${from}) as ${sql.raw(`"createdCount${p}"`)},
        total(case when st.created_at >= ${from} then st.amount end) as ${sql.raw(`"createdAmount${p}"`)},
        sum(st.kind = 'won' and st.changed_at >= ${from}) as ${sql.raw(`"wonCount${p}"`)},
        total(case when st.kind = 'won' and st.changed_at >= ${from} then st.amount end) as ${sql.raw(`"wonAmount${p}"`)},
        sum(st.kind = 'lost' and st.changed_at >= ${from}) as ${sql.raw(`"lostCount${p}"`)},
        total(case when st.kind = 'lost' and st.changed_at >= ${from} then st.amount end) as ${sql.raw(`"lostAmount${p}"`)}`;
    });
    // Per product: one row per (opportunity, product) however many lines it has, found through
    // opportunity_products_opp_idx.
    const productJoin: SQL = byProduct
      ? sql`join ${opportunityProducts} op on op.tenant_id = ${tenantId} and op.opportunity_id = per_opp.id`
      : sql``;
    const source: SQL = byProduct ? sql`(select per_opp.*, op.product_id from per_opp ${productJoin} group by per_opp.id, op.product_id)` : sql`per_opp`;
    const productColumn = byProduct ? sql`, st.product_id as "productId"` : sql``;
    const productGroup = byProduct ? sql`, st.product_id` : sql``;
    return sql`
      with ${asOfState(tenantId, at.end)},
      -- Per opportunity: follow-ups done in the last 28 / 14 days, and the ones not done by the
      -- end of the date (planned ahead or overdue), read through activities_opp_idx. Joining
      -- the base table (not a grouped CTE) keeps every lookup an index lookup.
      per_opp as (
        select st.*,
               coalesce(sum(a.done_at >= ${at['28']} and a.done_at < ${at.end}), 0) as done28,
               coalesce(max(a.done_at >= ${at['14']} and a.done_at < ${at.end}), 0) as done14,
               coalesce(max((a.done_at is null or a.done_at >= ${at.end}) and a.due_at >= ${at.end}), 0) as planned,
               coalesce(sum((a.done_at is null or a.done_at >= ${at.end}) and a.due_at < ${at.end}), 0) as overdue
        from st left join ${activities} a on a.tenant_id = ${tenantId} and a.opportunity_id = st.id and a.created_at < ${at.end}
        group by st.id
      )
      select st.pipeline_id as "pipelineId", st.stage_id as "stageId", st.kind as "kind", st.owner_id as "ownerId",
             st.type_id as "typeId", st.source_id as "sourceId", st.lost_reason_id as "lostReasonId"${productColumn},
             sum(st.kind = 'open') as "openCount",
             total(case when st.kind = 'open' then st.amount end) as "openAmount",
             total(case when st.kind = 'open' then st.amount * st.probability / 100.0 end) as "weightedAmount"
             ${sql.join(periodColumns, sql``)},
             sum(st.kind = 'won' and st.changed_at >= ${at['90']}) as "wonCount90",
             sum(st.kind = 'lost' and st.changed_at >= ${at['90']}) as "lostCount90",
             total(case when st.kind = 'won' and st.changed_at >= ${at['90']} then st.amount end) as "wonAmount90",
             sum(st.kind = 'won') as "wonCountAll",
             sum(st.kind = 'lost') as "lostCountAll",
             total(case when st.kind = 'won' then st.amount end) as "wonAmountAll",
             total(case when st.kind = 'lost' then st.amount end) as "lostAmountAll",
             total(st.done28) as "followUpsDone28",
             total(case when st.kind = 'open' then st.done28 end) as "followUpsDone28Open",
             total(case when st.kind = 'open' then st.planned end) as "plannedCount",
             total(case when st.kind = 'open' then st.overdue end) as "overdueCount",
             sum(st.kind = 'open' and st.created_at <= ${at['14']} and st.done14 = 0) as "staleCount"
      from ${source} st
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
      const at: Instants = {
        end: localTimeToInstant(addDays(asOfDate, 1), 0, tz),
        Day: localTimeToInstant(asOfDate, 0, tz),
        Mtd: localTimeToInstant(`${asOfDate.slice(0, 8)}01`, 0, tz),
        Qtd: localTimeToInstant(fiscalQuarterStart(asOfDate, tenant.fiscalYearStartMonth), 0, tz),
        '90': localTimeToInstant(addDays(asOfDate, -89), 0, tz),
        '28': localTimeToInstant(addDays(asOfDate, -27), 0, tz),
        '14': localTimeToInstant(addDays(asOfDate, -13), 0, tz),
      };
      const groups = await db.all<GroupRow>(aggregate(at, false));
      const productGroups = await db.all<GroupRow>(aggregate(at, true));
      const medians = await db.all<MedianRow>(cycleMedians(tenantId, at.end));
      const funnelRows = await db.all<FunnelRow>(funnel(tenantId, at.end));
      const effectiveness = await db.all<EffectivenessRow>(followUpEffectiveness(tenantId, at.end));

      const acc = new Map<string, StatsMetrics>();
      const entry = (pipelineId: string, dimension: StatsDimension, key: string, zero: readonly string[]) => {
        const id = JSON.stringify([pipelineId, dimension, key]);
        let metrics = acc.get(id);
        if (!metrics) { metrics = Object.fromEntries(zero.map((m) => [m, 0])); acc.set(id, metrics); }
        return metrics;
      };
      const add = (pipelineId: string, dimension: StatsDimension, key: string, row: Record<string, unknown>, fields: readonly string[]) => {
        const metrics = entry(pipelineId, dimension, key, fields);
        for (const m of fields) metrics[m] = (metrics[m] ?? 0) + Number(row[m] ?? 0);
      };
      // The overall total exists even for an empty tenant (zeros, rates null).
      entry('', 'total', '', SUMMED);
      for (const row of groups) {
        for (const pipelineId of [row.pipelineId, '']) {
          add(pipelineId, 'total', '', row, SUMMED);
          add(pipelineId, 'stage', row.stageId, row, SUMMED);
          add(pipelineId, 'owner', row.ownerId, row, SUMMED);
          add(pipelineId, 'type', row.typeId, row, SUMMED);
          add(pipelineId, 'source', row.sourceId, row, SUMMED);
          if (row.kind === 'lost') add(pipelineId, 'lost_reason', row.lostReasonId, row, SUMMED);
        }
      }
      for (const row of productGroups) {
        for (const pipelineId of [row.pipelineId, '']) add(pipelineId, 'product', row.productId!, row, SUMMED);
      }
      for (const row of funnelRows) {
        // Every pipeline with stages has a total row, zeros when nothing is in it yet.
        entry(row.pipelineId, 'total', '', SUMMED);
        for (const pipelineId of [row.pipelineId, '']) {
          const won = row.kind === 'won';
          const entered = Number(row.entered);
          const advanced = won ? null : Number(row.advanced);
          acc.set(JSON.stringify([pipelineId, 'funnel', row.stageId]), {
            position: Number(row.position), entered, advanced,
            conversion: advanced === null || entered === 0 ? null : advanced / entered,
            avgDaysInStage: Number(row.stays) > 0 ? Number(row.stayMs) / Number(row.stays) / DAY_MILLISECONDS : null,
          });
        }
      }
      for (const row of effectiveness) {
        const [dimension, fields] = row.section === 'channel' ? (['followup_channel', ['done', 'won', 'lost']] as const) : (['followup_band', ['won', 'lost']] as const);
        for (const pipelineId of [row.pipelineId, '']) {
          add(pipelineId, dimension, row.key, row, fields);
          add(pipelineId, `${dimension}_owner`, `${row.ownerId}:${row.key}`, row, fields);
        }
      }
      const cycle = new Map(medians.map((m) => [JSON.stringify([m.pipelineId, m.dimension, m.dimensionKey]), Number(m.median)]));

      const ratio = (a: number | null | undefined, b: number | null | undefined) => (b ? (a ?? 0) / b : null);
      for (const [id, metrics] of [...acc.entries()]) {
        const [pipelineId, dimension, key] = JSON.parse(id) as [string, StatsDimension, string];
        if (dimension.startsWith('followup_')) {
          metrics.winRate = ratio(metrics.won, (metrics.won ?? 0) + (metrics.lost ?? 0));
        } else if (dimension !== 'funnel') {
          for (const m of SUMMED) metrics[m] = Math.round(metrics[m] ?? 0);
          metrics.winRate90 = ratio(metrics.wonCount90, metrics.wonCount90! + metrics.lostCount90!);
          metrics.winRateAll = ratio(metrics.wonCountAll, metrics.wonCountAll! + metrics.lostCountAll!);
          metrics.cycleMedianDays = cycle.get(id) ?? null;
          const avgWon = ratio(metrics.wonAmountAll, metrics.wonCountAll);
          metrics.avgWonAmount = avgWon === null ? null : Math.round(avgWon);
          metrics.velocityPerDay = metrics.winRate90 === null || avgWon === null || !metrics.cycleMedianDays
            ? null
            : Math.round((metrics.openCount! * metrics.winRate90 * avgWon) / metrics.cycleMedianDays);
          metrics.followUpsPerOpenPerWeek = ratio(metrics.followUpsDone28Open, metrics.openCount! * 4);
          metrics.plannedShare = ratio(metrics.plannedCount, metrics.openCount);
        }
        if (dimension === 'owner') {
          // The owner's follow-up view, from the same groups.
          acc.set(JSON.stringify([pipelineId, 'followup_owner', key]), {
            ...Object.fromEntries(FOLLOWUP_OWNER.map((m) => [m, metrics[m] ?? null])),
            won: metrics.wonCountAll ?? 0, lost: metrics.lostCountAll ?? 0, winRate: metrics.winRateAll ?? null,
          });
        }
      }
      const rows = [...acc.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, metrics]) => [...(JSON.parse(id) as string[]), metrics]);
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
