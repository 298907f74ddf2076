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
// pulling it toward 1), estimated jointly with the hazards.
//
// Uncertainty (Monte Carlo): each draw takes the hazards from their posterior instead of their
// point values — a per-cell factor and per calendar month factor (log-normal, spread
// 1/√(closes seen + prior)) — and a per-month common shock whose variance (τ²) is the
// month-to-month over-dispersion of won counts beyond Poisson found in the history itself (method
// of moments on the one-month-ahead fits). Then each open deal is won or not with its cell's
// probability of a win inside the period, and new deals arrive (Poisson, thinned by their
// in-period win probability) with amounts drawn from recent won amounts.
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
  /** Month-to-month over-dispersion of wins (variance of the common shock). */
  dispersion: number;
  /** Expected arrivals in month index t. */
  arrivals: (t: number) => number;
  /** Recent won amounts, ascending (sizes of new deals). */
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
  // The same split by the parity of the month at risk (for the cross-validated dispersion).
  const RF = [new Float64Array(size), new Float64Array(size)];
  const WF = [new Float64Array(size), new Float64Array(size)];
  const LF = [new Float64Array(size), new Float64Array(size)];
  // One month ahead, per month observed × cell (for the dispersion).
  const months = SNAPSHOT_MONTHS + 1;
  const R1 = new Float64Array(months * cells);
  const W1 = new Float64Array(months * cells);
  const monthSlot = (t: number) => quarterSlot(t, fy);
  const observe = (cell: number, j: number, closedMonth: number, won: boolean) => {
    const last = Math.min(HORIZON, origin - j);
    for (let k = 1; k <= last; k++) {
      const t = j + k;
      const at = (cell * HORIZON + k - 1) * 3 + monthSlot(t);
      const f = ((t % 2) + 2) % 2;
      const rf = RF[f] as Float64Array;
      R[at] = (R[at] ?? 0) + 1;
      rf[at] = (rf[at] ?? 0) + 1;
      const event = closedMonth === t;
      if (event) {
        const into = won ? [W, WF[f] as Float64Array] : [L, LF[f] as Float64Array];
        for (const arr of into) arr[at] = (arr[at] ?? 0) + 1;
      }
      if (k === 1 && t - firstSnapshot >= 0) {
        const x = (t - firstSnapshot) * cells + cell;
        R1[x] = (R1[x] ?? 0) + 1;
        if (event && won) W1[x] = (W1[x] ?? 0) + 1;
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
  // Over-dispersion of one-month-ahead won counts beyond Poisson (method of moments, floored at 0),
  // measured out of sample: months of even index are predicted by the model learnt from the odd
  // ones and vice versa (2-fold cross-validation), so the spread includes the error of learning.
  const folds = [0, 1].map((f) => estimate(RF[1 - f] as Float64Array, WF[1 - f] as Float64Array, LF[1 - f] as Float64Array, cells, slots, prior));
  let num = 0;
  let den = 0;
  let seen = 0;
  for (let x = 0; x < months; x++) {
    let o = 0;
    let ex = 0;
    const t = firstSnapshot + x;
    const model = folds[((t % 2) + 2) % 2] as Estimate;
    for (let c = 0; c < cells; c++) {
      o += W1[x * cells + c] ?? 0;
      ex += (R1[x * cells + c] ?? 0) * (model.winBy[c * HORIZON * 3 + monthSlot(t)] ?? 0);
    }
    if (ex <= 0) continue;
    seen++;
    num += (o - ex) ** 2 - ex;
    den += ex * ex;
  }
  const dispersion = seen >= MIN_DISPERSION_MONTHS && den > 0 ? Math.max(0, num / den) : DEFAULT_DISPERSION;

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

  const chosen = sizes.length >= 10 ? sizes : allSizes;
  return {
    origin, remaining, cells, cellOf, win, loss, winBy, lossBy, atRisk: R, wonCount: W, lostCount: L, closes, calendarWin, calendarLoss, calendarCloses, dispersion, arrivals,
    sizes: Float64Array.from(chosen).sort(), fiscalYearStartMonth: fy,
  };
}
