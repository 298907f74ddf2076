// Forecasts: GET /api/t/:tenant/forecast (the stored nightly forecast and how accurate past ones
// were) and GET /api/t/:tenant/forecast/backtest (what each method would have forecast for past
// periods, computed from the history now). Any member may read, viewers included — except in a
// workspace whose members see only their own opportunities: team totals would show everyone's
// deals, so members and viewers there get 403 `reports_restricted` (owners and admins read on).
import { createRoute, z } from '@hono/zod-openapi';
import type { TenantEnv } from '../env';
import { badRequest } from '../errors';
import { reportsAccess } from '../middleware/admin';
import { AUTHENTICATED_ERRORS, TenantParams, jsonResponse, newRouter } from '../openapi';
import { samplesFor, forecastSeed } from '../repos/forecasts';
import { addDays, isCalendarDate, localDate } from '../services/dates';
import { addMonths, backtest, monthStart, openCount, quarterStart } from '../services/forecast';

export const MAX_BACKTEST_PERIODS = 36;
/** Backtest draws per period: every period reruns the whole engine, inside one request. */
const BACKTEST_MAX_SAMPLES = 300;

const dateParam = (description: string) =>
  z.string().refine(isCalendarDate, { message: 'Use a calendar date YYYY-MM-DD.' }).optional().openapi({ description, example: '2026-11-27' });

const TrendPoint = z.object({ date: z.string(), open: z.number() });

const PeriodSchema = z.object({
  period: z.enum(['currentMonth', 'nextMonth', 'currentQuarter', 'nextQuarter']),
  start: z.string(),
  end: z.string(),
  closedWon: z.number().int().openapi({ description: 'Won so far in the period (minor units)' }),
  weighted: z.number().int().openapi({ description: 'Σ amount × stage or override probability, by expected close date' }),
  calibrated: z.number().int().openapi({ description: 'The calibrated forecast (= P50)' }),
  p10: z.number().int(),
  p50: z.number().int(),
  p90: z.number().int(),
  mean: z.number().int().nullable(),
  trailingMean: z.number().int(),
  seasonalNaive: z.number().int(),
});

const AccuracySchema = z.object({
  periodKind: z.enum(['month', 'quarter']),
  periodStart: z.string(),
  periodEnd: z.string(),
  forecastDate: z.string().openapi({ description: 'The snapshot date of the forecast scored (the day before the period, or the earliest inside it)' }),
  actual: z.number().int(),
  weighted: z.number().int().nullable(),
  calibrated: z.number().int(),
  p10: z.number().int().nullable(),
  p90: z.number().int().nullable(),
  accuracyWeighted: z.number().nullable(),
  accuracyCalibrated: z.number(),
  inRange: z.boolean().nullable(),
});

const ForecastSchema = z
  .object({
    asOfDate: z.string().nullable(),
    computedAt: z.number().int().nullable(),
    target: z.object({ month: z.number().int().nullable(), quarter: z.number().int().nullable() }),
    periods: z.array(PeriodSchema),
    trend: z.object({ series: z.array(TrendPoint), projection: z.array(TrendPoint) }),
    stageProbabilities: z.array(z.object({
      stageId: z.string(), pipelineId: z.string(), configured: z.number(), calibrated: z.number(), won: z.number().int(), closed: z.number().int(),
    })),
    accuracy: z.array(AccuracySchema),
  })
  .openapi('Forecast');

const BacktestSchema = z
  .object({
    period: z.enum(['month', 'quarter']),
    rows: z.array(z.object({
      periodStart: z.string(), actual: z.number().int(), weighted: z.number().int(), calibrated: z.number().int(),
      trailingMean: z.number().int(), seasonalNaive: z.number().int(), p10: z.number().int(), p90: z.number().int(),
    })),
    mape: z.object({ weighted: z.number().nullable(), calibrated: z.number().nullable(), trailingMean: z.number().nullable(), seasonalNaive: z.number().nullable() }),
    coverage: z.number().nullable(),
  })
  .openapi('ForecastBacktest');

const BacktestQuery = z.object({
  from: dateParam('First period start included (default: 12 periods before `to`)'),
  to: dateParam('Last period start included (default: the last period that has ended)'),
  period: z.enum(['month', 'quarter'], { message: 'Use month or quarter.' }).default('month'),
});

export const forecastRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['reports'],
      summary: 'The stored forecast of a date (latest if none) and the accuracy of stored forecasts of closed periods',
      middleware: [reportsAccess()] as const,
      request: { params: TenantParams, query: z.object({ date: dateParam('Snapshot date (default: the latest)') }) },
      responses: { 200: jsonResponse(ForecastSchema, 'The forecast'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const { date } = c.req.valid('query');
      const repo = c.get('repos').forecasts;
      const [view, accuracy, target] = await Promise.all([repo.stored(date), repo.accuracyHistory(), c.get('repos').settings.targets()]);
      return c.json({ ...view, target, accuracy }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/backtest',
      tags: ['reports'],
      summary: 'Backtest: each method’s forecast for past periods (made the day before each began) against what was won',
      middleware: [reportsAccess()] as const,
      request: { params: TenantParams, query: BacktestQuery },
      responses: { 200: jsonResponse(BacktestSchema, 'Rows, MAPE per method and P10–P90 coverage'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const tenant = c.get('tenant');
      const months = query.period === 'month' ? 1 : 3;
      const fy = tenant.fiscalYearStartMonth;
      const startOf = (date: string) => (months === 1 ? monthStart(date) : quarterStart(date, fy));
      const today = localDate(c.get('now')(), tenant.timezone);
      // Only periods that have ended (before today) have an actual to score against.
      const lastEnded = addMonths(startOf(today), -months);
      const to = query.to ?? lastEnded;
      const from = query.from ?? addMonths(startOf(to), -(12 - 1) * months);
      if (from > to) throw badRequest([{ path: 'query.from', message: 'Make “from” no later than “to”.' }]);
      let first = startOf(from);
      if (first < from) first = addMonths(first, months);
      let count = 0;
      for (let s = first; s <= to && count <= MAX_BACKTEST_PERIODS; s = addMonths(s, months)) count++;
      if (count > MAX_BACKTEST_PERIODS) {
        throw badRequest([{ path: 'query.to', message: `A backtest covers at most ${MAX_BACKTEST_PERIODS} periods.` }]);
      }
      const effectiveTo = to < lastEnded ? to : lastEnded;
      const repo = c.get('repos').forecasts;
      const stages = await repo.loadStages();
      const yesterday = addDays(today, -1);
      const history = await repo.loadCompiled(yesterday, tenant, stages);
      const open = openCount(history, stages, yesterday);
      const result = first > effectiveTo
        ? { rows: [], mape: { weighted: null, calibrated: null, trailingMean: null, seasonalNaive: null }, coverage: null }
        : backtest(history, stages, {
          from: first, to: effectiveTo, period: query.period, fiscalYearStartMonth: fy,
          seed: forecastSeed(tenant.id, 'backtest'), samples: Math.min(BACKTEST_MAX_SAMPLES, samplesFor(open)),
        });
      return c.json({ period: query.period, ...result }, 200);
    },
  );
