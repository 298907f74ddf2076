// ECharts options for the report charts. Pure functions of already-named, already-formatted
// data: no ECharts runtime here (type imports only), so building options costs nothing until a
// chart is actually drawn.
import type { EChartsOption } from 'echarts';

export const PALETTE = ['#2456e6', '#13a26b', '#e08a00', '#8a4fd8', '#d6455d', '#1f9bb4', '#6b7487'];
const MUTED = '#6b7487';
const GRID_LINE = '#e6e9ee';

export interface Formatters {
	/** Value axis labels and tooltips for amounts (the values are major units). */
	money: (major: number) => string;
	number: (value: number) => string;
	percent: (fraction: number) => string;
}

// The chart component sets fontFamily to the page's own stack.
const baseText = { color: '#161b26' };

function valueAxis(format: (value: number) => string, extra: Record<string, unknown> = {}) {
	return { type: 'value' as const, axisLabel: { formatter: (value: number) => format(value), color: MUTED }, splitLine: { lineStyle: { color: GRID_LINE } }, ...extra };
}

/** `conversion`: the share that advanced, already formatted ('' for the last stage). */
export function funnelOption(points: { name: string; value: number; label: string; conversion: string }[], formatters: Formatters): EChartsOption {
	return {
		textStyle: baseText,
		color: PALETTE,
		tooltip: { trigger: 'item', formatter: (params) => (Array.isArray(params) ? '' : (points[params.dataIndex]?.label ?? '')) },
		series: [
			{
				type: 'funnel',
				sort: 'none',
				left: '8%',
				right: '8%',
				top: 8,
				bottom: 8,
				minSize: '12%',
				gap: 2,
				label: {
					show: true,
					position: 'inside',
					color: '#fff',
					formatter: (params) => {
						const conversion = points[params.dataIndex]?.conversion;
						return `${params.name}  ${formatters.number(Number(params.value))}${conversion ? `  → ${conversion}` : ''}`;
					},
					overflow: 'truncate',
				},
				data: points.map((point) => ({ name: point.name, value: point.value })),
			},
		],
	};
}

export function trendOption(
	dates: string[],
	series: { count: (number | null)[]; amount: (number | null)[]; projected?: (number | null)[] },
	labels: { count: string; amount: string; projected: string },
	formatters: Formatters,
): EChartsOption {
	const lines: EChartsOption['series'] = [
		{ type: 'line', name: labels.count, data: series.count, showSymbol: false, yAxisIndex: 0, connectNulls: false },
		{ type: 'line', name: labels.amount, data: series.amount, showSymbol: false, yAxisIndex: 1, areaStyle: { opacity: 0.08 } },
	];
	if (series.projected) lines.push({ type: 'line', name: labels.projected, data: series.projected, showSymbol: false, yAxisIndex: 0, lineStyle: { type: 'dashed' } });
	return {
		textStyle: baseText,
		color: PALETTE,
		grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
		legend: { top: 0, type: 'scroll' },
		tooltip: {
			trigger: 'axis',
			valueFormatter: (value) => (typeof value === 'number' ? formatters.number(value) : '—'),
		},
		xAxis: { type: 'category', data: dates, boundaryGap: false, axisLabel: { color: MUTED, hideOverlap: true } },
		yAxis: [valueAxis(formatters.number, { minInterval: 1 }), valueAxis(formatters.money, { splitLine: { show: false } })],
		series: lines,
	};
}

/** Horizontal bars, one row per name: long (Chinese) names stay readable on a phone. */
export function horizontalBarsOption(names: string[], series: { name: string; values: (number | null)[]; format: (value: number) => string }[], formatters: Formatters): EChartsOption {
	const format = series[0]?.format ?? formatters.number;
	return {
		textStyle: baseText,
		color: PALETTE,
		grid: { left: 8, right: 24, top: series.length > 1 ? 32 : 8, bottom: 8, containLabel: true },
		legend: series.length > 1 ? { top: 0 } : undefined,
		tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
		yAxis: { type: 'category', data: names, inverse: true, axisLabel: { color: '#161b26', width: 120, overflow: 'truncate' } },
		xAxis: valueAxis(format),
		series: series.map((entry) => ({
			type: 'bar',
			name: entry.name,
			data: entry.values,
			barMaxWidth: 18,
			tooltip: { valueFormatter: (value) => (typeof value === 'number' ? entry.format(value) : '—') },
			label: { show: series.length === 1, position: 'right', formatter: (params) => (typeof params.value === 'number' ? entry.format(params.value) : ''), color: MUTED },
		})),
	};
}

/** Vertical bars for few categories (channels, bands, methods, stages). */
export function columnsOption(names: string[], series: { name: string; values: (number | null)[]; format: (value: number) => string }[]): EChartsOption {
	const format = series[0]?.format ?? String;
	return {
		textStyle: baseText,
		color: PALETTE,
		grid: { left: 8, right: 8, top: series.length > 1 ? 32 : 16, bottom: 8, containLabel: true },
		legend: series.length > 1 ? { top: 0 } : undefined,
		tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
		xAxis: { type: 'category', data: names, axisLabel: { color: '#161b26', interval: 0, hideOverlap: true, width: 90, overflow: 'truncate' } },
		yAxis: valueAxis(format),
		series: series.map((entry) => ({
			type: 'bar',
			name: entry.name,
			data: entry.values,
			barMaxWidth: 36,
			tooltip: { valueFormatter: (value) => (typeof value === 'number' ? entry.format(value) : '—') },
			label: { show: true, position: 'top', formatter: (params) => (typeof params.value === 'number' ? entry.format(params.value) : ''), color: MUTED, fontSize: 11 },
		})),
	};
}

/**
 * The fan: a P10–P90 band (drawn as P10 plus a stacked P90−P10 area), P50 and the weighted
 * pipeline as lines, closed-won so far as bars and the target as a horizontal line.
 */
export function fanOption(
	categories: string[],
	values: { p10: number[]; p50: number[]; p90: number[]; weighted: number[]; closedWon: number[] },
	target: number | null,
	labels: { band: string; p50: string; weighted: string; closedWon: string; target: string },
	formatters: Formatters,
): EChartsOption {
	const bandColor = '#2456e6';
	return {
		textStyle: baseText,
		color: PALETTE,
		grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
		legend: { top: 0, data: [labels.band, labels.p50, labels.weighted, labels.closedWon], type: 'scroll' },
		tooltip: {
			trigger: 'axis',
			formatter: (params) => {
				const index = Array.isArray(params) ? (params[0]?.dataIndex ?? 0) : params.dataIndex;
				const rows = [
					[labels.band, `${formatters.money(values.p10[index] ?? 0)} – ${formatters.money(values.p90[index] ?? 0)}`],
					[labels.p50, formatters.money(values.p50[index] ?? 0)],
					[labels.weighted, formatters.money(values.weighted[index] ?? 0)],
					[labels.closedWon, formatters.money(values.closedWon[index] ?? 0)],
				];
				if (target !== null) rows.push([labels.target, formatters.money(target)]);
				return `${categories[index] ?? ''}<br>${rows.map(([name, value]) => `${name}: <b>${value}</b>`).join('<br>')}`;
			},
		},
		xAxis: { type: 'category', data: categories, boundaryGap: true, axisLabel: { color: MUTED } },
		yAxis: valueAxis(formatters.money),
		series: [
			{ type: 'line', name: labels.band, data: values.p10, stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, tooltip: { show: false } },
			{
				type: 'line',
				name: labels.band,
				data: values.p90.map((high, index) => high - (values.p10[index] ?? 0)),
				stack: 'band',
				symbol: 'none',
				lineStyle: { opacity: 0 },
				areaStyle: { color: bandColor, opacity: 0.18 },
				itemStyle: { color: bandColor },
			},
			{
				type: 'line',
				name: labels.p50,
				data: values.p50,
				symbolSize: 8,
				itemStyle: { color: bandColor },
				lineStyle: { width: 3 },
				markLine:
					target === null
						? undefined
						: { symbol: 'none', silent: true, lineStyle: { color: '#d6455d', type: 'dashed' }, label: { formatter: `${labels.target} ${formatters.money(target)}`, position: 'insideEndTop' }, data: [{ yAxis: target }] },
			},
			{ type: 'line', name: labels.weighted, data: values.weighted, symbolSize: 7, itemStyle: { color: '#e08a00' }, lineStyle: { type: 'dashed' } },
			{ type: 'bar', name: labels.closedWon, data: values.closedWon, barMaxWidth: 28, itemStyle: { color: '#13a26b', opacity: 0.85 } },
		],
	};
}

/** Actual against forecasts over closed periods, with the P10–P90 band. */
export function accuracyOption(
	categories: string[],
	values: { actual: (number | null)[]; weighted: (number | null)[]; calibrated: (number | null)[]; p10: (number | null)[]; p90: (number | null)[] },
	labels: { actual: string; weighted: string; calibrated: string; band: string },
	formatters: Formatters,
): EChartsOption {
	return {
		textStyle: baseText,
		color: PALETTE,
		grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
		legend: { top: 0, data: [labels.actual, labels.calibrated, labels.weighted, labels.band], type: 'scroll' },
		tooltip: { trigger: 'axis', valueFormatter: (value) => (typeof value === 'number' ? formatters.money(value) : '—') },
		xAxis: { type: 'category', data: categories, axisLabel: { color: MUTED, hideOverlap: true } },
		yAxis: valueAxis(formatters.money),
		series: [
			{ type: 'line', name: labels.band, data: values.p10, stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, tooltip: { show: false } },
			{
				type: 'line',
				name: labels.band,
				data: values.p90.map((high, index) => {
					const low = values.p10[index];
					return high === null || low === null || low === undefined ? null : high - low;
				}),
				stack: 'band',
				symbol: 'none',
				lineStyle: { opacity: 0 },
				areaStyle: { color: '#2456e6', opacity: 0.14 },
				itemStyle: { color: '#2456e6' },
				tooltip: { show: false },
			},
			{ type: 'bar', name: labels.actual, data: values.actual, barMaxWidth: 24, itemStyle: { color: '#13a26b' } },
			{ type: 'line', name: labels.calibrated, data: values.calibrated, itemStyle: { color: '#2456e6' }, lineStyle: { width: 3 } },
			{ type: 'line', name: labels.weighted, data: values.weighted, itemStyle: { color: '#e08a00' }, lineStyle: { type: 'dashed' } },
		],
	};
}
