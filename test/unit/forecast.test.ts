import { describe, expect, it } from 'vitest';
import {
  accuracy, BANDS, backtest, DEFAULT_DISPERSION, calibratedStageProbabilities, compileHistories, coverage, dayOf, estimate, forecast, HORIZON,
  learnSnapshotModel, mape, openCountTrend, seasonalNaive, trailingMean,
  type OpportunityHistory, type StageDef,
} from '../../worker/services/forecast';

const stages: StageDef[] = [
  { id: 's1', position: 1, kind: 'open', probability: 0.5 },
  { id: 's2', position: 2, kind: 'open', probability: 0.8 },
  { id: 'won', position: 3, kind: 'won', probability: 1 },
  { id: 'lost', position: 4, kind: 'lost', probability: 0 },
];

let seq = 0;
function opp(partial: Partial<OpportunityHistory> & { createdDate: string }): OpportunityHistory {
  return { id: `o${++seq}`, amount: 100, stageId: 's1', probabilityOverride: null, expectedCloseDate: null, changes: [], outcome: null, ...partial };
}
const won = (createdDate: string, date: string, amount: number) =>
  opp({ createdDate, amount, stageId: 'won', changes: [{ date, fromStageId: 's1', toStageId: 'won' }], outcome: { kind: 'won', date } });

describe('weighted pipeline', () => {
  it('sums amount × (override ?? configured) by expected close date; missing and slipped dates count now', () => {
    const histories = [
      opp({ createdDate: '2026-03-01', amount: 1000, stageId: 's1', expectedCloseDate: '2026-03-20' }), // 500 now
      opp({ createdDate: '2026-03-01', amount: 2000, stageId: 's2', probabilityOverride: 0.3, expectedCloseDate: '2026-04-10' }), // 600 next
      opp({ createdDate: '2026-03-01', amount: 500, stageId: 's2', changes: [{ date: '2026-03-02', fromStageId: 's1', toStageId: 's2' }] }), // 400 now
      opp({ createdDate: '2026-01-01', amount: 100, stageId: 's1', expectedCloseDate: '2026-02-01' }), // slipped: 50 now
      opp({ createdDate: '2026-03-16', amount: 9999, stageId: 's1', expectedCloseDate: '2026-03-20' }), // after asOf
      won('2026-03-01', '2026-03-10', 700),
    ];
    const result = forecast(histories, stages, { asOf: '2026-03-15', fiscalYearStartMonth: 1, seed: 1, samples: 200 });
    const by = Object.fromEntries(result.map((p) => [p.period, p]));
    expect(by.currentMonth).toMatchObject({ start: '2026-03-01', end: '2026-03-31', weighted: 950, closedWon: 700 });
    expect(by.nextMonth).toMatchObject({ start: '2026-04-01', end: '2026-04-30', weighted: 600, closedWon: 0 });
    expect(by.currentQuarter).toMatchObject({ start: '2026-01-01', end: '2026-03-31', weighted: 950, closedWon: 700 });
    expect(by.nextQuarter).toMatchObject({ start: '2026-04-01', end: '2026-06-30', weighted: 600 });
  });

  it('uses fiscal quarters', () => {
    const result = forecast([], stages, { asOf: '2026-03-15', fiscalYearStartMonth: 4, seed: 1, samples: 10 });
    expect(result.find((p) => p.period === 'currentQuarter')).toMatchObject({ start: '2026-01-01', end: '2026-03-31' });
    const feb = forecast([], stages, { asOf: '2026-05-15', fiscalYearStartMonth: 2, seed: 1, samples: 10 });
    expect(feb.find((p) => p.period === 'currentQuarter')).toMatchObject({ start: '2026-05-01', end: '2026-07-31' });
    expect(feb.find((p) => p.period === 'nextQuarter')).toMatchObject({ start: '2026-08-01', end: '2026-10-31' });
  });
});

describe('calibrated stage probabilities', () => {
  it('share won among closed opportunities that were ever in the stage, smoothed with k = 10', () => {
    const histories = [
      opp({ createdDate: '2026-01-01', changes: [{ date: '2026-01-05', fromStageId: 's1', toStageId: 's2' }, { date: '2026-01-20', fromStageId: 's2', toStageId: 'won' }], outcome: { kind: 'won', date: '2026-01-20' } }),
      opp({ createdDate: '2026-01-01', changes: [{ date: '2026-01-05', fromStageId: 's1', toStageId: 's2' }, { date: '2026-01-25', fromStageId: 's2', toStageId: 'won' }], outcome: { kind: 'won', date: '2026-01-25' } }),
      opp({ createdDate: '2026-01-01', changes: [{ date: '2026-01-07', fromStageId: 's1', toStageId: 'lost' }], outcome: { kind: 'lost', date: '2026-01-07' } }),
      opp({ createdDate: '2026-01-01', changes: [{ date: '2026-01-05', fromStageId: 's1', toStageId: 's2' }] }), // open: not counted
    ];
    const p = calibratedStageProbabilities(compileHistories(histories, stages), stages, '2026-02-01');
    expect(p.get('s1')).toEqual({ won: 2, closed: 3, probability: (2 + 10 * 0.5) / (3 + 10) });
    expect(p.get('s2')).toEqual({ won: 2, closed: 2, probability: (2 + 10 * 0.8) / (2 + 10) });
    // As of 2026-01-22 only the first win and the loss are known.
    const early = calibratedStageProbabilities(compileHistories(histories, stages), stages, '2026-01-22');
    expect(early.get('s1')?.probability).toBeCloseTo((1 + 5) / 12, 12);
    expect(early.get('s2')?.probability).toBeCloseTo((1 + 8) / 11, 12);
  });
});

describe('baselines', () => {
  it('trailing mean of the last 3 complete periods and seasonal naive', () => {
    const h = compileHistories([
      won('2025-01-01', '2025-08-01', 70), won('2025-01-01', '2026-03-30', 90), won('2025-01-01', '2026-04-10', 300),
      won('2025-01-01', '2026-05-05', 150), won('2025-01-01', '2026-06-20', 600), won('2025-01-01', '2026-07-01', 5000),
    ], stages);
    expect(trailingMean(h, '2026-07-01', 1, '2026-06-30')).toBe((600 + 150 + 300) / 3);
    expect(seasonalNaive(h, '2026-07-01', 1, '2026-06-30')).toBe(300); // April
    expect(trailingMean(h, '2026-07-01', 3, '2026-06-30')).toBe((1050 + 90 + 0) / 3);
    expect(seasonalNaive(h, '2026-07-01', 3, '2026-06-30')).toBe(70); // 2025 Q3
    // Known at asOf only: a win on 2026-06-20 is not yet known on 2026-06-19.
    expect(trailingMean(h, '2026-07-01', 1, '2026-06-19')).toBe((150 + 300) / 3);
  });
});

describe('metrics', () => {
  it('accuracy, MAPE (actual 0 skipped) and coverage', () => {
    expect(accuracy(100, 80)).toBeCloseTo(0.8, 12);
    expect(accuracy(100, 250)).toBe(0);
    expect(accuracy(0, 0)).toBe(1);
    expect(mape([{ actual: 100, predicted: 80 }, { actual: 200, predicted: 300 }, { actual: 0, predicted: 50 }])).toBeCloseTo(0.35, 12);
    expect(mape([{ actual: 0, predicted: 1 }])).toBeNull();
    expect(coverage([{ actual: 5, p10: 1, p90: 10 }, { actual: 11, p10: 1, p90: 10 }, { actual: 1, p10: 1, p90: 1 }, { actual: 0, p10: 1, p90: 2 }])).toBe(0.5);
  });

  it('open-count trend and a 30-day linear projection', () => {
    // One opportunity created each day from 2026-01-01; none close → open count rises by 1 a day.
    const histories = Array.from({ length: 120 }, (_, i) => opp({ createdDate: new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10) }));
    const trend = openCountTrend(compileHistories(histories, stages), '2026-04-30');
    expect(trend.series).toHaveLength(90);
    expect(trend.series[89]).toEqual({ date: '2026-04-30', open: 120 });
    expect(trend.series[0]).toEqual({ date: '2026-01-31', open: 31 });
    expect(trend.projection).toHaveLength(30);
    expect(trend.projection[29]?.date).toBe('2026-05-30');
    expect(trend.projection[29]?.open).toBeCloseTo(150, 9);
  });
});

describe('no leakage, empty tenants', () => {
  it('nothing after asOf changes a forecast', () => {
    const base = [
      opp({ id: 'a', createdDate: '2026-01-01', amount: 1000, expectedCloseDate: '2026-03-20' }),
      won('2026-01-02', '2026-02-10', 400),
      opp({ id: 'l', createdDate: '2025-12-01', amount: 300, changes: [{ date: '2026-01-10', fromStageId: 's1', toStageId: 'lost' }], outcome: { kind: 'lost', date: '2026-01-10' } }),
    ];
    const future = [
      opp({ id: 'a', createdDate: '2026-01-01', amount: 1000, expectedCloseDate: '2026-03-20', stageId: 'won', changes: [{ date: '2026-03-20', fromStageId: 's1', toStageId: 'won' }], outcome: { kind: 'won', date: '2026-03-20' } }),
      ...base.slice(1),
      won('2026-03-16', '2026-03-18', 50_000),
      opp({ createdDate: '2026-04-01', amount: 7 }),
    ];
    const options = { asOf: '2026-03-15', fiscalYearStartMonth: 1, seed: 42, samples: 300 };
    expect(forecast(future, stages, options)).toEqual(forecast(base, stages, options));
    expect(forecast(base, stages, options)).toEqual(forecast(base, stages, options)); // deterministic
  });

  it('empty tenant: zeros, no NaN', () => {
    for (const p of forecast([], stages, { asOf: '2026-03-15', fiscalYearStartMonth: 1, seed: 1, samples: 50 })) {
      expect([p.closedWon, p.weighted, p.calibrated, p.p10, p.p50, p.p90, p.trailingMean, p.seasonalNaive]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    }
    expect(backtest([], stages, { from: '2026-01-01', to: '2026-03-01', period: 'month', seed: 1, samples: 10 }).mape).toEqual({ weighted: null, calibrated: null, trailingMean: null, seasonalNaive: null });
  });

  it('no closed history: configured probabilities, a wide range, finite numbers', () => {
    const histories = Array.from({ length: 40 }, (_, i) => opp({ createdDate: '2026-02-01', amount: 1000 + i, stageId: i % 2 ? 's2' : 's1', expectedCloseDate: '2026-03-25' }));
    expect(calibratedStageProbabilities(compileHistories(histories, stages), stages, '2026-03-15').get('s2')?.probability).toBe(0.8);
    const result = forecast(histories, stages, { asOf: '2026-03-15', fiscalYearStartMonth: 1, seed: 3, samples: 500 });
    for (const p of result) for (const v of Object.values(p)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
    const quarter = result.find((p) => p.period === 'currentQuarter');
    expect(quarter?.p10 ?? 0).toBeLessThan(quarter?.p90 ?? 0);
    expect(quarter?.p50 ?? 0).toBeGreaterThan(0);
    expect(quarter?.weighted).toBe(Math.round(histories.reduce((s, h, i) => s + (h.amount ?? 0) * (i % 2 ? 0.8 : 0.5), 0)));
  });
});

describe('month-end snapshot model', () => {
  const at = (cell: number, k: number, slot: number) => (cell * HORIZON + k - 1) * 3 + slot;
  // Stages s1, s2 are open (slots 0, 1): cell(s1, band b) = b, cell(s2, band b) = BANDS + b; new deals: 2 · BANDS.
  const NEW = 2 * BANDS;

  it('follows deals open at each month end; deals still open (or closed after asOf) are censored', () => {
    const histories = [
      // A: open throughout (censored at asOf).
      opp({ createdDate: '2026-01-10' }),
      // B: won on 2026-02-20.
      opp({ createdDate: '2026-01-05', changes: [{ date: '2026-02-20', fromStageId: 's1', toStageId: 'won' }], outcome: { kind: 'won', date: '2026-02-20' } }),
      // C: created in March, lost on 2026-04-10 — after asOf, so still open as far as the model knows.
      opp({ createdDate: '2026-03-05', changes: [{ date: '2026-04-10', fromStageId: 's1', toStageId: 'lost' }], outcome: { kind: 'lost', date: '2026-04-10' } }),
      // D: moved to s2 on 2026-02-03, lost in March: at the end of February it counts in s2.
      opp({ createdDate: '2026-01-20', changes: [{ date: '2026-02-03', fromStageId: 's1', toStageId: 's2' }, { date: '2026-03-09', fromStageId: 's2', toStageId: 'lost' }], outcome: { kind: 'lost', date: '2026-03-09' } }),
    ];
    // asOf 2026-03-31 (a month end): snapshots at the ends of January and February; months at risk
    // up to March. Month-in-quarter slots (fiscal year from January): Jan 0, Feb 1, Mar 2.
    const m = learnSnapshotModel(compileHistories(histories, stages), stages, dayOf('2026-03-31'), 1);
    expect(m.remaining).toBe(1);
    // Too few months to measure the over-dispersion: the default, for every window and month.
    expect(m.dispersion.flat()).toEqual(Array(9).fill(DEFAULT_DISPERSION));
    const risk = (cell: number, k: number, slot: number) => [m.atRisk[at(cell, k, slot)], m.wonCount[at(cell, k, slot)], m.lostCount[at(cell, k, slot)]];
    // End of January: A (age 21), B (26), D (11) in s1, band 0 (< 30 days).
    expect(risk(0, 1, 1)).toEqual([3, 1, 0]); // February: B won
    expect(risk(0, 2, 2)).toEqual([2, 0, 1]); // March: A censored after it, D lost
    // End of February: A (age 49, band 1) in s1; D (age 39, band 1) in s2.
    expect(risk(1, 1, 2)).toEqual([1, 0, 0]);
    expect(risk(BANDS + 1, 1, 2)).toEqual([1, 0, 1]);
    // New deals: k = 1 is the creation month. A, B, D created in January; C in March (its loss is after asOf).
    expect(risk(NEW, 1, 0)).toEqual([3, 0, 0]);
    expect(risk(NEW, 2, 1)).toEqual([3, 1, 0]);
    expect(risk(NEW, 3, 2)).toEqual([2, 0, 1]);
    expect(risk(NEW, 1, 2)).toEqual([1, 0, 0]);
    let total = 0;
    for (const v of m.atRisk) total += v;
    expect(total).toBe(3 + 2 + 1 + 1 + 3 + 3 + 2 + 1);
    // Mid-month asOf: the current month is partial — the origin is the previous month end.
    const mid = learnSnapshotModel(compileHistories(histories, stages), stages, dayOf('2026-03-21'), 1);
    expect(mid.remaining).toBeCloseTo(10 / 31, 12);
    expect(mid.atRisk[at(0, 1, 1)]).toBe(3);
    expect(mid.atRisk[at(0, 2, 2)]).toBe(0); // March not yet complete
  });

  it('hazards shrink toward the stage, the stage toward configured × pooled; calendar factor = (observed + 10) / (expected + 10)', () => {
    // One open stage (prior 0.5) → cells 0..4 and the new-deal cell 5. Data: cell 0, k = 1 only —
    // month 1 of quarters: 10 at risk, 1 won; month 3: 10 at risk, 5 won.
    const cells = BANDS + 1;
    const size = cells * HORIZON * 3;
    const R = new Float64Array(size);
    const W = new Float64Array(size);
    const L = new Float64Array(size);
    R[at(0, 1, 0)] = 10; W[at(0, 1, 0)] = 1;
    R[at(0, 1, 2)] = 10; W[at(0, 1, 2)] = 5;
    const e = estimate(R, W, L, cells, 1, [0.5, 0.5], 1);
    // Pooled close hazard at k = 1: (6 + 0.3 · 10) / (20 + 10) = 0.3. Stage: win (6 + 10 · 0.5 · 0.3) / 30 = 0.25,
    // loss (0 + 1.5) / 30 = 0.05. Cell 0: win (6 + 10 · 0.25) / 30, loss (0 + 10 · 0.05) / 30; empty cells = stage.
    expect(e.win[0]).toBeCloseTo(8.5 / 30, 12);
    expect(e.loss[0]).toBeCloseTo(0.5 / 30, 12);
    expect(e.win[1 * HORIZON]).toBeCloseTo(0.25, 12);
    expect(e.win[5 * HORIZON]).toBeCloseTo(0.15, 12); // new deals: nothing seen → 0.5 · 0.3
    expect(e.win[1]).toBeCloseTo(0.15, 12); // k = 2: nothing seen anywhere
    // Calendar: month 1 observed 1 won vs 10 · 8.5/30 expected; month 2 nothing; month 3 observed 5.
    const expected = (10 * 8.5) / 30;
    expect(e.calendarWin[0]).toBeCloseTo(11 / (expected + 10), 12);
    expect(e.calendarWin[1]).toBeCloseTo(1, 12);
    expect(e.calendarWin[2]).toBeCloseTo(15 / (expected + 10), 12);
    // Per month-in-quarter: the cell's own counts shrunk toward hazard × calendar factor.
    expect(e.winBy[at(0, 1, 0)]).toBeCloseTo((1 + 10 * (8.5 / 30) * (11 / (expected + 10))) / 20, 12);
    expect(e.winBy[at(0, 1, 2)]).toBeCloseTo((5 + 10 * (8.5 / 30) * (15 / (expected + 10))) / 20, 12);
    expect(e.winBy[at(0, 1, 1)]).toBeCloseTo(8.5 / 30, 12);
  });

  it('new opportunities: arrivals follow the least-squares line of monthly creations; sizes are recent won amounts', () => {
    // Deals lost on their creation day (none stays open), one won.
    const created = (month: string, n: number) => Array.from({ length: n }, () => opp({
      createdDate: `2026-${month}-10`, amount: 0, changes: [{ date: `2026-${month}-10`, fromStageId: 's1', toStageId: 'lost' }], outcome: { kind: 'lost', date: `2026-${month}-10` },
    }));
    const histories = [...created('01', 10), ...created('02', 20), ...created('03', 30), won('2026-01-02', '2026-02-01', 700)];
    // Creation counts Jan 11 (10 + the won deal), Feb 20, Mar 30 → slope 9.5 a month; mean 61/3 at February.
    const m = learnSnapshotModel(compileHistories(histories, stages), stages, dayOf('2026-03-31'), 1);
    expect(m.arrivals(m.origin + 1)).toBeCloseTo(61 / 3 + 9.5 * 2, 9); // April
    expect(m.arrivals(m.origin + 2)).toBeCloseTo(61 / 3 + 9.5 * 3, 9); // May
    // Fewer than 10 recent wins: every amount seen (only the won deal's is positive).
    expect([...m.sizes]).toEqual([700]);
    // A forecast with no open deal at all: next month's range comes from new deals only, in units of 700.
    const f = forecast(histories, stages, { asOf: '2026-03-31', fiscalYearStartMonth: 1, seed: 5, samples: 400 }).find((p) => p.period === 'nextMonth');
    expect((f?.p90 ?? 0) % 700).toBe(0);
    expect(f?.p90 ?? 0).toBeGreaterThan(0);
  });

  it('slipped, missing or future expected close dates move the weighted pipeline, never the calibrated forecast', () => {
    const history = (expectedCloseDate: string | null) => [
      ...Array.from({ length: 30 }, (_, i) => won('2025-06-01', `2025-${String(7 + (i % 6)).padStart(2, '0')}-15`, 1000)),
      ...Array.from({ length: 20 }, () => opp({ createdDate: '2026-02-01', amount: 500, expectedCloseDate })),
    ];
    const options = { asOf: '2026-03-15', fiscalYearStartMonth: 1, seed: 9, samples: 300 };
    const slipped = forecast(history('2026-02-15'), stages, options);
    const missing = forecast(history(null), stages, options);
    const future = forecast(history('2026-04-20'), stages, options);
    const pick = (r: typeof slipped) => r.map((p) => [p.calibrated, p.p10, p.p90, p.mean]);
    expect(pick(slipped)).toEqual(pick(missing));
    expect(pick(slipped)).toEqual(pick(future));
    // Weighted: slipped and missing dates count now (20 · 500 · 0.5), a future one in its month.
    expect(slipped.find((p) => p.period === 'currentMonth')?.weighted).toBe(5000);
    expect(missing.find((p) => p.period === 'currentMonth')?.weighted).toBe(5000);
    expect(future.find((p) => p.period === 'currentMonth')?.weighted).toBe(0);
    expect(future.find((p) => p.period === 'nextMonth')?.weighted).toBe(5000);
  });

  it('open-count trend: a deal closed on a day no longer counts that day', () => {
    const h = compileHistories([
      opp({ createdDate: '2026-04-01' }),
      opp({ createdDate: '2026-04-10', changes: [{ date: '2026-04-20', fromStageId: 's1', toStageId: 'lost' }], outcome: { kind: 'lost', date: '2026-04-20' } }),
      opp({ createdDate: '2026-01-01', changes: [{ date: '2026-04-05', fromStageId: 's1', toStageId: 'won' }], outcome: { kind: 'won', date: '2026-04-05' } }),
      opp({ createdDate: '2026-04-25', changes: [{ date: '2026-05-02', fromStageId: 's1', toStageId: 'won' }], outcome: { kind: 'won', date: '2026-05-02' } }),
    ], stages);
    const series = openCountTrend(h, '2026-04-30', 30, 1).series;
    const on = (date: string) => series.find((p) => p.date === date)?.open;
    expect(on('2026-04-01')).toBe(2);
    expect(on('2026-04-05')).toBe(1);
    expect(on('2026-04-10')).toBe(2);
    expect(on('2026-04-20')).toBe(1);
    expect(on('2026-04-30')).toBe(2); // the one closed after asOf is still open
  });
});
