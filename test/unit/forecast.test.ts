import { describe, expect, it } from 'vitest';
import {
  accuracy, arrivalRate, asOfView, backtest, calibratedStageProbabilities, coverage, forecast, kaplanMeier,
  mape, monthInQuarterFactors, openCountTrend, seasonalNaive, survivalAt, trailingMean,
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
    const p = calibratedStageProbabilities(asOfView(histories, '2026-02-01'), stages);
    expect(p.get('s1')).toEqual({ won: 2, closed: 3, probability: (2 + 10 * 0.5) / (3 + 10) });
    expect(p.get('s2')).toEqual({ won: 2, closed: 2, probability: (2 + 10 * 0.8) / (2 + 10) });
    // As of 2026-01-22 only the first win and the loss are known.
    const early = calibratedStageProbabilities(asOfView(histories, '2026-01-22'), stages);
    expect(early.get('s1')?.probability).toBeCloseTo((1 + 5) / 12, 12);
    expect(early.get('s2')?.probability).toBeCloseTo((1 + 8) / 11, 12);
  });
});

describe('Kaplan–Meier', () => {
  it('handles censored observations', () => {
    // 2 event, 3 censored, 5 two events, 8 censored: S(2) = 4/5, S(5) = 4/5 · (1 − 2/3) = 4/15.
    const curve = kaplanMeier([
      { duration: 2, event: true }, { duration: 3, event: false }, { duration: 5, event: true },
      { duration: 5, event: true }, { duration: 8, event: false },
    ]);
    expect(curve.times).toEqual([2, 5]);
    expect(survivalAt(curve, 1)).toBe(1);
    expect(survivalAt(curve, 2)).toBeCloseTo(0.8, 12);
    expect(survivalAt(curve, 4)).toBeCloseTo(0.8, 12);
    expect(survivalAt(curve, 5)).toBeCloseTo(4 / 15, 12);
    expect(survivalAt(curve, 100)).toBeCloseTo(4 / 15, 12);
  });
});

describe('arrivals, seasonality, baselines', () => {
  it('arrival rate = created in the last 90 days / 90', () => {
    const histories = [
      ...Array.from({ length: 9 }, () => opp({ createdDate: '2026-03-01' })),
      opp({ createdDate: '2025-12-15' }), // 91 days before asOf: outside
      opp({ createdDate: '2026-03-16' }), // after asOf
    ];
    // Window: 2025-12-16 .. 2026-03-15
    expect(arrivalRate(asOfView(histories, '2026-03-15'), '2026-03-15')).toBeCloseTo(0.1, 12);
    expect(arrivalRate(asOfView([...histories, opp({ createdDate: '2025-12-16' })], '2026-03-15'), '2026-03-15')).toBeCloseTo(10 / 90, 12);
  });

  it('month-in-quarter factors shrink toward 1 with 2 pseudo-quarters', () => {
    const histories = [won('2026-01-05', '2026-01-10', 100), won('2026-01-05', '2026-03-10', 500), won('2026-01-05', '2026-06-10', 600), won('2026-01-05', '2026-07-05', 999)];
    // Complete quarters before 2026-07-01: Q1, Q2 (n = 2); raw = 3·[100, 0, 1100]/1200 = [0.25, 0, 2.75].
    const f = monthInQuarterFactors(asOfView(histories, '2026-07-15'), '2026-07-15', 1);
    expect(f[0]).toBeCloseTo((2 * 0.25 + 2) / 4, 12);
    expect(f[1]).toBeCloseTo(0.5, 12);
    expect(f[2]).toBeCloseTo((2 * 2.75 + 2) / 4, 12);
    expect(monthInQuarterFactors([], '2026-07-15', 1)).toEqual([1, 1, 1]);
  });

  it('trailing mean of the last 3 complete periods and seasonal naive', () => {
    const opps = asOfView([
      won('2025-01-01', '2025-08-01', 70), won('2025-01-01', '2026-03-30', 90), won('2025-01-01', '2026-04-10', 300),
      won('2025-01-01', '2026-05-05', 150), won('2025-01-01', '2026-06-20', 600),
    ], '2026-06-30');
    expect(trailingMean(opps, '2026-07-01', 1)).toBe((600 + 150 + 300) / 3);
    expect(seasonalNaive(opps, '2026-07-01', 1)).toBe(300); // April
    expect(trailingMean(opps, '2026-07-01', 3)).toBe((1050 + 90 + 0) / 3);
    expect(seasonalNaive(opps, '2026-07-01', 3)).toBe(70); // 2025 Q3
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
    const trend = openCountTrend(asOfView(histories, '2026-04-30'), '2026-04-30');
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
    const opps = asOfView(histories, '2026-03-15');
    expect(calibratedStageProbabilities(opps, stages).get('s2')?.probability).toBe(0.8);
    const result = forecast(histories, stages, { asOf: '2026-03-15', fiscalYearStartMonth: 1, seed: 3, samples: 500 });
    for (const p of result) for (const v of Object.values(p)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
    const quarter = result.find((p) => p.period === 'currentQuarter');
    expect(quarter?.p10 ?? 0).toBeLessThan(quarter?.p90 ?? 0);
    expect(quarter?.p50 ?? 0).toBeGreaterThan(0);
    expect(quarter?.weighted).toBe(Math.round(histories.reduce((s, h, i) => s + (h.amount ?? 0) * (i % 2 ? 0.8 : 0.5), 0)));
  });
});
