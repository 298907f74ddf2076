// The reports API calls (docs/reports-contract.md), one function each. The stats routes go
// through the typed client and each answer is assigned to the contract's type (./types.ts), so a
// route whose response stops matching what the page reads fails `svelte-check`.
import { tenantApi } from '../api/client';
import { call } from '../api/errors';
import type { Backtest, Forecast, RecomputeJob, Series, Stats } from './types';

const statsApi = tenantApi.stats;
type SeriesQuery = Parameters<typeof statsApi.series.$get>[0]['query'];

export async function fetchStats(tenant: string, query: { date?: string; pipelineId?: string }): Promise<Stats> {
	const body = await call(() => statsApi.$get({ param: { tenant }, query }));
	// The snapshot's head is checked against the contract. Breakdown entries carry whatever
	// metrics the nightly job writes (a zod catchall), which Hono's client types as a plain JSON
	// record without the key fields, so those arrays are narrowed to the contract's rows.
	const head: Pick<Stats, 'asOfDate' | 'pipelineId' | 'computedAt' | 'range' | 'total'> = body;
	return { ...(body as unknown as Stats), ...head };
}

export async function fetchSeries(tenant: string, query: { metric: SeriesQuery['metric']; from: string; to: string; pipelineId?: string }): Promise<Series> {
	const series: Series = await call(() => statsApi.series.$get({ param: { tenant }, query }));
	return series;
}

export const startRecompute = (tenant: string, json: { from?: string; to?: string } = {}) => call(() => statsApi.recompute.$post({ param: { tenant }, json }));

export async function fetchRecomputeJob(tenant: string, jobId: string): Promise<RecomputeJob> {
	const job: RecomputeJob = await call(() => statsApi.jobs[':jobId'].$get({ param: { tenant, jobId } }));
	return job;
}

export async function fetchForecast(tenant: string, query: { date?: string }): Promise<Forecast> {
	const forecast: Forecast = await call(() => tenantApi.forecast.$get({ param: { tenant }, query }));
	return forecast;
}

export async function fetchBacktest(tenant: string, query: { from: string; to: string; period: 'month' | 'quarter' }): Promise<Backtest> {
	const backtest: Backtest = await call(() => tenantApi.forecast.backtest.$get({ param: { tenant }, query }));
	return backtest;
}
