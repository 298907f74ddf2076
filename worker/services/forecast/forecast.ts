import { addDays } from '../dates';
import { addMonths, daysBetween, monthInQuarter, monthStart, periodEnd, quarterStart } from './calendar';
import {
  arrivalRate, calibratedStageProbabilities, conditionalCloseProbability, monthInQuarterFactors,
  seasonalNaive, timeToCloseCurve, trailingMean, wonBetween,
} from './estimators';
import { asOfView, isOpen } from './history';
import { mulberry32, poisson } from './prng';
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

/**
 * Forecast for the current and next month and fiscal quarter as of `asOf`.
 * weighted: Σ amount × (override ?? configured probability) over open opportunities whose expected
 * close date is inside the period; a missing or slipped (before asOf) date counts in the current
 * month and current quarter (the vendor convention: "should have closed already, expected now").
 * calibrated = P50 of a Monte Carlo over open opportunities (learnt stage probability × KM
 * probability of closing in the rest of the month's quarter (KM conditioned on age) × the month's
 * seasonal share of that quarter) and Poisson arrivals of new ones. The expected close date is not
 * used by the calibrated method (timing is empirical) unless no close was ever observed, when
 * the opportunity counts in the period of its expected date (missing/slipped → now).
 */
export function forecast(histories: OpportunityHistory[], stages: StageDef[], options: ForecastOptions): PeriodForecast[] {
  const { asOf, fiscalYearStartMonth: fy, seed } = options;
  const samples = options.samples ?? 1000;
  const stageMap = new Map(stages.map((s) => [s.id, s]));
  const opps = asOfView(histories, asOf);
  const open = opps.filter((o) => isOpen(o, stageMap));
  const learnt = calibratedStageProbabilities(opps, stages);
  const curve = timeToCloseCurve(opps, asOf);
  const factors = monthInQuarterFactors(opps, asOf, fy);
  const rate = arrivalRate(opps, asOf);
  const wonAmounts = opps.filter((o) => o.outcome?.kind === 'won').map((o) => o.amount).sort((a, b) => a - b);
  const sizes = wonAmounts.length ? wonAmounts : opps.map((o) => o.amount).filter((a) => a > 0).sort((a, b) => a - b);
  const firstOpen = stages.filter((s) => s.kind === 'open').sort((a, b) => a.position - b.position)[0];
  const newWinProbability = firstOpen ? (learnt.get(firstOpen.id)?.probability ?? firstOpen.probability) : 0;

  const month = monthStart(asOf);
  const quarter = quarterStart(asOf, fy);
  const periods: [PeriodName, string, number][] = [
    ['currentMonth', month, 1], ['nextMonth', addMonths(month, 1), 1],
    ['currentQuarter', quarter, 3], ['nextQuarter', addMonths(quarter, 3), 3],
  ];
  return periods.map(([period, start, months], index) => {
    const end = periodEnd(start, months);
    const current = start <= asOf;
    const from = current ? addDays(asOf, 1) : start;
    // One slice per remaining month of the period, each carrying its share of its quarter.
    const slices: { from: string; to: string; factor: number }[] = [];
    for (let m = monthStart(from); m <= end; m = addMonths(m, 1)) {
      // Seasonality redistributes the quarter's close probability over its remaining months:
      // the slice gets P(close in the rest of its quarter) × f_m / Σ f over those months.
      const q = quarterStart(m, fy);
      const qFrom = q < from ? from : q;
      let sum = 0;
      for (let x = monthStart(qFrom); x < addMonths(q, 3); x = addMonths(x, 1)) sum += factors[monthInQuarter(x, fy) - 1] ?? 1;
      const share = (factors[monthInQuarter(m, fy) - 1] ?? 1) / (sum || 1);
      slices.push({ from: qFrom, to: periodEnd(q, 3), factor: share });
    }
    const closedWon = current ? wonBetween(opps, start, asOf) : 0;
    const expectedInPeriod = (o: (typeof open)[number]): boolean => (o.expectedCloseDate && o.expectedCloseDate > asOf
      ? o.expectedCloseDate >= start && o.expectedCloseDate <= end
      : current && (months === 3 || start === month));
    let weighted = 0;
    for (const o of open) {
      if (!expectedInPeriod(o)) continue;
      weighted += o.amount * (o.probabilityOverride ?? stageMap.get(o.stageId)?.probability ?? 0);
    }
    // Per open opportunity: probability of being won inside the period.
    const openProbabilities = open.map((o) => {
      const p = learnt.get(o.stageId)?.probability ?? stageMap.get(o.stageId)?.probability ?? 0;
      const age = daysBetween(o.createdDate, asOf);
      // No close ever observed: no timing to learn, fall back to the expected close date.
      if (!curve.times.length) return { amount: o.amount, probability: expectedInPeriod(o) ? p : 0 };
      let inPeriod = 0;
      for (const s of slices) inPeriod += s.factor * conditionalCloseProbability(curve, age, age + daysBetween(asOf, s.from), age + daysBetween(asOf, s.to));
      return { amount: o.amount, probability: Math.min(1, p * inPeriod) };
    });
    const arrivalDays = daysBetween(asOf, end);
    // Probability that an opportunity created on asOf + day closes inside the period (timing × season).
    const newClose = Array.from({ length: arrivalDays + 1 }, (_, day) => {
      let close = 0;
      for (const s of slices) {
        const lo = daysBetween(addDays(asOf, day), s.from);
        const hi = daysBetween(addDays(asOf, day), s.to);
        if (hi >= 0) close += s.factor * conditionalCloseProbability(curve, 0, Math.max(0, lo), hi);
      }
      return newWinProbability * Math.min(1, close);
    });
    const rand = mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    const totals: number[] = [];
    for (let i = 0; i < samples; i++) {
      let total = closedWon;
      for (const o of openProbabilities) if (rand() < o.probability) total += o.amount;
      const arrivals = poisson(rate * arrivalDays, rand);
      for (let a = 0; a < arrivals && sizes.length; a++) {
        const day = 1 + Math.floor(rand() * arrivalDays); // created on asOf + day
        if (rand() < (newClose[day] ?? 0)) total += sizes[Math.floor(rand() * sizes.length)] ?? 0;
      }
      totals.push(total);
    }
    totals.sort((a, b) => a - b);
    const p50 = Math.round(quantile(totals, 0.5));
    const mean = totals.length ? totals.reduce((s, t) => s + t, 0) / totals.length : closedWon;
    return {
      period, start, end, closedWon, weighted: Math.round(weighted),
      calibrated: p50, mean: Math.round(mean), p10: Math.round(quantile(totals, 0.1)), p50, p90: Math.round(quantile(totals, 0.9)),
      trailingMean: Math.round(trailingMean(opps, start, months)),
      seasonalNaive: Math.round(seasonalNaive(opps, start, months)),
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
  histories: OpportunityHistory[], stages: StageDef[],
  options: { from: string; to: string; period: 'month' | 'quarter'; seed: number; fiscalYearStartMonth?: number; samples?: number },
): { rows: BacktestRow[]; mape: { weighted: number | null; calibrated: number | null; trailingMean: number | null; seasonalNaive: number | null }; coverage: number | null } {
  const fy = options.fiscalYearStartMonth ?? 1;
  const months = options.period === 'month' ? 1 : 3;
  const all = asOfView(histories, '9999-12-31');
  const rows: BacktestRow[] = [];
  let start = options.period === 'month' ? monthStart(options.from) : quarterStart(options.from, fy);
  if (start < options.from) start = addMonths(start, months);
  for (; start <= options.to; start = addMonths(start, months)) {
    const asOf = addDays(start, -1);
    const result = forecast(histories, stages, { asOf, fiscalYearStartMonth: fy, seed: options.seed, samples: options.samples });
    const f = result.find((p) => p.period === (months === 1 ? 'nextMonth' : 'nextQuarter')) as PeriodForecast;
    rows.push({
      periodStart: start, actual: wonBetween(all, start, periodEnd(start, months)),
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
