// Scale of the forecast engine inside workerd: a 100,000-opportunity history compiled into typed
// arrays and forecast with the nightly job's Monte Carlo budget, and a 10,000-opportunity
// backtest (what GET /forecast/backtest does). Times are printed; the bounds asserted are loose
// (shared CI machines) but catch a model that would not fit a queue consumer's CPU budget.
import { describe, expect, it } from 'vitest';
import { samplesFor } from '../../worker/repos/forecasts';
import { backtest, compileHistories, forecast, openCount } from '../../worker/services/forecast';
import { generatedStages, generateHistory } from '../helpers/forecastHistory';

const heapMB = (): string => {
  const usage = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number } } }).process?.memoryUsage?.();
  // workerd answers 0: the JS heap of a nightly message is measured in Node by `npm run bench:nightly`.
  return usage?.heapUsed ? `${(usage.heapUsed / 1048576).toFixed(1)} MB heap` : 'heap not measurable in workerd (see npm run bench:nightly)';
};

describe('forecast at scale', () => {
  it('100,000 opportunities: compiled history and the nightly forecast', () => {
    const started = Date.now();
    // About 2,500 opportunities per unit of scale over 2022–2025.
    const histories = generateHistory(4242, '2022-01-01', '2025-12-31', 40);
    const h = compileHistories(histories.slice(0, 100_000), generatedStages);
    histories.length = 0;
    const built = Date.now();
    expect(h.n).toBe(100_000);
    const asOf = '2025-11-14';
    const open = openCount(h, generatedStages, asOf);
    const samples = samplesFor(open);
    const t0 = Date.now();
    const periods = forecast(h, generatedStages, { asOf, fiscalYearStartMonth: 1, seed: 1, samples });
    const elapsed = Date.now() - t0;
    const bytes = [h.created, h.closed, h.outcome, h.amount, h.override, h.expectedClose, h.initialStage, h.eventStart, h.eventDay, h.eventStage]
      .reduce((s, a) => s + a.byteLength, 0);
    console.log(`100,000 opportunities (${h.eventDay.length} stage events, ${open} open): compiled history ${(bytes / 1048576).toFixed(1)} MB of typed arrays; forecast (${samples} draws × 4 periods) ${elapsed} ms; generating + compiling ${built - started} ms; ${heapMB()}`);
    expect(periods).toHaveLength(4);
    for (const p of periods) expect(p.p10).toBeLessThanOrEqual(p.p90);
    expect(bytes).toBeLessThan(8 * 1048576);
    expect(elapsed).toBeLessThan(15_000);
  });

  it('10,000 opportunities: a 36-month backtest', () => {
    const h = compileHistories(generateHistory(11, '2022-01-01', '2025-12-31', 4), generatedStages);
    const t0 = Date.now();
    const result = backtest(h, generatedStages, { from: '2023-01-01', to: '2025-12-01', period: 'month', seed: 3, samples: 200 });
    const elapsed = Date.now() - t0;
    console.log(`${h.n} opportunities: 36-month backtest (200 draws) ${elapsed} ms; MAPE calibrated ${((result.mape.calibrated ?? 0) * 100).toFixed(1)}%, coverage ${((result.coverage ?? 0) * 100).toFixed(1)}%`);
    expect(result.rows).toHaveLength(36);
    expect(elapsed).toBeLessThan(20_000);
  });
});
