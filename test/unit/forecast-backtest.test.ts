import { describe, expect, it } from 'vitest';
import { backtest, compileHistories, type BacktestRow } from '../../worker/services/forecast';
import { generatedStages, generateHistory } from '../helpers/forecastHistory';

type Result = { rows: BacktestRow[]; mape: Record<'weighted' | 'calibrated' | 'trailingMean' | 'seasonalNaive', number | null>; coverage: number | null };
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const rowsTable = (result: Result) => `${['period', 'actual', 'weighted', 'calibrated', 'trailing', 'seasonal', 'p10', 'p90'].join('\t')}\n${result.rows
  .map((r) => [r.periodStart, r.actual, r.weighted, r.calibrated, r.trailingMean, r.seasonalNaive, r.p10, r.p90].map((v) => (typeof v === 'number' ? Math.round(v / 100) : v)).join('\t'))
  .join('\n')}`;

// The acceptance bar (issue 5), for EACH generator seed below — fixed before any result was seen:
// the calibrated P50's MAPE beats the weighted pipeline, the trailing mean of the last 3 periods
// and the seasonal naive forecast, and the actual falls inside P10–P90 in at least 70% of periods.
const SEEDS = [20251128, 11, 22, 33, 4242, 90210];
const PERIODS = [
  { period: 'month' as const, to: '2025-12-01', rows: 36 },
  { period: 'quarter' as const, to: '2025-10-01', rows: 12 },
];

describe('backtest on generated 4-year histories (6 seeds)', () => {
  const histories = new Map(SEEDS.map((seed) => [seed, compileHistories(generateHistory(seed), generatedStages)]));

  for (const { period, to, rows } of PERIODS) {
    it(`${period}ly: calibrated P50 beats weighted, trailing mean and seasonal naive; P10–P90 holds ≥ 70% — every seed`, () => {
      const summary: string[] = [`${period}ly backtest, 2023-01 .. ${to.slice(0, 7)} (MAPE; coverage = actual inside P10–P90)`,
        ['seed', 'calibrated', 'weighted', 'trailing', 'seasonal', 'coverage', 'ms'].join('\t')];
      const results = SEEDS.map((seed) => {
        const started = Date.now();
        const result = backtest(histories.get(seed) ?? [], generatedStages, { from: '2023-01-01', to, period, seed: 7, samples: 500 }) as Result;
        const m = result.mape;
        summary.push([seed, pct(m.calibrated), pct(m.weighted), pct(m.trailingMean), pct(m.seasonalNaive), pct(result.coverage), Date.now() - started].join('\t'));
        return { seed, result };
      });
      console.log(summary.join('\n'));
      console.log(`seed ${SEEDS[0]}, amounts in major units:\n${rowsTable(results[0]!.result)}`);
      for (const { seed, result } of results) {
        const m = result.mape;
        expect(result.rows, `seed ${seed}`).toHaveLength(rows);
        expect(m.calibrated, `seed ${seed}`).not.toBeNull();
        expect(m.calibrated ?? Infinity, `seed ${seed}: calibrated vs weighted`).toBeLessThan(m.weighted ?? 0);
        expect(m.calibrated ?? Infinity, `seed ${seed}: calibrated vs trailing mean`).toBeLessThan(m.trailingMean ?? 0);
        expect(m.calibrated ?? Infinity, `seed ${seed}: calibrated vs seasonal naive`).toBeLessThan(m.seasonalNaive ?? 0);
        expect(result.coverage ?? 0, `seed ${seed}: P10–P90 coverage`).toBeGreaterThanOrEqual(0.7);
      }
    });
  }
});
