import { addDays } from '../dates';
import { addMonths } from './calendar';
import { type CompiledHistory, dateOf, dayOf, NEVER, OUTCOME_WON, stageAt } from './compiled';
import type { StageDef } from './types';

/** Pseudo-count of the Beta prior centred on the configured probability. */
export const STAGE_PRIOR_WEIGHT = 10;

/**
 * Per open stage: (won + k·configured) / (closed + k) over opportunities that were ever in the
 * stage by asOf and have closed by asOf. Thin history stays near the configured probability.
 * (Shown beside the configured probability on the reports page.)
 */
export function calibratedStageProbabilities(h: CompiledHistory, stages: StageDef[], asOf: string, k = STAGE_PRIOR_WEIGHT): Map<string, { won: number; closed: number; probability: number }> {
  const A = dayOf(asOf);
  const index = new Map(h.stageIds.map((id, i) => [id, i]));
  const won = new Float64Array(h.stageIds.length);
  const closed = new Float64Array(h.stageIds.length);
  const seen = new Int32Array(h.stageIds.length).fill(-1);
  for (let i = 0; i < h.n; i++) {
    if ((h.created[i] ?? NEVER) > A || (h.closed[i] ?? NEVER) > A) continue;
    const isWon = h.outcome[i] === OUTCOME_WON;
    const visit = (s: number) => {
      if (seen[s] === i) return;
      seen[s] = i;
      closed[s] = (closed[s] ?? 0) + 1;
      if (isWon) won[s] = (won[s] ?? 0) + 1;
    };
    visit(h.initialStage[i] ?? 0);
    const end = h.eventStart[i + 1] ?? 0;
    for (let e = h.eventStart[i] ?? 0; e < end && (h.eventDay[e] ?? NEVER) <= A; e++) visit(h.eventStage[e] ?? 0);
  }
  const result = new Map<string, { won: number; closed: number; probability: number }>();
  for (const stage of stages) {
    if (stage.kind !== 'open') continue;
    const s = index.get(stage.id);
    const w = s === undefined ? 0 : (won[s] ?? 0);
    const c = s === undefined ? 0 : (closed[s] ?? 0);
    result.set(stage.id, { won: w, closed: c, probability: (w + k * stage.probability) / (c + k) });
  }
  return result;
}

/** Won revenue with a close date in [from, to] among closes visible at the end of `asOf` (default: all). */
export function wonBetween(h: CompiledHistory, from: string, to: string, asOf?: string): number {
  const lo = dayOf(from);
  const hi = Math.min(dayOf(to), asOf ? dayOf(asOf) : NEVER);
  let sum = 0;
  for (let i = 0; i < h.n; i++) {
    const c = h.closed[i] ?? NEVER;
    if (c >= lo && c <= hi && h.outcome[i] === OUTCOME_WON) sum += h.amount[i] ?? 0;
  }
  return sum;
}

/** Mean won revenue of the 3 complete periods (of `months` months) before `periodStart`, as known at asOf. */
export function trailingMean(h: CompiledHistory, periodStart: string, months: number, asOf: string): number {
  let sum = 0;
  for (let i = 1; i <= 3; i++) {
    const start = addMonths(periodStart, -i * months);
    sum += wonBetween(h, start, addDays(addMonths(start, months), -1), asOf);
  }
  return sum / 3;
}

/**
 * Seasonal naive: months → the same month of the previous quarter (3 months back);
 * quarters → the same quarter of the previous year (12 months back).
 */
export function seasonalNaive(h: CompiledHistory, periodStart: string, months: number, asOf: string): number {
  const start = addMonths(periodStart, months === 1 ? -3 : -12);
  return wonBetween(h, start, addDays(addMonths(start, months), -1), asOf);
}

/** Opportunities open at the end of asOf (not closed, in an open stage). */
export function openCount(h: CompiledHistory, stages: StageDef[], asOf: string): number {
  const A = dayOf(asOf);
  const kinds = new Map(stages.map((s) => [s.id, s.kind]));
  const open = h.stageIds.map((id) => (kinds.get(id) ?? 'open') === 'open');
  let n = 0;
  for (let i = 0; i < h.n; i++) if ((h.created[i] ?? NEVER) <= A && (h.closed[i] ?? NEVER) > A && open[stageAt(h, i, A)]) n++;
  return n;
}

/** Open count at the end of each of the `days` days ending on asOf, and a least-squares line projected `ahead` days. */
export function openCountTrend(h: CompiledHistory, asOf: string, days = 90, ahead = 30): { series: { date: string; open: number }[]; projection: { date: string; open: number }[] } {
  const A = dayOf(asOf);
  const first = A - days + 1;
  // delta[x]: change of the open count on day first + x; `before`: open at the end of first − 1.
  const delta = new Int32Array(days);
  let before = 0;
  for (let i = 0; i < h.n; i++) {
    const created = h.created[i] ?? NEVER;
    const closed = (h.closed[i] ?? NEVER) <= A ? (h.closed[i] ?? NEVER) : NEVER;
    if (created > A || closed < created) continue;
    if (created < first) { if (closed >= first) before++; } else delta[created - first] = (delta[created - first] ?? 0) + 1;
    if (closed !== NEVER && closed >= first) {
      delta[closed - first] = (delta[closed - first] ?? 0) - 1;
    }
  }
  const series: { date: string; open: number }[] = [];
  let open = before;
  for (let x = 0; x < days; x++) {
    open += delta[x] ?? 0;
    series.push({ date: dateOf(first + x), open });
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
