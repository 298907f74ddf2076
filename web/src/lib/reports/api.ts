// The reports API calls (docs/reports-contract.md), one function each.
// TEMPORARY: the routes are being built in another branch; until they are in AppType these go
// through fetch with the contract's types. Replaced by the typed client once merged.
import type { ClientResponse } from 'hono/client';
import { call } from '../api/errors';
import type { Backtest, Forecast, RecomputeJob, Series, Stats } from './types';

type Query = Record<string, string | undefined>;

function url(tenant: string, path: string, query: Query = {}): string {
	const search = new URLSearchParams();
	for (const [key, value] of Object.entries(query)) if (value) search.set(key, value);
	const text = search.toString();
	return `/api/t/${encodeURIComponent(tenant)}${path}${text ? `?${text}` : ''}`;
}

function request<T>(input: string, init?: RequestInit) {
	return call(() => fetch(input, { credentials: 'same-origin', ...init }) as unknown as Promise<ClientResponse<T, 200, 'json'>>);
}

export const fetchStats = (tenant: string, query: { date?: string; pipelineId?: string }) => request<Stats>(url(tenant, '/stats', query));

export const fetchSeries = (tenant: string, query: { metric: string; from: string; to: string; pipelineId?: string }) => request<Series>(url(tenant, '/stats/series', query));

export const startRecompute = (tenant: string, body: { from?: string; to?: string } = {}) =>
	request<{ jobId: string; from: string; to: string; total: number }>(url(tenant, '/stats/recompute'), {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});

export const fetchRecomputeJob = (tenant: string, jobId: string) => request<RecomputeJob>(url(tenant, `/stats/jobs/${encodeURIComponent(jobId)}`));

export const fetchForecast = (tenant: string, query: { date?: string }) => request<Forecast>(url(tenant, '/forecast', query));

export const fetchBacktest = (tenant: string, query: { from: string; to: string; period: 'month' | 'quarter' }) => request<Backtest>(url(tenant, '/forecast/backtest', query));
