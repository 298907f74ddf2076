// The nightly statistics' history-based reads (worker/repos/stats.ts runs them): the as-of state
// every read shares, sales-cycle medians, the stage-to-stage funnel with time in stage, and
// follow-up effectiveness by channel and by frequency band. Each is ONE statement whatever the
// tenant's size: aggregates and window functions over the tenant's rows, no per-row subqueries.
//
// Definitions (docs/reports-contract.md):
// - Cycle: days from created_at to the closing change of opportunities won at the end of the
//   date; the median is the middle value (mean of the two middle ones for an even count), taken
//   in SQL per (pipeline, dimension, key) so only one number per row comes back.
// - Funnel, per open or won stage: `entered` = opportunities with a change into the stage before
//   the end of the date (creation included); `advanced` = of those, how many have a LATER change
//   (after their first entry) into an open stage of higher position in the same pipeline or into
//   a won stage — null for won stages, the funnel's end. A skipped stage is never entered; moving
//   backwards does not advance. Time in stage = mean length of the finished stays (a change into
//   the stage until the opportunity's next change, both before the end of the date); a stay
//   still running at the end of the date is censored and left out.
// - Channel (activity kind): `done` = follow-ups of that kind done before the end of the date (on
//   any opportunity existing then); `won` / `lost` = closed opportunities with ≥ 1 follow-up of
//   that kind done at or before their close. Owner = the opportunity's owner.
// - Band: done follow-ups at or before the close per week of the opportunity's life (created →
//   close, at least one day so that a same-day close is not a division by zero): `none` (0),
//   `<0.5`, `0.5-1`, `1-2`, `2+` (lower bounds inclusive), among opportunities closed at the end
//   of the date.
import { sql, type SQL } from 'drizzle-orm';
import { activities, opportunities, opportunityProducts, stageChanges, stages } from '../../db/schema';
import { DAY_MILLISECONDS } from '../services/dates';

// Constants inlined as SQL (not bound parameters, which D1 limits to 100 per statement).
const DAY = sql.raw(`${DAY_MILLISECONDS}.0`);
const WEEK = sql.raw(`${7 * DAY_MILLISECONDS}.0`);

/**
 * CTEs `latest` and `st`: every opportunity existing at `endOfDay` with its state then (the
 * latest stage change before it: stage, kind, amount, changed_at = when it entered that state).
 * Ties at the same instant go to the later-inserted change (rowid), as on the history list.
 */
export function asOfState(tenantId: string, endOfDay: number): SQL {
  return sql`
      latest as (
        select sc.opportunity_id, sc.to_stage_id, sc.amount, sc.changed_at,
               row_number() over (partition by sc.opportunity_id order by sc.changed_at desc, sc.rowid desc) as rn
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
      )`;
}

export interface MedianRow extends Record<string, unknown> { pipelineId: string; dimension: string; dimensionKey: string; median: number }

/**
 * Median days created → won per (pipeline and '', dimension, key) for the dimensions that
 * partition opportunities (total, stage, owner, type, source) and product (an opportunity in
 * each of its products). Lost reasons have no won deals, hence no cycle.
 */
export function cycleMedians(tenantId: string, endOfDay: number): SQL {
  return sql`
    with ${asOfState(tenantId, endOfDay)},
      won as materialized (select pipeline_id, id, stage_id, owner_id, type_id, source_id, (changed_at - created_at) / ${DAY} as days from st where kind = 'won'),
      -- D1 allows at most 5 terms in a compound select: the dimensions come from json_each.
      keyed as materialized (
        select w.pipeline_id, d.value as dimension,
               case d.value when 'total' then '' when 'stage' then w.stage_id when 'owner' then w.owner_id
                            when 'type' then w.type_id else w.source_id end as dimension_key, w.days, w.id
        from won w join json_each('["total","stage","owner","type","source"]') d
        union all select distinct w.pipeline_id, 'product', op.product_id, w.days, w.id from won w
          cross join ${opportunityProducts} op on op.tenant_id = ${tenantId} and op.opportunity_id = w.id
      ),
      everywhere as (select pipeline_id, dimension, dimension_key, days from keyed union all select '', dimension, dimension_key, days from keyed),
      ranked as (
        select pipeline_id, dimension, dimension_key, days,
               row_number() over (partition by pipeline_id, dimension, dimension_key order by days) as rn,
               count(*) over (partition by pipeline_id, dimension, dimension_key) as n
        from everywhere
      )
    select pipeline_id as "pipelineId", dimension, dimension_key as "dimensionKey", avg(days) as median
    from ranked where rn in ((n + 1) / 2, (n + 2) / 2)
    group by pipeline_id, dimension, dimension_key`;
}

export interface FunnelRow extends Record<string, unknown> {
  pipelineId: string; stageId: string; kind: string; position: number; entered: number; advanced: number; stays: number; stayMs: number;
}

/** Funnel counts and finished stays per open or won stage existing at the end of the date. */
export function funnel(tenantId: string, endOfDay: number): SQL {
  return sql`
    with ch as (
      select sc.opportunity_id, sc.to_stage_id as stage_id, s.kind, s.position, sc.changed_at,
             row_number() over (partition by sc.opportunity_id, sc.to_stage_id order by sc.changed_at, sc.rowid) as entry,
             max(case when s.kind = 'open' then s.position end) over later as later_open_position,
             max(s.kind = 'won') over later as later_won,
             lead(sc.changed_at) over (partition by sc.opportunity_id order by sc.changed_at, sc.rowid) as left_at
      from ${stageChanges} sc
      join ${opportunities} o on o.id = sc.opportunity_id and o.tenant_id = ${tenantId}
      join ${stages} s on s.id = sc.to_stage_id and s.tenant_id = ${tenantId}
      where sc.tenant_id = ${tenantId} and sc.changed_at < ${endOfDay} and o.created_at < ${endOfDay}
      window later as (partition by sc.opportunity_id, s.pipeline_id order by sc.changed_at, sc.rowid rows between 1 following and unbounded following)
    ),
    per_stage as (
      select stage_id,
             sum(entry = 1) as entered,
             sum(entry = 1 and (later_won = 1 or later_open_position > position)) as advanced,
             count(left_at) as stays,
             total(left_at - changed_at) as stay_ms
      from ch where kind in ('open', 'won') group by stage_id
    )
    select s.pipeline_id as "pipelineId", s.id as "stageId", s.kind, s.position,
           coalesce(p.entered, 0) as entered, coalesce(p.advanced, 0) as advanced,
           coalesce(p.stays, 0) as stays, coalesce(p.stay_ms, 0) as "stayMs"
    from ${stages} s left join per_stage p on p.stage_id = s.id
    where s.tenant_id = ${tenantId} and s.kind in ('open', 'won') and (s.created_at < ${endOfDay} or p.entered > 0)`;
}

export interface EffectivenessRow extends Record<string, unknown> {
  section: 'channel' | 'band'; pipelineId: string; ownerId: string; key: string; done: number | null; won: number; lost: number;
}

/** Follow-up counts by channel and by frequency band, per pipeline and opportunity owner. */
export function followUpEffectiveness(tenantId: string, endOfDay: number): SQL {
  return sql`
    with ${asOfState(tenantId, endOfDay)},
      -- Activities are joined as the base table through activities_opp_idx (an index lookup per
      -- opportunity), never as a CTE, which SQLite would scan once per opportunity. The unary
      -- + keeps the planner off activities_done_idx: without ANALYZE statistics (D1) it would
      -- otherwise read every done follow-up of the tenant once per opportunity.
      per_kind as (
        select st.pipeline_id, st.owner_id, st.kind as outcome, a.kind as channel, count(*) as done,
               sum(st.kind in ('won', 'lost') and a.done_at <= st.changed_at) as before_close
        from st join ${activities} a on a.tenant_id = ${tenantId} and a.opportunity_id = st.id and +a.done_at < ${endOfDay} and a.created_at < ${endOfDay}
        group by st.id, a.kind
      ),
      closed as (
        select st.pipeline_id, st.owner_id, st.kind,
               count(a.done_at) as n, max(st.changed_at - st.created_at, ${DAY}) as life
        from st left join ${activities} a
          on a.tenant_id = ${tenantId} and a.opportunity_id = st.id and +a.done_at <= st.changed_at and +a.done_at < ${endOfDay} and a.created_at < ${endOfDay}
        where st.kind in ('won', 'lost')
        group by st.id
      ),
      banded as (
        select pipeline_id, owner_id, kind,
               case when n = 0 then 'none'
                    when n * ${WEEK} / life < 0.5 then '<0.5'
                    when n * ${WEEK} / life < 1 then '0.5-1'
                    when n * ${WEEK} / life < 2 then '1-2'
                    else '2+' end as band
        from closed
      )
    select 'channel' as section, pipeline_id as "pipelineId", owner_id as "ownerId", channel as key,
           sum(done) as done, sum(outcome = 'won' and before_close > 0) as won, sum(outcome = 'lost' and before_close > 0) as lost
    from per_kind group by pipeline_id, owner_id, channel
    union all
    select 'band', pipeline_id, owner_id, band, null, sum(kind = 'won'), sum(kind = 'lost')
    from banded group by pipeline_id, owner_id, band`;
}
