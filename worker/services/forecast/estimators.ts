import { addDays } from '../dates';
import { addMonths, daysBetween, monthInQuarter, monthStart, quarterStart } from './calendar';
import type { OpportunityAsOf } from './history';
import type { StageDef } from './types';

/** Pseudo-count of the Beta prior centred on the configured probability. */
export const STAGE_PRIOR_WEIGHT = 10;

/**
 * Per open stage: (won + k·configured) / (closed + k) over opportunities that were ever in the
 * stage and have closed by asOf. Thin history stays near the configured probability.
 */
export function calibratedStageProbabilities(opps: OpportunityAsOf[], stages: StageDef[], k = STAGE_PRIOR_WEIGHT): Map<string, { won: number; closed: number; probability: number }> {
  const result = new Map<string, { won: number; closed: number; probability: number }>();
  for (const stage of stages) {
    if (stage.kind !== 'open') continue;
    let won = 0;
    let closed = 0;
    for (const o of opps) {
      if (!o.outcome || !o.stagesVisited.has(stage.id)) continue;
      closed++;
      if (o.outcome.kind === 'won') won++;
    }
    result.set(stage.id, { won, closed, probability: (won + k * stage.probability) / (closed + k) });
  }
  return result;
}

/** Kaplan–Meier survival curve: S(t) = P(still open after t days). */
export interface Survival {
  /** Distinct event times ascending and S just after each. */
  times: number[];
  survival: number[];
}

export function kaplanMeier(observations: { duration: number; event: boolean }[]): Survival {
  const byTime = new Map<number, { events: number; censored: number }>();
  for (const o of observations) {
    const entry = byTime.get(o.duration) ?? { events: 0, censored: 0 };
    if (o.event) entry.events++;
    else entry.censored++;
    byTime.set(o.duration, entry);
  }
  let atRisk = observations.length;
  let s = 1;
  const times: number[] = [];
  const survival: number[] = [];
  for (const t of [...byTime.keys()].sort((a, b) => a - b)) {
    const { events, censored } = byTime.get(t) as { events: number; censored: number };
    if (events > 0) {
      s *= 1 - events / atRisk;
      times.push(t);
      survival.push(s);
    }
    atRisk -= events + censored;
  }
  return { times, survival };
}

/** S(t): plateaus after the last event time (deals that outlive all history stay open). */
export function survivalAt(curve: Survival, t: number): number {
  // Binary search for the last event time ≤ t: the nightly job calls this millions of times for
  // a large tenant (open opportunities × periods × slices).
  let lo = 0;
  let hi = curve.times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((curve.times[mid] ?? Infinity) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 1 : (curve.survival[lo - 1] ?? 1);
}

/** Days from creation to close; open opportunities censored at their age on asOf. */
export function timeToCloseCurve(opps: OpportunityAsOf[], asOf: string): Survival {
  return kaplanMeier(opps.map((o) => (o.outcome
    ? { duration: Math.max(0, daysBetween(o.createdDate, o.outcome.date)), event: true }
    : { duration: daysBetween(o.createdDate, asOf), event: false })));
}

/** P(closes on a day in [fromDay, toDay] after creation | still open at `age`). */
export function conditionalCloseProbability(curve: Survival, age: number, fromDay: number, toDay: number): number {
  const base = survivalAt(curve, age);
  if (base <= 0 || toDay < fromDay) return 0;
  return Math.max(0, (survivalAt(curve, Math.max(age, fromDay - 1)) - survivalAt(curve, toDay)) / base);
}

/** Opportunities created per day over the `days` days ending on asOf. */
export function arrivalRate(opps: OpportunityAsOf[], asOf: string, days = 90): number {
  const from = addDays(asOf, -(days - 1));
  return opps.filter((o) => o.createdDate >= from && o.createdDate <= asOf).length / days;
}

/** Won revenue in [from, to]. */
export function wonBetween(opps: OpportunityAsOf[], from: string, to: string): number {
  let sum = 0;
  for (const o of opps) if (o.outcome?.kind === 'won' && o.outcome.date >= from && o.outcome.date <= to) sum += o.amount;
  return sum;
}

/** Pseudo-count (in quarters) pulling the month-in-quarter factors toward 1. */
export const SEASONALITY_PRIOR_QUARTERS = 2;

/**
 * Month-in-quarter factors (index 0..2) of won revenue over the complete fiscal quarters before
 * asOf: raw_m = 3 · won_m / won_total, shrunk as (n·raw + k) / (n + k) with n = quarters seen.
 */
export function monthInQuarterFactors(opps: OpportunityAsOf[], asOf: string, fyStart: number, k = SEASONALITY_PRIOR_QUARTERS): number[] {
  const lastQuarterStart = quarterStart(asOf, fyStart);
  const won = [0, 0, 0];
  const quarters = new Set<string>();
  for (const o of opps) {
    if (o.outcome?.kind !== 'won' || o.outcome.date >= lastQuarterStart) continue;
    const index = monthInQuarter(o.outcome.date, fyStart) - 1;
    won[index] = (won[index] ?? 0) + o.amount;
  }
  const first = opps.reduce((min, o) => (o.createdDate < min ? o.createdDate : min), lastQuarterStart);
  for (let q = quarterStart(first, fyStart); q < lastQuarterStart; q = addMonths(q, 3)) quarters.add(q);
  const total = won.reduce((s, w) => s + w, 0);
  const n = total > 0 ? quarters.size : 0;
  return won.map((w) => (n * (total > 0 ? (3 * w) / total : 1) + k) / (n + k));
}

/** Mean won revenue of the 3 complete periods (of `months` months) before `periodStart`. */
export function trailingMean(opps: OpportunityAsOf[], periodStart: string, months: number): number {
  let sum = 0;
  for (let i = 1; i <= 3; i++) {
    const start = addMonths(periodStart, -i * months);
    sum += wonBetween(opps, start, addDays(addMonths(start, months), -1));
  }
  return sum / 3;
}

/**
 * Seasonal naive: months → the same month of the previous quarter (3 months back);
 * quarters → the same quarter of the previous year (12 months back).
 */
export function seasonalNaive(opps: OpportunityAsOf[], periodStart: string, months: number): number {
  const start = addMonths(periodStart, months === 1 ? -3 : -12);
  return wonBetween(opps, start, addDays(addMonths(start, months), -1));
}

/** Open count at the end of each of the `days` days ending on asOf, and a least-squares line projected `ahead` days. */
export function openCountTrend(opps: OpportunityAsOf[], asOf: string, days = 90, ahead = 30): { series: { date: string; open: number }[]; projection: { date: string; open: number }[] } {
  const series: { date: string; open: number }[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const date = addDays(asOf, -i);
    series.push({ date, open: opps.filter((o) => o.createdDate <= date && (!o.outcome || o.outcome.date > date)).length });
  }
  const n = series.length;
  const meanX = (n - 1) / 2;
  const meanY = series.reduce((s, p) => s + p.open, 0) / n;
  let sxy = 0;
  let sxx = 0;
  series.forEach((p, x) => { sxy += (x - meanX) * (p.open - meanY); sxx += (x - meanX) ** 2; });
  const slope = sxx > 0 ? sxy / sxx : 0;
  const projection = Array.from({ length: ahead }, (_, j) => ({
    date: addDays(asOf, j + 1),
    open: Math.max(0, meanY + slope * (n - 1 + j + 1 - meanX)),
  }));
  return { series, projection };
}

export const monthOf = monthStart;
