// The calibrated forecast's model, learnt from month-end snapshots of the tenant's own open book.
//
// Snapshots: at the end of each of the last SNAPSHOT_MONTHS complete months before asOf, every
// open opportunity is put in a cell (its stage then × its age band since creation). Its fate is
// followed month by month up to HORIZON months or until asOf (open deals are censored there:
// they count as "at risk" only for the months actually observed — survival from snapshots, so
// deals still open and deals that never close are handled without guessing their outcome).
// From this: per cell and months-ahead k, a win hazard and a loss hazard (share of the deals at
// risk in month k that were won / lost in it), smoothed toward the stage level and that toward
// the configured stage probability × the pooled close hazard (thin history → configured values).
//
// New opportunities are one more cell ("new"): a deal created in month t is at risk from month t
// on (k = 1 is its creation month); arrivals per month come from the recent creation counts with a
// linear trend.
//
// Calendar: the win and loss hazards are multiplied by a month-in-quarter factor (learnt as
// observed / expected closes in months 1, 2, 3 of the fiscal quarter, with K pseudo-closes
// pulling it toward 1), estimated jointly with the hazards; then per cell × k × month-in-quarter
// the cell's own counts are shrunk toward hazard × factor (how strongly the quarter-end push
// shows depends on how far ahead the month is). Month-of-year factors are not modelled.
//
// Uncertainty (Monte Carlo, ./forecast.ts): each draw takes the parameters from their posterior
// instead of their point values — a per-cell factor and a per calendar-month factor (log-normal,
// variance 1 / (closes seen + prior)), the arrival line within its standard error, the sizes of
// new deals re-weighted (Bayesian bootstrap) — and one common shock for the period whose variance
// τ² is the over-dispersion of won counts beyond Poisson found in the history itself: method of
// moments over every window of the period's length (1–3 months) after a month end, per
// month-in-quarter of the window's first month, measured OUT OF SAMPLE (windows in one fold of
// alternating 6-month blocks predicted by the model learnt from the other fold), so the spread
// includes the error of learning the model. Then each open deal is won or not with its cell's
// probability of a win inside the period, and new deals arrive (Poisson, thinned by their
// in-period win probability).
import {
  type CompiledHistory, firstDayOfMonthIndex, lastDayOfMonthIndex, monthIndexOfDay, NEVER, OUTCOME_WON,
} from './compiled';
import type { StageDef } from './types';

export const HORIZON = 6;
export const SNAPSHOT_MONTHS = 36;
/** Age bands (days since creation) at a snapshot: [0,30), [30,60), [60,120), [120,240), 240+. */
export const AGE_BANDS = [30, 60, 120, 240];
export const BANDS = AGE_BANDS.length + 1;
/** Pseudo-count (deals at risk) pulling a cell toward its stage, and a stage toward its prior. */
export const HAZARD_PRIOR_WEIGHT = 10;
/** Pooled monthly close hazard assumed when nothing has closed yet. */
export const DEFAULT_CLOSE_HAZARD = 0.3;
/** Pseudo-closes pulling each month-in-quarter factor toward 1. */
export const CALENDAR_PRIOR_CLOSES = 10;
/** Over-dispersion assumed with fewer than MIN_DISPERSION_MONTHS months to learn it from. */
export const DEFAULT_DISPERSION = 0.25;
export const MIN_DISPERSION_MONTHS = 6;
/** Months of creation counts the arrival trend is fitted on. */
export const ARRIVAL_MONTHS = 24;
export const MAX_HAZARD = 0.95;
/** Most amounts kept for the sizes of new deals. */
export const MAX_SIZES = 1000;
/** Longest window (months) whose over-dispersion is measured: a quarter. */
export const WINDOW = 3;
/** Cross-validation fold of month index t: alternating 6-month blocks. */
const foldOf = (t: number): number => Math.floor(t / 6) % 2;

export const bandOf = (age: number): number => {
  let b = 0;
  while (b < AGE_BANDS.length && age >= (AGE_BANDS[b] ?? Infinity)) b++;
  return b;
};

/** 0, 1, 2: position of month index m in its fiscal quarter (fiscal year starting in month fy, 1–12). */
export const quarterSlot = (m: number, fy: number): number => ((((m % 12) - (fy - 1)) % 12) + 12) % 12 % 3;

export interface Estimate {
  win: Float64Array;
  loss: Float64Array;
  winBy: Float64Array;
  lossBy: Float64Array;
  closes: Float64Array;
  calendarWin: number[];
  calendarLoss: number[];
  calendarCloses: number[];
}

/**
 * Hazards and calendar factors from at-risk / won / lost counts per cell × k × month-in-quarter
 * (cells: slots × BANDS stage cells, then the new-deal cell; prior: configured probability per
 * stage slot, then the first stage's for new deals). `rounds` alternating fits (hazards with the
 * calendar factors fixed, then the factors with the hazards fixed).
 */
export function estimate(R: Float64Array, W: Float64Array, L: Float64Array, cells: number, slots: number, prior: number[], rounds = 4): Estimate {
  const newCell = cells - 1;
  const size = cells * HORIZON * 3;
  // Joint estimate of hazards and calendar factors (a few rounds of alternating fits).
  const win = new Float64Array(cells * HORIZON);
  const loss = new Float64Array(cells * HORIZON);
  const closes = new Float64Array(cells);
  const calendarWin = [1, 1, 1];
  const calendarLoss = [1, 1, 1];
  const calendarCloses = [0, 0, 0];
  const sum = (arr: Float64Array, cell: number, k: number, factors?: number[]) => {
    const at = (cell * HORIZON + k - 1) * 3;
    return (arr[at] ?? 0) * (factors?.[0] ?? 1) + (arr[at + 1] ?? 0) * (factors?.[1] ?? 1) + (arr[at + 2] ?? 0) * (factors?.[2] ?? 1);
  };
  for (let c = 0; c < cells; c++) for (let k = 1; k <= HORIZON; k++) closes[c] = (closes[c] ?? 0) + sum(W, c, k) + sum(L, c, k);
  const M = HAZARD_PRIOR_WEIGHT;
  for (let round = 0; round < rounds; round++) {
    for (let k = 1; k <= HORIZON; k++) {
      // Pooled close hazard at k over existing deals, and over new ones.
      let pw = 0;
      let pr = 0;
      for (let c = 0; c < newCell; c++) { pw += sum(W, c, k) + sum(L, c, k); pr += sum(R, c, k); }
      const pooled = (pw + DEFAULT_CLOSE_HAZARD * M) / (pr + M);
      const pooledNew = (sum(W, newCell, k) + sum(L, newCell, k) + DEFAULT_CLOSE_HAZARD * M) / (sum(R, newCell, k) + M);
      const groups: [number, number, number][] = Array.from({ length: slots }, (_, s) => [s * BANDS, BANDS, pooled]);
      groups.push([newCell, 1, pooledNew]);
      groups.forEach(([from, count, base], g) => {
        const p = prior[g] ?? 0;
        let gw = 0; let gl = 0; let grw = 0; let grl = 0;
        for (let c = from; c < from + count; c++) {
          gw += sum(W, c, k); gl += sum(L, c, k); grw += sum(R, c, k, calendarWin); grl += sum(R, c, k, calendarLoss);
        }
        const stageWin = (gw + M * p * base) / (grw + M);
        const stageLoss = (gl + M * (1 - p) * base) / (grl + M);
        for (let c = from; c < from + count; c++) {
          win[c * HORIZON + k - 1] = (sum(W, c, k) + M * stageWin) / (sum(R, c, k, calendarWin) + M);
          loss[c * HORIZON + k - 1] = (sum(L, c, k) + M * stageLoss) / (sum(R, c, k, calendarLoss) + M);
        }
      });
    }
    for (let m = 0; m < 3; m++) {
      let ow = 0; let ew = 0; let ol = 0; let el = 0;
      for (let c = 0; c < cells; c++) {
        for (let k = 1; k <= HORIZON; k++) {
          const at = (c * HORIZON + k - 1) * 3 + m;
          ow += W[at] ?? 0; ol += L[at] ?? 0;
          ew += (R[at] ?? 0) * (win[c * HORIZON + k - 1] ?? 0);
          el += (R[at] ?? 0) * (loss[c * HORIZON + k - 1] ?? 0);
        }
      }
      const K = CALENDAR_PRIOR_CLOSES;
      calendarWin[m] = (ow + K) / (ew + K);
      calendarLoss[m] = (ol + K) / (el + K);
      calendarCloses[m] = ow;
    }
  }

  // Per cell × k × month-in-quarter: the cell's own counts, shrunk toward hazard × calendar factor
  // (the push into a quarter's last month depends on how far the deal is from it, not only on the month).
  const winBy = new Float64Array(size);
  const lossBy = new Float64Array(size);
  for (let c = 0; c < cells; c++) {
    for (let k = 1; k <= HORIZON; k++) {
      for (let m = 0; m < 3; m++) {
        const at = (c * HORIZON + k - 1) * 3 + m;
        winBy[at] = ((W[at] ?? 0) + M * (win[c * HORIZON + k - 1] ?? 0) * (calendarWin[m] ?? 1)) / ((R[at] ?? 0) + M);
        lossBy[at] = ((L[at] ?? 0) + M * (loss[c * HORIZON + k - 1] ?? 0) * (calendarLoss[m] ?? 1)) / ((R[at] ?? 0) + M);
      }
    }
  }

  return { win, loss, winBy, lossBy, closes, calendarWin, calendarLoss, calendarCloses };
}

export interface SnapshotModel {
  /** Month index of the last complete month at asOf (the model's origin). */
  origin: number;
  /** Share of the current (partial) month still ahead at asOf (1 when asOf is a month end). */
  remaining: number;
  cells: number;
  /** Cell of each stage index at each band (−1 for closed stages); the new-deal cell is cells − 1. */
  cellOf: (stage: number, band: number) => number;
  /** Win / loss hazards per cell × k (k = 1..HORIZON at index c · HORIZON + k − 1), before calendar. */
  win: Float64Array;
  loss: Float64Array;
  /** The same per cell × k × month-in-quarter (index (c · HORIZON + k − 1) · 3 + slot), calendar included. */
  winBy: Float64Array;
  lossBy: Float64Array;
  /** The counts behind them: at risk, won, lost per cell × k × month-in-quarter (index as winBy). */
  atRisk: Float64Array;
  wonCount: Float64Array;
  lostCount: Float64Array;
  /** Closes observed per cell (the posterior's weight). */
  closes: Float64Array;
  /** Month-in-quarter factors of the win and loss hazards, and the closes behind them. */
  calendarWin: number[];
  calendarLoss: number[];
  calendarCloses: number[];
  /** Over-dispersion of wins in windows of 1, 2, 3 months ([span − 1][month-in-quarter of the first month]): the variance of a period's common shock. */
  dispersion: number[][];
  /** Expected arrivals in month index t, and the standard error of that expectation (the fitted line's). */
  arrivals: (t: number) => number;
  arrivalsError: (t: number) => number;
  /** Won amounts of the last 24 months (every amount seen when fewer than 10), ascending, at most MAX_SIZES (sizes of new deals). */
  sizes: Float64Array;
  fiscalYearStartMonth: number;
}

/** Learns the snapshot model from everything visible at the end of day `asOf`. */
export function learnSnapshotModel(h: CompiledHistory, stages: StageDef[], asOf: number, fy: number): SnapshotModel {
  const byId = new Map(stages.map((s) => [s.id, s]));
  const stageCount = h.stageIds.length;
  const openSlot = new Int32Array(stageCount).fill(-1);
  const prior: number[] = [];
  let slots = 0;
  for (let s = 0; s < stageCount; s++) {
    const def = byId.get(h.stageIds[s] ?? '');
    if (def && def.kind !== 'open') continue;
    openSlot[s] = slots++;
    prior.push(def?.probability ?? 0);
  }
  const firstOpen = stages.filter((s) => s.kind === 'open').sort((a, b) => a.position - b.position)[0];
  const newCell = slots * BANDS;
  const cells = newCell + 1;
  prior.push(firstOpen?.probability ?? 0);
  const cellOf = (stage: number, band: number): number => {
    const slot = openSlot[stage] ?? -1;
    return slot < 0 ? -1 : slot * BANDS + band;
  };

  const current = monthIndexOfDay(asOf);
  const origin = lastDayOfMonthIndex(current) === asOf ? current : current - 1;
  const remaining = origin === current ? 1 : (lastDayOfMonthIndex(current) - asOf) / (lastDayOfMonthIndex(current) - firstDayOfMonthIndex(current) + 1);
  const firstSnapshot = origin - SNAPSHOT_MONTHS;

  // At-risk / won / lost per cell × k × month-in-quarter of the month at risk.
  const size = cells * HORIZON * 3;
  const R = new Float64Array(size);
  const W = new Float64Array(size);
  const L = new Float64Array(size);
  // The same split into two folds of alternating 6-month blocks of the month at risk (for the
  // cross-validated dispersion).
  const RF = [new Float64Array(size), new Float64Array(size)];
  const WF = [new Float64Array(size), new Float64Array(size)];
  const LF = [new Float64Array(size), new Float64Array(size)];
  // For the dispersion: deals per cell at each snapshot (and arrivals per month, in the new-deal
  // cell), indexed by the month after the snapshot; wins 1..WINDOW months after each snapshot
  // (existing deals) and after each creation month (new deals).
  const months = SNAPSHOT_MONTHS + 1;
  const R1 = new Float64Array(months * cells);
  const WO = new Float64Array(months * WINDOW);
  const WN = new Float64Array(months * WINDOW);
  const monthSlot = (t: number) => quarterSlot(t, fy);
  const observe = (cell: number, j: number, closedMonth: number, won: boolean) => {
    const last = Math.min(HORIZON, origin - j);
    for (let k = 1; k <= last; k++) {
      const t = j + k;
      const at = (cell * HORIZON + k - 1) * 3 + monthSlot(t);
      const f = foldOf(t);
      const rf = RF[f] as Float64Array;
      R[at] = (R[at] ?? 0) + 1;
      rf[at] = (rf[at] ?? 0) + 1;
      const event = closedMonth === t;
      if (event) {
        const into = won ? [W, WF[f] as Float64Array] : [L, LF[f] as Float64Array];
        for (const arr of into) arr[at] = (arr[at] ?? 0) + 1;
      }
      if (k === 1 && t - firstSnapshot >= 0) R1[(t - firstSnapshot) * cells + cell] = (R1[(t - firstSnapshot) * cells + cell] ?? 0) + 1;
      if (event && won && k <= WINDOW) {
        const x = (cell === newCell ? j + 1 : j) - firstSnapshot;
        const into = cell === newCell ? WN : WO;
        if (x >= 0 && x < months) into[x * WINDOW + k - 1] = (into[x * WINDOW + k - 1] ?? 0) + 1;
      }
      if (event) return;
    }
  };

  const recentFrom = asOf - 730;
  const sizes: number[] = [];
  const allSizes: number[] = [];
  const arrivalCounts = new Float64Array(ARRIVAL_MONTHS);
  let firstCreated = NEVER;
  for (let i = 0; i < h.n; i++) {
    const created = h.created[i] ?? NEVER;
    if (created > asOf) continue;
    if (created < firstCreated) firstCreated = created;
    const closedDay = (h.closed[i] ?? NEVER) <= asOf ? (h.closed[i] ?? NEVER) : NEVER;
    const won = h.outcome[i] === OUTCOME_WON;
    const amount = h.amount[i] ?? 0;
    if (amount > 0) allSizes.push(amount);
    if (closedDay !== NEVER && won && closedDay >= recentFrom && amount > 0) sizes.push(amount);
    const cm = monthIndexOfDay(created);
    const closedMonth = closedDay === NEVER ? NEVER : monthIndexOfDay(closedDay);
    const a = cm - (origin - ARRIVAL_MONTHS + 1);
    if (a >= 0 && a < ARRIVAL_MONTHS) arrivalCounts[a] = (arrivalCounts[a] ?? 0) + 1;
    if (cm > firstSnapshot && cm <= origin) observe(newCell, cm - 1, closedMonth, won);
    // Month-end snapshots while the deal is open.
    let e = h.eventStart[i] ?? 0;
    const eEnd = h.eventStart[i + 1] ?? 0;
    let stage = h.initialStage[i] ?? 0;
    for (let j = Math.max(cm, firstSnapshot); j < origin; j++) {
      const end = lastDayOfMonthIndex(j);
      if (closedDay <= end) break;
      while (e < eEnd && (h.eventDay[e] ?? NEVER) <= end) stage = h.eventStage[e++] ?? stage;
      const cell = cellOf(stage, bandOf(end - created));
      if (cell >= 0) observe(cell, j, closedMonth, won);
    }
  }

  const full = estimate(R, W, L, cells, slots, prior);
  const { win, loss, winBy, lossBy, closes, calendarWin, calendarLoss, calendarCloses } = full;
  // Over-dispersion of won counts beyond Poisson over windows of 1, 2 and 3 months after each
  // month end (deals open then + deals created inside the window), by the method of moments
  // (floored at 0), measured out of sample: windows starting in one fold are predicted by the
  // model learnt from the other (2-fold cross-validation over 6-month blocks), so the spread
  // includes the error of learning, and errors that persist over a quarter show in the 3-month one.
  const folds = [0, 1].map((f) => estimate(RF[1 - f] as Float64Array, WF[1 - f] as Float64Array, LF[1 - f] as Float64Array, cells, slots, prior));
  const winWithin = (e: Estimate, cell: number, from: number, to: number): number => {
    let survive = 1;
    let p = 0;
    for (let t = from; t <= to; t++) {
      const at = (cell * HORIZON + Math.min(HORIZON, t - from + 1) - 1) * 3 + monthSlot(t);
      const hw = Math.min(MAX_HAZARD, e.winBy[at] ?? 0);
      p += survive * hw;
      survive *= Math.max(0, 1 - hw - Math.min(MAX_HAZARD, e.lossBy[at] ?? 0));
    }
    return p;
  };
  // Per window length and month-in-quarter of the window's first month (a quarter's first months
  // have few, lumpy wins; its last month many): windows of other start months when too few.
  const dispersion = [1, 2, 3].map((span) => {
    const num = [0, 0, 0];
    const den = [0, 0, 0];
    const seen = [0, 0, 0];
    for (let j = firstSnapshot; j + span <= origin; j++) {
      const e = folds[foldOf(j + 1)] as Estimate;
      const x = j + 1 - firstSnapshot;
      let o = 0;
      let ex = 0;
      for (let c = 0; c < newCell; c++) {
        const n = R1[x * cells + c] ?? 0;
        if (n) ex += n * winWithin(e, c, j + 1, j + span);
      }
      for (let k = 1; k <= span; k++) o += WO[(j - firstSnapshot) * WINDOW + k - 1] ?? 0;
      for (let t = j + 1; t <= j + span; t++) {
        const n = R1[(t - firstSnapshot) * cells + newCell] ?? 0;
        if (n) ex += n * winWithin(e, newCell, t, j + span);
        for (let k = 1; k <= j + span - t + 1; k++) o += WN[(t - firstSnapshot) * WINDOW + k - 1] ?? 0;
      }
      if (ex <= 0) continue;
      const slot = monthSlot(j + 1);
      seen[slot] = (seen[slot] ?? 0) + 1;
      num[slot] = (num[slot] ?? 0) + (o - ex) ** 2 - ex;
      den[slot] = (den[slot] ?? 0) + ex * ex;
    }
    const sum = (a: number[]) => a.reduce((p, v) => p + v, 0);
    const pooled = sum(seen) >= MIN_DISPERSION_MONTHS && sum(den) > 0 ? Math.max(0, sum(num) / sum(den)) : DEFAULT_DISPERSION;
    return [0, 1, 2].map((slot) => ((seen[slot] ?? 0) >= MIN_DISPERSION_MONTHS && (den[slot] ?? 0) > 0 ? Math.max(0, (num[slot] ?? 0) / (den[slot] ?? 1)) : pooled));
  });

  // Arrivals: least-squares line through the monthly creation counts since the first creation.
  const firstMonth = firstCreated === NEVER ? origin + 1 : monthIndexOfDay(firstCreated);
  const from = Math.max(0, firstMonth - (origin - ARRIVAL_MONTHS + 1));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let a = from; a < ARRIVAL_MONTHS; a++) { xs.push(a); ys.push(arrivalCounts[a] ?? 0); }
  const n = xs.length;
  const mx = n ? xs.reduce((s, v) => s + v, 0) / n : 0;
  const my = n ? ys.reduce((s, v) => s + v, 0) / n : 0;
  let sxy = 0;
  let sxx = 0;
  for (let q = 0; q < n; q++) { sxy += ((xs[q] ?? 0) - mx) * ((ys[q] ?? 0) - my); sxx += ((xs[q] ?? 0) - mx) ** 2; }
  const slope = n >= 3 && sxx > 0 ? sxy / sxx : 0;
  const arrivals = (t: number) => Math.max(0, my + slope * (t - (origin - ARRIVAL_MONTHS + 1) - mx));
  // Standard error of the line at month t (residual variance s² · (1/n + (x − x̄)² / Sxx)).
  let rss = 0;
  for (let q = 0; q < n; q++) rss += ((ys[q] ?? 0) - (my + slope * ((xs[q] ?? 0) - mx))) ** 2;
  const s2 = n > 2 ? rss / (n - 2) : my;
  const arrivalsError = (t: number) => {
    const x = t - (origin - ARRIVAL_MONTHS + 1);
    return n ? Math.sqrt(s2 * (1 / n + (sxx > 0 && n >= 3 ? (x - mx) ** 2 / sxx : 0))) : 0;
  };

  const chosen = (sizes.length >= 10 ? sizes : allSizes).sort((a, b) => a - b);
  // At most MAX_SIZES amounts (evenly spaced order statistics: the same distribution), since each
  // Monte Carlo draw re-weighs all of them.
  const thinned = chosen.length > MAX_SIZES ? Array.from({ length: MAX_SIZES }, (_, q) => chosen[Math.round((q * (chosen.length - 1)) / (MAX_SIZES - 1))] ?? 0) : chosen;
  return {
    origin, remaining, cells, cellOf, win, loss, winBy, lossBy, atRisk: R, wonCount: W, lostCount: L, closes, calendarWin, calendarLoss, calendarCloses, dispersion, arrivals, arrivalsError,
    sizes: Float64Array.from(thinned), fiscalYearStartMonth: fy,
  };
}
