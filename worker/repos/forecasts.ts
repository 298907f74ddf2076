// Forecasts from the tenant's own history (worker/services/forecast), stored with the nightly
// snapshot and read back for the API.
//
// Loading a history as it stood at the end of a local date takes FORECAST_READ_STATEMENTS = 2
// statements whatever the tenant's size: one over opportunities with each one's stage changes
// folded into a JSON array (json_group_array, via the (tenant_id, opportunity_id, changed_at)
// index), one for the stages. The rows are compiled in one pass into typed arrays
// (services/forecast/compiled.ts: day numbers, amounts, outcome, stage-entry events) and each row
// is released as soon as it is read, so no per-opportunity object outlives the load: 100,000
// opportunities with 200,000 stage changes are ~4 MB compiled. Instants become tenant-local days
// through a table of local midnights (one per day of the history, so daylight-saving zones are
// exact).
//
// Writing a date's forecast takes FORECAST_WRITE_STATEMENTS = 2 (delete the date's rows + one
// insert of all 12 rows as ONE JSON parameter expanded by json_each); they ride in the stats
// batch (worker/repos/stats.ts writeSnapshot's `alongside`) so stats and forecasts land together.
//
// Monte Carlo cost: each draw visits every open opportunity, so draws are bounded by a budget of
// MC_DRAW_BUDGET Bernoulli trials per period: samples = clamp(budget / open, MC_MIN_SAMPLES,
// MC_MAX_SAMPLES). 1,000 draws up to 4,000 open opportunities; 200 draws (the floor) for a
// tenant with 20,000 or more open, i.e. at most ~4 M trials per period, 16 M per night for a
// 100,000-opportunity tenant — well under a second of CPU, inside a queue consumer's limit.
import { and, eq, sql } from 'drizzle-orm';
import { forecasts, opportunities, stageChanges, stages } from '../../db/schema';
import { addDays, localDate, localTimeToInstant } from '../services/dates';
import {
  accuracy, calibratedStageProbabilities, type CompiledHistory, dayOf, forecast, HistoryBuilder, openCount, openCountTrend, periodEnd,
  type PeriodForecast, type PeriodName, type StageDef,
} from '../services/forecast';
import type { Statement } from './batch';
import type { RepoScope } from './scope';

export const FORECAST_READ_STATEMENTS = 2;
export const FORECAST_WRITE_STATEMENTS = 2;

export const MC_DRAW_BUDGET = 4_000_000;
export const MC_MIN_SAMPLES = 200;
export const MC_MAX_SAMPLES = 1000;

/** Monte Carlo draws for a tenant with `open` open opportunities (see the budget above). */
export function samplesFor(open: number): number {
  return Math.max(MC_MIN_SAMPLES, Math.min(MC_MAX_SAMPLES, Math.floor(MC_DRAW_BUDGET / Math.max(1, open))));
}

/** FNV-1a: the Monte Carlo seed of a tenant and date, so re-runs draw the same numbers. */
export function forecastSeed(tenantId: string, asOfDate: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${tenantId}:${asOfDate}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface ForecastTenant { timezone: string; fiscalYearStartMonth: number }

export interface StageInfo extends StageDef { pipelineId: string }

const PERIOD_ORDER: PeriodName[] = ['currentMonth', 'nextMonth', 'currentQuarter', 'nextQuarter'];
const kindOf = (period: PeriodName) => (period.endsWith('Month') ? 'month' : 'quarter');

/**
 * Instant → tenant-local day number, for instants from `first` up to `endOfDay` (exclusive, the end
 * of `lastDate`). Midnights are computed once per day; lookups are a binary search.
 */
function localDayNumber(first: number, lastDate: string, timeZone: string) {
  const starts: number[] = [];
  const dates: number[] = [];
  // Start a day early: the first instant's UTC date may be a day after its local date.
  let date = addDays(new Date(first).toISOString().slice(0, 10), -1);
  for (; date <= addDays(lastDate, 1); date = addDays(date, 1)) {
    starts.push(localTimeToInstant(date, 0, timeZone));
    dates.push(dayOf(date));
  }
  return (instant: number): number => {
    // Before the table (a change recorded before its opportunity's creation): compute directly.
    if (instant < (starts[0] ?? -Infinity)) return dayOf(localDate(instant, timeZone));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? Infinity) <= instant) lo = mid;
      else hi = mid - 1;
    }
    return dates[lo] ?? dayOf(lastDate);
  };
}

export interface ForecastView {
  asOfDate: string | null;
  computedAt: number | null;
  periods: (Omit<PeriodForecast, 'mean'> & { mean: number | null })[];
  trend: { series: { date: string; open: number }[]; projection: { date: string; open: number }[] };
  stageProbabilities: { stageId: string; pipelineId: string; configured: number; calibrated: number; won: number; closed: number }[];
}

export interface AccuracyRow {
  periodKind: 'month' | 'quarter';
  periodStart: string;
  periodEnd: string;
  forecastDate: string;
  actual: number;
  weighted: number | null;
  calibrated: number;
  p10: number | null;
  p90: number | null;
  accuracyWeighted: number | null;
  accuracyCalibrated: number;
  inRange: boolean | null;
}

export function forecastRepo({ db, tenantId }: RepoScope) {
  /** The tenant's stages as the engine wants them (probabilities as fractions). */
  async function loadStages(): Promise<StageInfo[]> {
    const rows = await db
      .select({ id: stages.id, pipelineId: stages.pipelineId, position: stages.position, kind: stages.kind, probability: stages.probability })
      .from(stages)
      .where(eq(stages.tenantId, tenantId));
    return rows.map((s) => ({ ...s, probability: s.probability / 100 }));
  }

  /**
   * The tenant's history as it stood at the end of `asOfDate` (tenant-local), compiled into typed
   * arrays (services/forecast/compiled.ts) in one pass over the rows: every opportunity created
   * by then with its stage changes up to then. Stage and outcome are those of the latest change;
   * the amount is the one recorded on that change (falling back to the opportunity's); expected
   * close date and override are not versioned, so their current values are used. No object per
   * opportunity is kept: rows are consumed (and released) as they are compiled.
   */
  async function loadCompiled(asOfDate: string, tenant: ForecastTenant, stageRows: StageInfo[]): Promise<CompiledHistory> {
    const endOfDay = localTimeToInstant(addDays(asOfDate, 1), 0, tenant.timezone);
    const rows: ([string, number, number | null, string, number | null, string | null, string] | undefined)[] = await db.values(sql`
      select o.id, o.created_at, o.amount, o.stage_id, o.probability_override, o.expected_close_date,
             (select json_group_array(json_array(c.changed_at, c.from_stage_id, c.to_stage_id, c.amount))
              from (select sc.changed_at, sc.from_stage_id, sc.to_stage_id, sc.amount
                    from ${stageChanges} sc
                    where sc.tenant_id = ${tenantId} and sc.opportunity_id = o.id and sc.changed_at < ${endOfDay}
                    order by sc.changed_at, sc.id) c)
      from ${opportunities} o
      where o.tenant_id = ${tenantId} and o.created_at < ${endOfDay}`);
    // Instants → local day numbers through a table of local midnights from the earliest creation
    // (earlier change instants, which only odd data has, are converted one by one).
    let first = endOfDay;
    for (const row of rows) if (row && row[1] < first) first = row[1];
    const toDay = localDayNumber(first, asOfDate, tenant.timezone);
    const builder = new HistoryBuilder(stageRows, rows.length);
    const kindOfStage = new Map(stageRows.map((s) => [s.id, s.kind]));
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!row) continue;
      rows[i] = undefined; // let the row go as soon as it is compiled
      const changes = JSON.parse(row[6] || '[]') as [number, string | null, string, number | null][];
      changes.sort((a, b) => a[0] - b[0]);
      const last = changes[changes.length - 1];
      const initial = changes[0]?.[1] ?? changes[0]?.[2] ?? row[3];
      builder.begin(toDay(row[1]), last?.[3] ?? row[2] ?? 0, builder.stage(initial), row[4] === null ? null : row[4] / 100, row[5] ? dayOf(row[5]) : null);
      for (const c of changes) builder.event(toDay(c[0]), builder.stage(c[2]));
      const kind = last ? kindOfStage.get(last[2]) : undefined;
      if (last && kind && kind !== 'open') builder.close(toDay(last[0]), kind);
    }
    return builder.build();
  }

  /** The forecast engine's view of the tenant's history at the end of a date. */
  async function compute(asOfDate: string, tenant: ForecastTenant) {
    const stageRows = await loadStages();
    const history = await loadCompiled(asOfDate, tenant, stageRows);
    const open = openCount(history, stageRows, asOfDate);
    const periods = forecast(history, stageRows, {
      asOf: asOfDate, fiscalYearStartMonth: tenant.fiscalYearStartMonth, seed: forecastSeed(tenantId, asOfDate), samples: samplesFor(open),
    });
    const learnt = calibratedStageProbabilities(history, stageRows, asOfDate);
    const stageProbabilities = stageRows
      .filter((s) => s.kind === 'open')
      .sort((a, b) => (a.pipelineId < b.pipelineId ? -1 : a.pipelineId > b.pipelineId ? 1 : a.position - b.position))
      .map((s) => {
        const l = learnt.get(s.id) ?? { won: 0, closed: 0, probability: s.probability };
        return { stageId: s.id, pipelineId: s.pipelineId, configured: s.probability, calibrated: l.probability, won: l.won, closed: l.closed };
      });
    return { periods, trend: openCountTrend(history, asOfDate), stageProbabilities, history, open, stages: stageRows };
  }

  return {
    loadStages,
    loadCompiled,

    /**
     * The delete + insert statements replacing the forecast rows of `asOfDate` (after the reads
     * above). Same data and date → identical rows: the Monte Carlo seed is (tenant, date).
     */
    async statementsFor(asOfDate: string, tenant: ForecastTenant, computedAt: number): Promise<Statement[]> {
      const { periods, trend, stageProbabilities } = await compute(asOfDate, tenant);
      const rows: [string, string, string, number | null, number, number | null, Record<string, unknown>][] = [];
      for (const p of periods) {
        const kind = kindOf(p.period);
        const base = { period: p.period, end: p.end };
        rows.push([p.start, kind, 'closed', null, p.closedWon, null, base]);
        rows.push([p.start, kind, 'weighted', null, p.weighted, null, base]);
        rows.push([p.start, kind, 'calibrated', p.p10, p.p50, p.p90, {
          ...base, mean: p.mean, trailingMean: p.trailingMean, seasonalNaive: p.seasonalNaive,
          ...(p.period === 'currentMonth' ? { trend, stageProbabilities } : {}),
        }]);
      }
      return [
        db.delete(forecasts).where(and(eq(forecasts.tenantId, tenantId), eq(forecasts.asOfDate, asOfDate))),
        db.insert(forecasts).select(sql`
          select ${tenantId}, ${asOfDate}, '', json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'),
                 json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'),
                 json_extract(j.value, '$[5]'), json(json_extract(j.value, '$[6]')), ${computedAt}
          from json_each(${JSON.stringify(rows)}) j`),
      ];
    },

    /** The stored forecast of `date` (the latest stored one when no date is given). */
    async stored(date?: string): Promise<ForecastView> {
      const day = date ?? sql`(select max(as_of_date) from ${forecasts} where tenant_id = ${tenantId} and pipeline_id = '')`;
      const rows = await db
        .select()
        .from(forecasts)
        .where(and(eq(forecasts.tenantId, tenantId), eq(forecasts.pipelineId, ''), sql`${forecasts.asOfDate} = ${day}`))
        .all();
      const empty: ForecastView = { asOfDate: null, computedAt: null, periods: [], trend: { series: [], projection: [] }, stageProbabilities: [] };
      if (!rows.length) return empty;
      const byPeriod = new Map<string, Partial<Record<'closed' | 'weighted' | 'calibrated', (typeof rows)[number]>>>();
      for (const row of rows) {
        const name = String(row.details?.period ?? '');
        byPeriod.set(name, { ...byPeriod.get(name), [row.method]: row });
      }
      const view: ForecastView = { ...empty, asOfDate: rows[0]!.asOfDate, computedAt: rows[0]!.computedAt };
      for (const period of PERIOD_ORDER) {
        const r = byPeriod.get(period);
        if (!r?.calibrated) continue;
        const c = r.calibrated;
        const d = c.details ?? {};
        view.periods.push({
          period, start: c.periodStart, end: periodEnd(c.periodStart, c.periodKind === 'month' ? 1 : 3),
          closedWon: r.closed?.expected ?? 0, weighted: r.weighted?.expected ?? 0,
          calibrated: c.expected, p10: c.low ?? c.expected, p50: c.expected, p90: c.high ?? c.expected,
          mean: typeof d.mean === 'number' ? d.mean : null,
          trailingMean: Number(d.trailingMean ?? 0), seasonalNaive: Number(d.seasonalNaive ?? 0),
        });
        if (period === 'currentMonth') {
          if (d.trend) view.trend = d.trend as ForecastView['trend'];
          if (Array.isArray(d.stageProbabilities)) view.stageProbabilities = d.stageProbabilities as ForecastView['stageProbabilities'];
        }
      }
      return view;
    },

    /**
     * Stored forecasts of periods that have closed, scored against what was won. A period is
     * scored once the snapshot of its LAST day exists: its `closed` row then holds everything won
     * in the period (the actual). The forecast scored is the one stored on the day before the
     * period started (the honest, ex-ante one); if that day has no snapshot, the earliest one
     * stored inside the period (which already knows part of the period — it is marked by its
     * forecastDate). accuracy = max(0, 1 − |actual − forecast| / actual) (HubSpot's definition);
     * inRange: P10 ≤ actual ≤ P90.
     */
    async accuracyHistory(): Promise<AccuracyRow[]> {
      const end = (alias: string) => sql.raw(`case ${alias}.period_kind when 'month' then date(${alias}.period_start, '+1 month', '-1 day') else date(${alias}.period_start, '+3 months', '-1 day') end`);
      const rows = await db.all<{
        periodKind: 'month' | 'quarter'; periodStart: string; periodEnd: string; forecastDate: string;
        actual: number; weighted: number | null; calibrated: number; p10: number | null; p90: number | null;
      }>(sql`
        with actual as (
          select a.period_kind, a.period_start, ${end('a')} as period_end, a.expected as actual
          from ${forecasts} a
          where a.tenant_id = ${tenantId} and a.pipeline_id = '' and a.method = 'closed' and a.as_of_date = ${end('a')}
        ),
        chosen as (
          select actual.*, coalesce(
            (select x.as_of_date from ${forecasts} x
             where x.tenant_id = ${tenantId} and x.pipeline_id = '' and x.method = 'calibrated' and x.period_kind = actual.period_kind
               and x.period_start = actual.period_start and x.as_of_date = date(actual.period_start, '-1 day')),
            (select min(x.as_of_date) from ${forecasts} x
             where x.tenant_id = ${tenantId} and x.pipeline_id = '' and x.method = 'calibrated' and x.period_kind = actual.period_kind
               and x.period_start = actual.period_start and x.as_of_date between actual.period_start and actual.period_end)
          ) as forecast_date
          from actual
        )
        select chosen.period_kind as "periodKind", chosen.period_start as "periodStart", chosen.period_end as "periodEnd",
               chosen.forecast_date as "forecastDate", chosen.actual as "actual", w.expected as "weighted",
               c.expected as "calibrated", c.low as "p10", c.high as "p90"
        from chosen
        join ${forecasts} c on c.tenant_id = ${tenantId} and c.pipeline_id = '' and c.as_of_date = chosen.forecast_date
          and c.period_start = chosen.period_start and c.period_kind = chosen.period_kind and c.method = 'calibrated'
        left join ${forecasts} w on w.tenant_id = ${tenantId} and w.pipeline_id = '' and w.as_of_date = chosen.forecast_date
          and w.period_start = chosen.period_start and w.period_kind = chosen.period_kind and w.method = 'weighted'
        order by chosen.period_start, chosen.period_kind`);
      return rows.map((r) => ({
        ...r,
        accuracyWeighted: r.weighted === null ? null : accuracy(r.actual, r.weighted),
        accuracyCalibrated: accuracy(r.actual, r.calibrated),
        inRange: r.p10 === null || r.p90 === null ? null : r.actual >= r.p10 && r.actual <= r.p90,
      }));
    },

    compute,
  };
}
