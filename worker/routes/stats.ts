// Nightly statistics (docs/reports-contract.md): GET /stats (a snapshot), GET /stats/series (one
// metric over time), POST /stats/recompute (admins: enqueue the nightly job for a range of dates)
// and GET /stats/jobs/:jobId (its progress).
//
// Who may read: every member and viewer — except in a workspace that shows members only their own
// opportunities: team totals would reveal everyone else's deals, so members and viewers get 403
// `reports_restricted` there (owners and admins still read).
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { TenantEnv } from '../env';
import { badRequest, notFound } from '../errors';
import { RECOMPUTE_MAX_DAYS, planRecompute, startRecompute } from '../jobs/recompute';
import { adminOnly, reportsAccess } from '../middleware/admin';
import { AUTHENTICATED_ERRORS, TenantParams, jsonBody, jsonResponse, newRouter } from '../openapi';
import { daysInRange, type StatsRow, type StatsRowMetrics } from '../repos/stats-read';
import { addDays, isCalendarDate, localDate } from '../services/dates';

export const SERIES_MAX_DAYS = 400;
const SERIES_DEFAULT_DAYS = 90;

// The `total` row's metrics named in the contract: the only names /stats/series accepts.
const PERIOD_METRICS = ['Day', 'Mtd', 'Qtd'].flatMap((p) =>
  ['createdCount', 'createdAmount', 'wonCount', 'wonAmount', 'lostCount', 'lostAmount'].map((m) => `${m}${p}`),
);
export const TOTAL_METRICS = [
  'openCount', 'openAmount', 'weightedAmount', ...PERIOD_METRICS,
  'wonCount90', 'lostCount90', 'wonAmount90', 'wonCountAll', 'lostCountAll', 'wonAmountAll', 'lostAmountAll', 'winRate90', 'winRateAll',
  'cycleMedianDays', 'avgWonAmount', 'velocityPerDay',
  'followUpsDone28', 'followUpsPerOpenPerWeek', 'plannedShare', 'overdueCount', 'staleCount',
] as [string, ...string[]];

const CalendarDate = z.string().refine(isCalendarDate, { message: 'Use a calendar date YYYY-MM-DD.' }).openapi({ example: '2026-11-27' });
const PipelineId = z.string().min(1).max(64).openapi({ description: 'One pipeline; all pipelines together when left out' });

const Metrics = z.record(z.string(), z.number().nullable()).openapi('StatsMetrics', {
  description: 'Metric name → value (amounts in minor units, rates 0–1, null when undefined); see docs/reports-contract.md',
});
/** A breakdown entry: its key field(s) plus every metric of the row. */
const entry = (name: string, keys: Record<string, z.ZodType>) => z.object(keys).catchall(z.number().nullable()).openapi(name);
const nullableId = (description: string) => z.string().nullable().openapi({ description });

const StatsSchema = z
  .object({
    asOfDate: z.string().nullable().openapi({ description: 'The snapshot’s date; null when there is none (yet) for the date asked' }),
    pipelineId: z.string().nullable(),
    computedAt: z.number().int().nullable().openapi({ description: 'Epoch ms the snapshot was computed' }),
    range: z.object({ first: z.string(), last: z.string() }).nullable().openapi({ description: 'First and last dates with a snapshot' }),
    total: Metrics.nullable(),
    byStage: z.array(entry('StatsByStage', { stageId: z.string(), count: z.number(), amount: z.number(), weightedAmount: z.number() })),
    byOwner: z.array(entry('StatsByOwner', { ownerId: z.string() })),
    byType: z.array(entry('StatsByType', { typeId: nullableId('null: no type') })),
    bySource: z.array(entry('StatsBySource', { sourceId: nullableId('null: no source') })),
    byProduct: z.array(entry('StatsByProduct', { productId: z.string() })),
    byLostReason: z.array(entry('StatsByLostReason', { lostReasonId: nullableId('null: no reason given'), count: z.number(), amount: z.number().nullable() })),
    funnel: z.array(entry('StatsFunnelStage', { stageId: z.string() })),
    followUp: z.object({
      byOwner: z.array(entry('FollowUpByOwner', { ownerId: z.string() })),
      byChannel: z.array(entry('FollowUpByChannel', { channel: z.string() })),
      byChannelOwner: z.array(entry('FollowUpByChannelOwner', { ownerId: z.string(), channel: z.string() })),
      byBand: z.array(entry('FollowUpByBand', { band: z.string() })),
      byBandOwner: z.array(entry('FollowUpByBandOwner', { ownerId: z.string(), band: z.string() })),
    }),
  })
  .openapi('StatsSnapshot');

const SeriesSchema = z
  .object({ metric: z.string(), from: z.string(), to: z.string(), points: z.array(z.object({ date: z.string(), value: z.number().nullable() })) })
  .openapi('StatsSeries');

const JobSchema = z
  .object({
    id: z.string(), from: z.string(), to: z.string(),
    total: z.number().int().openapi({ description: 'Dates to compute (0: the workspace has no finished day in the range)' }),
    done: z.number().int(), failed: z.number().int().openapi({ description: 'Dates whose run failed after the queue’s retries' }),
    status: z.enum(['running', 'done']),
  })
  .openapi('StatsJob');

const RecomputeBody = z
  .object({
    from: CalendarDate.optional().openapi({ description: 'Default: 89 days before `to`; moved to the workspace’s first day if earlier' }),
    to: CalendarDate.optional().openapi({ description: 'Default: yesterday (workspace time zone); a day that has ended' }),
  })
  .openapi('StatsRecompute');

const yesterdayOf = (c: Context<TenantEnv>) => addDays(localDate(c.get('now')(), c.get('tenant').timezone), -1);

/** Stored rows (by dimension) → the contract's arrays. Key '' (none) becomes null for ids. */
export function shapeSnapshot(rows: StatsRow[], stageOrder: Map<string, number>) {
  const of = (dimension: string) => rows.filter((r) => r.dimension === dimension);
  const orNull = (key: string) => (key === '' ? null : key);
  const splitKey = (key: string) => {
    // `userId:kind` / `userId:band`: ids never contain ':', kinds and bands neither.
    const at = key.indexOf(':');
    return at < 0 ? [key, ''] : [key.slice(0, at), key.slice(at + 1)];
  };
  const stageRank = (id: string) => stageOrder.get(id) ?? Number.MAX_SAFE_INTEGER;
  const m = (metrics: StatsRowMetrics, name: string) => metrics[name] ?? null;
  return {
    total: of('total')[0]?.metrics ?? null,
    byStage: of('stage')
      .sort((a, b) => stageRank(a.key) - stageRank(b.key))
      .map((r) => ({ stageId: r.key, ...r.metrics, count: m(r.metrics, 'openCount') ?? 0, amount: m(r.metrics, 'openAmount') ?? 0, weightedAmount: m(r.metrics, 'weightedAmount') ?? 0 })),
    byOwner: of('owner').map((r) => ({ ownerId: r.key, ...r.metrics })),
    byType: of('type').map((r) => ({ typeId: orNull(r.key), ...r.metrics })),
    bySource: of('source').map((r) => ({ sourceId: orNull(r.key), ...r.metrics })),
    byProduct: of('product').map((r) => ({ productId: r.key, ...r.metrics })),
    byLostReason: of('lost_reason').map((r) => ({ lostReasonId: orNull(r.key), ...r.metrics, count: m(r.metrics, 'lostCountAll') ?? 0, amount: m(r.metrics, 'lostAmountAll') })),
    funnel: of('funnel')
      .sort((a, b) => (m(a.metrics, 'position') ?? 0) - (m(b.metrics, 'position') ?? 0) || stageRank(a.key) - stageRank(b.key))
      .map((r) => ({ stageId: r.key, ...r.metrics })),
    followUp: {
      byOwner: of('followup_owner').map((r) => ({ ownerId: r.key, ...r.metrics })),
      byChannel: of('followup_channel').map((r) => ({ channel: r.key, ...r.metrics })),
      byChannelOwner: of('followup_channel_owner').map((r) => {
        const [ownerId, channel] = splitKey(r.key);
        return { ownerId: ownerId!, channel: channel!, ...r.metrics };
      }),
      byBand: of('followup_band').map((r) => ({ band: r.key, ...r.metrics })),
      byBandOwner: of('followup_band_owner').map((r) => {
        const [ownerId, band] = splitKey(r.key);
        return { ownerId: ownerId!, band: band!, ...r.metrics };
      }),
    },
  };
}

const EMPTY = shapeSnapshot([], new Map());

export const statsRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['stats'],
      middleware: [reportsAccess()] as const,
      summary: 'A statistics snapshot: the latest one, or the one of `date` (tenant-local)',
      request: { params: TenantParams, query: z.object({ date: CalendarDate.optional(), pipelineId: PipelineId.optional() }) },
      responses: { 200: jsonResponse(StatsSchema, 'The snapshot; asOfDate null and empty arrays when there is none'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const { date, pipelineId } = c.req.valid('query');
      const reports = c.get('repos').reports;
      if (pipelineId !== undefined && !(await reports.pipelineExists(pipelineId))) throw notFound('No such pipeline in this workspace.');
      const range = await reports.snapshotRange();
      const asOfDate = date === undefined ? (range?.last ?? null) : (await reports.hasSnapshot(date)) ? date : null;
      if (asOfDate === null) return c.json({ asOfDate: null, pipelineId: pipelineId ?? null, computedAt: null, range, ...EMPTY }, 200);
      const [rows, stageOrder] = await Promise.all([reports.snapshotRows(asOfDate, pipelineId ?? ''), reports.stageOrder()]);
      return c.json({ asOfDate, pipelineId: pipelineId ?? null, computedAt: rows.reduce<number | null>((at, r) => Math.max(at ?? 0, r.computedAt), null), range, ...shapeSnapshot(rows, stageOrder) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/series',
      tags: ['stats'],
      middleware: [reportsAccess()] as const,
      summary: `One metric of the total row per snapshot date (at most ${SERIES_MAX_DAYS} days)`,
      request: {
        params: TenantParams,
        query: z.object({
          metric: z.enum(TOTAL_METRICS, { message: `Use one of: ${TOTAL_METRICS.join(', ')}.` }).default('openCount'),
          from: CalendarDate.optional().openapi({ description: `Default: ${SERIES_DEFAULT_DAYS - 1} days before \`to\`` }),
          to: CalendarDate.optional().openapi({ description: 'Default: the latest snapshot date (yesterday when there is none)' }),
          pipelineId: PipelineId.optional(),
        }),
      },
      responses: { 200: jsonResponse(SeriesSchema, 'Points for the dates that have a snapshot'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const { metric, from: fromQuery, to: toQuery, pipelineId } = c.req.valid('query');
      const reports = c.get('repos').reports;
      if (pipelineId !== undefined && !(await reports.pipelineExists(pipelineId))) throw notFound('No such pipeline in this workspace.');
      const to = toQuery ?? (await reports.snapshotRange())?.last ?? yesterdayOf(c);
      const from = fromQuery ?? addDays(to, -(SERIES_DEFAULT_DAYS - 1));
      if (from > to) throw badRequest([{ path: 'from', message: 'Use a date on or before `to`.' }]);
      if (daysInRange(from, to) > SERIES_MAX_DAYS) throw badRequest([{ path: 'from', message: `Ask for at most ${SERIES_MAX_DAYS} days.` }]);
      return c.json({ metric, from, to, points: await reports.series(metric, from, to, pipelineId ?? '') }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/recompute',
      tags: ['stats'],
      summary: `Recompute the statistics of a range of dates (owners and admins; at most ${RECOMPUTE_MAX_DAYS} days)`,
      middleware: [adminOnly()] as const,
      request: { params: TenantParams, body: { ...jsonBody(RecomputeBody), required: false } },
      responses: {
        202: jsonResponse(z.object({ jobId: z.string(), from: z.string(), to: z.string(), total: z.number().int() }).openapi('StatsRecomputeAccepted'), 'Enqueued; poll GET /stats/jobs/{jobId}'),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const tenant = c.get('tenant');
      const repos = c.get('repos');
      const firstDay = (await repos.reports.firstDay(tenant.timezone)) ?? yesterdayOf(c);
      const plan = planRecompute(body, yesterdayOf(c), firstDay);
      if ('errors' in plan) throw badRequest(plan.errors);
      const jobId = await startRecompute(c.env.NIGHTLY_QUEUE, repos, plan, { userId: c.get('user').id, now: c.get('now')() });
      return c.json({ jobId, from: plan.from, to: plan.to, total: plan.total }, 202);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/jobs/{jobId}',
      tags: ['stats'],
      summary: 'A recompute job’s progress',
      request: { params: TenantParams.extend({ jobId: z.string().min(1).max(64).openapi({ param: { name: 'jobId', in: 'path' } }) }) },
      responses: { 200: jsonResponse(JobSchema, 'The job'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const job = await c.get('repos').reports.job(c.req.valid('param').jobId);
      if (!job) throw notFound();
      const { id, from, to, total, done, failed, status } = job;
      return c.json({ id, from, to, total, done, failed, status }, 200);
    },
  );
