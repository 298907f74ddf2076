import { addDays } from '../dates';
import { addMonths, monthStart, periodEnd, quarterStart } from './calendar';
import { type CompiledHistory, compileHistories, dayOf, monthIndexOfDay, NEVER, stageAt } from './compiled';
import { seasonalNaive, trailingMean, wonBetween } from './estimators';
import { mulberry32, poisson } from './prng';
import { bandOf, CALENDAR_PRIOR_CLOSES, HAZARD_PRIOR_WEIGHT, HORIZON, learnSnapshotModel, MAX_HAZARD, quarterSlot, WINDOW } from './snapshot';
import type { OpportunityHistory, PeriodForecast, PeriodName, StageDef } from './types';

export interface ForecastOptions {
  asOf: string;
  fiscalYearStartMonth: number;
  seed: number;
  /** Monte Carlo draws (default 1000). */
  samples?: number;
}

const quantile = (sorted: number[], q: number): number => {
  if (!sorted.length) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  return a + ((sorted[hi] ?? a) - a) * (pos - lo);
};

/** Standard normal (Box–Muller). */
const normal = (rand: () => number): number => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
/** Log-normal factor with mean 1 and variance ≈ v. */
const factor = (rand: () => number, v: number): number => {
  if (v <= 0) return 1;
  const s2 = Math.log(1 + v);
  return Math.exp(Math.sqrt(s2) * normal(rand) - s2 / 2);
};

/**
 * Forecast for the current and next month and fiscal quarter as of `asOf`.
 * weighted: Σ amount × (override ?? configured probability) over open opportunities whose expected
 * close date is inside the period; a missing or slipped (before asOf) date counts in the current
 * month and current quarter (the vendor convention: "should have closed already, expected now").
 * calibrated = P50 (median) of a Monte Carlo over the open opportunities and new arrivals with the
 * month-end snapshot model (./snapshot.ts): hazards by stage × age band and months ahead, the
 * calendar factor, arrivals with a trend, parameter uncertainty and the learnt over-dispersion.
 * The expected close date is not used by the calibrated method.
 */
export function forecast(histories: OpportunityHistory[] | CompiledHistory, stages: StageDef[], options: ForecastOptions): PeriodForecast[] {
  const h = Array.isArray(histories) ? compileHistories(histories, stages) : histories;
  const { asOf, fiscalYearStartMonth: fy, seed } = options;
  const samples = options.samples ?? 1000;
  const A = dayOf(asOf);
  const byId = new Map(stages.map((s) => [s.id, s]));
  const kinds = h.stageIds.map((id) => byId.get(id)?.kind ?? 'open');
  const configured = h.stageIds.map((id) => byId.get(id)?.probability ?? 0);
  const model = learnSnapshotModel(h, stages, A, fy);

  // Open deals at asOf, grouped by cell.
  const cellDeals: number[][] = Array.from({ length: model.cells }, () => []);
  const openIdx: number[] = [];
  for (let i = 0; i < h.n; i++) {
    if ((h.created[i] ?? NEVER) > A || (h.closed[i] ?? NEVER) <= A) continue;
    const stage = stageAt(h, i, A);
    if (kinds[stage] !== 'open') continue;
    openIdx.push(i);
    const cell = model.cellOf(stage, bandOf(A - (h.created[i] ?? A)));
    if (cell >= 0) cellDeals[cell]?.push(i);
  }

  const month = monthStart(asOf);
  const quarter = quarterStart(asOf, fy);
  const periods: [PeriodName, string, number][] = [
    ['currentMonth', month, 1], ['nextMonth', addMonths(month, 1), 1],
    ['currentQuarter', quarter, 3], ['nextQuarter', addMonths(quarter, 3), 3],
  ];
  const H = HORIZON;
  const firstTarget = model.origin + 1;
  return periods.map(([period, start, months], index) => {
    const end = periodEnd(start, months);
    const current = start <= asOf;
    const startM = monthIndexOfDay(dayOf(start));
    const endM = startM + months - 1;
    const closedWon = current ? wonBetween(h, start, asOf) : 0;
    const expectedInPeriod = (i: number): boolean => {
      const e = h.expectedClose[i] ?? NEVER;
      return e !== NEVER && e > A ? e >= dayOf(start) && e <= dayOf(end) : current && (months === 3 || start === month);
    };
    let weighted = 0;
    for (const i of openIdx) {
      if (!expectedInPeriod(i)) continue;
      const o = h.override[i] ?? Number.NaN;
      weighted += (h.amount[i] ?? 0) * (Number.isNaN(o) ? (configured[stageAt(h, i, A)] ?? 0) : o);
    }

    const rand = mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    const calW = [1, 1, 1];
    const hazard = (arr: Float64Array, cell: number, k: number, slot: number) => arr[(cell * H + Math.min(k, H) - 1) * 3 + slot] ?? 0;
    const newCell = model.cells - 1;
    const firstInPeriod = Math.max(startM, firstTarget);
    const dispersion = model.dispersion[Math.min(WINDOW, endM - firstInPeriod + 1) - 1]?.[quarterSlot(firstInPeriod, fy)] ?? 0;
    const totals: number[] = [];
    const sizes = model.sizes;
    const cumulative = new Float64Array(sizes.length);
    for (let s = 0; s < samples; s++) {
      let total = closedWon;
      for (let m = 0; m < 3; m++) {
        const v = 1 / ((model.calendarCloses[m] ?? 0) + CALENDAR_PRIOR_CLOSES);
        calW[m] = factor(rand, v);
      }
      // One shock for the whole period, with the over-dispersion measured over windows of its length.
      const shock = factor(rand, dispersion);
      // P(won inside the period) of a deal in `cell` at risk from month `from` (k = 1 there).
      const inPeriod = (cell: number, cellFactor: number, from: number): number => {
        let survive = 1;
        let p = 0;
        for (let t = from; t <= endM; t++) {
          const k = t - from + 1;
          const part = t === firstTarget ? model.remaining : 1;
          const slot = quarterSlot(t, fy);
          const hw = Math.min(MAX_HAZARD, hazard(model.winBy, cell, k, slot) * cellFactor * (calW[slot] ?? 1) * shock) * part;
          const hl = Math.min(MAX_HAZARD, hazard(model.lossBy, cell, k, slot)) * part;
          if (t >= startM) p += survive * hw;
          survive *= Math.max(0, 1 - hw - hl);
          if (survive <= 0) break;
        }
        return Math.min(1, p);
      };
      for (let c = 0; c < newCell; c++) {
        const deals = cellDeals[c] as number[];
        if (!deals.length) continue;
        const p = inPeriod(c, factor(rand, 1 / ((model.closes[c] ?? 0) + HAZARD_PRIOR_WEIGHT)), firstTarget);
        if (p <= 0) continue;
        for (const i of deals) if (rand() < p) total += h.amount[i] ?? 0;
      }
      if (sizes.length) {
        // Bayesian bootstrap: the size distribution itself is uncertain — each draw reweighs the
        // observed amounts with Dirichlet(1, …, 1) weights (cumulative, for a binary search).
        let acc = 0;
        for (let q = 0; q < sizes.length; q++) { acc += -Math.log(Math.max(rand(), 1e-12)); cumulative[q] = acc; }
        const pickSize = (): number => {
          const u = rand() * acc;
          let lo = 0;
          let hi = sizes.length - 1;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if ((cumulative[mid] ?? 0) < u) lo = mid + 1;
            else hi = mid;
          }
          return sizes[lo] ?? 0;
        };
        const newFactor = factor(rand, 1 / ((model.closes[newCell] ?? 0) + HAZARD_PRIOR_WEIGHT));
        const lineError = normal(rand); // one draw of the arrival line per simulation
        for (let t = firstTarget; t <= endM; t++) {
          const rate = Math.max(0, model.arrivals(t) + lineError * model.arrivalsError(t));
          const expected = rate * (t === firstTarget ? model.remaining : 1) * inPeriod(newCell, newFactor, t);
          const winners = poisson(expected, rand);
          for (let w = 0; w < winners; w++) total += pickSize();
        }
      }
      totals.push(total);
    }
    totals.sort((a, b) => a - b);
    const p50 = Math.round(quantile(totals, 0.5));
    const mean = totals.length ? totals.reduce((s, t) => s + t, 0) / totals.length : closedWon;
    return {
      period, start, end, closedWon, weighted: Math.round(weighted),
      calibrated: p50, mean: Math.round(mean), p10: Math.round(quantile(totals, 0.1)), p50, p90: Math.round(quantile(totals, 0.9)),
      trailingMean: Math.round(trailingMean(h, start, months, asOf)),
      seasonalNaive: Math.round(seasonalNaive(h, start, months, asOf)),
    };
  });
}

/** HubSpot's accuracy: max(0, 1 − |actual − forecast| / actual); 1 when both are 0, 0 when only actual is 0. */
export function accuracy(actual: number, predicted: number): number {
  if (actual === 0) return predicted === 0 ? 1 : 0;
  return Math.max(0, 1 - Math.abs(actual - predicted) / actual);
}

/** Mean absolute percentage error as a fraction (0.22 = 22%), skipping actual = 0; null if none left. */
export function mape(pairs: { actual: number; predicted: number }[]): number | null {
  const used = pairs.filter((p) => p.actual !== 0);
  if (!used.length) return null;
  return used.reduce((s, p) => s + Math.abs(p.actual - p.predicted) / Math.abs(p.actual), 0) / used.length;
}

/** Share of rows with p10 ≤ actual ≤ p90 (null for no rows). */
export function coverage(rows: { actual: number; p10: number; p90: number }[]): number | null {
  if (!rows.length) return null;
  return rows.filter((r) => r.actual >= r.p10 && r.actual <= r.p90).length / rows.length;
}

export interface BacktestRow {
  periodStart: string;
  actual: number;
  weighted: number;
  calibrated: number;
  trailingMean: number;
  seasonalNaive: number;
  p10: number;
  p90: number;
}

/**
 * For each period starting in [from, to]: the forecast made as of the day before the period
 * starts (only information up to then), against the revenue actually won in the period.
 */
export function backtest(
  histories: OpportunityHistory[] | CompiledHistory, stages: StageDef[],
  options: { from: string; to: string; period: 'month' | 'quarter'; seed: number; fiscalYearStartMonth?: number; samples?: number },
): { rows: BacktestRow[]; mape: { weighted: number | null; calibrated: number | null; trailingMean: number | null; seasonalNaive: number | null }; coverage: number | null } {
  const fy = options.fiscalYearStartMonth ?? 1;
  const months = options.period === 'month' ? 1 : 3;
  const compiled = Array.isArray(histories) ? compileHistories(histories, stages) : histories;
  const rows: BacktestRow[] = [];
  let start = options.period === 'month' ? monthStart(options.from) : quarterStart(options.from, fy);
  if (start < options.from) start = addMonths(start, months);
  for (; start <= options.to; start = addMonths(start, months)) {
    const asOf = addDays(start, -1);
    const result = forecast(compiled, stages, { asOf, fiscalYearStartMonth: fy, seed: options.seed, samples: options.samples });
    const f = result.find((p) => p.period === (months === 1 ? 'nextMonth' : 'nextQuarter')) as PeriodForecast;
    rows.push({
      periodStart: start, actual: wonBetween(compiled, start, periodEnd(start, months)),
      weighted: f.weighted, calibrated: f.calibrated, trailingMean: f.trailingMean, seasonalNaive: f.seasonalNaive, p10: f.p10, p90: f.p90,
    });
  }
  const score = (key: 'weighted' | 'calibrated' | 'trailingMean' | 'seasonalNaive') => mape(rows.map((r) => ({ actual: r.actual, predicted: r[key] })));
  return {
    rows,
    mape: { weighted: score('weighted'), calibrated: score('calibrated'), trailingMean: score('trailingMean'), seasonalNaive: score('seasonalNaive') },
    coverage: coverage(rows),
  };
}
