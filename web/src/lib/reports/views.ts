// Each report section as views (a chart and the table with the same numbers), built from the
// API's answers, the name book and the formatters. Pure apart from t(): the page derives these,
// so a language switch rebuilds every label.
import type { ReportView } from '../components/reports/report-section.svelte';
import { fromMinorUnits, formatMoney, formatMoneyCompact, formatNumber } from '../format/intl';
import { t } from '../i18n/index.svelte';
import { accuracyOption, columnsOption, fanOption, funnelOption, horizontalBarsOption, trendOption, type Formatters } from './charts';
import { formatDay, formatMonth } from './dates';
import { BAND_ORDER, type NameBook } from './names';
import { reportTable, type ReportColumn } from './table';
import type { Backtest, BacktestMethod, Forecast, ForecastPeriod, Metrics, Series, Stats } from './types';

export interface ReportFormat {
	currency: string;
	locale: string;
	money(minor: number | null | undefined): string;
	/** Minor units → a plain number of major units (CSV, chart values). */
	major(minor: number | null | undefined): number | null;
	number(value: number | null | undefined, digits?: number): string;
	percent(fraction: number | null | undefined): string;
	day(date: string): string;
	/** Month and day only, for a chart axis. */
	shortDay(date: string): string;
	month(date: string): string;
	chart: Formatters;
}

export function reportFormat(currency: string, locale: string): ReportFormat {
	const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
	const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
	return {
		currency,
		locale,
		money: (minor) => (isNumber(minor) ? formatMoney(Math.round(minor), currency, locale) : '—'),
		major: (minor) => (isNumber(minor) ? fromMinorUnits(Math.round(minor), currency) : null),
		number: (value, digits = 0) => (isNumber(value) ? new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value) : '—'),
		percent: (fraction) => (isNumber(fraction) ? percent.format(fraction) : '—'),
		day: (date) => formatDay(date, locale),
		shortDay: (date) => formatDay(date, locale, { month: 'short', day: 'numeric' }),
		month: (date) => formatMonth(date, locale),
		chart: {
			// Chart values are major units already; compact keeps axes narrow (¥1.2M, ¥120万).
			money: (major) => formatMoneyCompact(Math.round(major * 10 ** minorDigits(currency)), currency, locale),
			number: (value) => formatNumber(value, locale),
			percent: (fraction) => percent.format(fraction),
		},
	};
}

function minorDigits(currency: string): number {
	return Math.round(Math.log10(1 / fromMinorUnits(1, currency)));
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
/** Rates go to CSV as percentages with one decimal (what a spreadsheet user expects to read). */
const pct = (fraction: number | null | undefined): number | null => (typeof fraction === 'number' && Number.isFinite(fraction) ? Math.round(fraction * 1000) / 10 : null);
const moneyHeader = (label: string, format: ReportFormat) => `${label} (${format.currency})`;
const summarize = (parts: string[]) => parts.slice(0, 8).join('; ');

// ---------- 机会数 by stage: funnel per pipeline ----------

export function funnelViews(stats: Stats, names: NameBook, format: ReportFormat, pipelineId: string): ReportView[] {
	const byStage = new Map(stats.byStage.map((row) => [row.stageId, row]));
	const funnelIds = new Set(stats.funnel.map((row) => row.stageId));
	// One funnel per pipeline: stages of different pipelines do not flow into each other.
	const pipelineIds = [...new Set([...stats.funnel.map((row) => names.stagePipeline(row.stageId)), ...stats.byStage.map((row) => names.stagePipeline(row.stageId))])].filter(
		(id) => !pipelineId || id === pipelineId,
	);
	return pipelineIds.map((id) => {
		const funnel = stats.funnel.filter((row) => names.stagePipeline(row.stageId) === id).sort((a, b) => a.position - b.position);
		const others = stats.byStage.filter((row) => !funnelIds.has(row.stageId) && names.stagePipeline(row.stageId) === id).sort((a, b) => names.stagePosition(a.stageId) - names.stagePosition(b.stageId));
		const rows = [
			...funnel.map((row) => ({ stageId: row.stageId, funnel: row, stage: byStage.get(row.stageId) })),
			...others.map((row) => ({ stageId: row.stageId, funnel: undefined, stage: row })),
		];
		const pipeline = id ? names.pipeline(id) : t('reports.allPipelines');
		const points = funnel.map((row) => ({
			name: names.stage(row.stageId),
			value: row.entered,
			conversion: row.conversion === null ? '' : format.percent(row.conversion),
			label:
				row.conversion === null
					? t('reports.funnel.pointEnd', { stage: names.stage(row.stageId), entered: format.number(row.entered) })
					: t('reports.funnel.point', { stage: names.stage(row.stageId), entered: format.number(row.entered), conversion: format.percent(row.conversion) }),
		}));
		type Row = (typeof rows)[number];
		const columns: ReportColumn<Row>[] = [
			{ label: t('reports.columns.stage'), cell: (row) => names.stage(row.stageId) },
			{ label: t('reports.columns.openCount'), cell: (row) => format.number(row.stage?.count ?? 0), csv: (row) => row.stage?.count ?? 0, numeric: true },
			{ label: t('reports.columns.openAmount'), cell: (row) => format.money(row.stage?.amount ?? 0), csv: (row) => format.major(row.stage?.amount ?? 0), numeric: true },
			{ label: t('reports.columns.weightedAmount'), cell: (row) => format.money(row.stage?.weightedAmount ?? 0), csv: (row) => format.major(row.stage?.weightedAmount ?? 0), numeric: true },
			{ label: t('reports.columns.entered'), cell: (row) => format.number(row.funnel?.entered), csv: (row) => row.funnel?.entered, numeric: true },
			{ label: t('reports.columns.advanced'), cell: (row) => format.number(row.funnel?.advanced), csv: (row) => row.funnel?.advanced, numeric: true },
			{ label: t('reports.columns.conversion'), cell: (row) => format.percent(row.funnel?.conversion), csv: (row) => pct(row.funnel?.conversion), numeric: true },
			{ label: t('reports.columns.avgDaysInStage'), cell: (row) => format.number(row.funnel?.avgDaysInStage, 1), csv: (row) => num(row.funnel?.avgDaysInStage), numeric: true },
		];
		return {
			key: `funnel-${id || 'all'}`,
			heading: pipelineIds.length > 1 ? t('reports.funnel.view', { pipeline }) : undefined,
			chart: points.length
				? { option: funnelOption(points, format.chart), label: t('reports.funnel.label', { pipeline, summary: summarize(points.map((point) => point.label)) }), height: Math.max(220, points.length * 48) }
				: undefined,
			table: reportTable(t('reports.funnel.caption', { pipeline }), `funnel-${stats.asOfDate}.csv`, csvHeaders(columns, format, [2, 3]), rows),
		};
	});
}

/** Money columns get the currency in their CSV header (the file holds plain numbers). */
function csvHeaders<Row>(columns: ReportColumn<Row>[], format: ReportFormat, moneyIndexes: number[]): ReportColumn<Row>[] {
	// The on-screen table shows formatted money; the header names the currency for both.
	return columns.map((column, index) => (moneyIndexes.includes(index) ? { ...column, label: moneyHeader(column.label, format) } : column));
}

// ---------- trend ----------

export function trendView(count: Series | null, amount: Series | null, projection: { date: string; open: number }[], format: ReportFormat, range: { from: string; to: string }): ReportView {
	const counts = new Map((count?.points ?? []).map((point) => [point.date, point.value]));
	const amounts = new Map((amount?.points ?? []).map((point) => [point.date, point.value]));
	const projected = new Map(projection.map((point) => [point.date, point.open]));
	const dates = [...new Set([...counts.keys(), ...amounts.keys()])].sort();
	const future = [...projected.keys()].filter((date) => date > (dates.at(-1) ?? '')).sort();
	const all = [...dates, ...future];
	const rows = all.map((date) => ({ date, count: counts.get(date) ?? null, amount: amounts.get(date) ?? null, projected: projected.get(date) ?? null }));
	const labels = { count: t('reports.columns.openCount'), amount: t('reports.columns.openAmount'), projected: t('reports.trend.projection') };
	type Row = (typeof rows)[number];
	const columns: ReportColumn<Row>[] = [
		{ label: t('reports.columns.date'), cell: (row) => format.day(row.date), csv: (row) => row.date },
		{ label: t('reports.columns.openCount'), cell: (row) => format.number(row.count), csv: (row) => row.count, numeric: true },
		{ label: moneyHeader(t('reports.columns.openAmount'), format), cell: (row) => format.money(row.amount), csv: (row) => format.major(row.amount), numeric: true },
	];
	if (future.length) columns.push({ label: t('reports.columns.projected'), cell: (row) => (row.projected === null ? '' : format.number(row.projected, 1)), csv: (row) => row.projected, numeric: true });
	const first = rows[0];
	const last = dates.at(-1);
	const summary = first && last ? `${format.day(first.date)} ${format.number(first.count)} → ${format.day(last)} ${format.number(counts.get(last))}` : '';
	return {
		key: 'trend',
		chart: {
			option: trendOption(
				all.map((date) => format.shortDay(date)),
				{
					count: rows.map((row) => row.count),
					amount: rows.map((row) => format.major(row.amount)),
					projected: future.length ? rows.map((row) => row.projected) : undefined,
				},
				labels,
				format.chart,
			),
			label: `${t('reports.trend.label', { from: format.day(range.from), to: format.day(range.to) })} ${summary}`,
		},
		table: reportTable(t('reports.trend.caption'), `trend-${range.from}-${range.to}.csv`, columns, rows),
	};
}

// ---------- by owner / type / source / product ----------

type Dimension = 'owner' | 'type' | 'source' | 'product';

export function breakdownViews(stats: Stats, names: NameBook, format: ReportFormat): ReportView[] {
	const dimensions: { key: Dimension; rows: (Metrics & { id: string | null })[] }[] = [
		{ key: 'owner', rows: stats.byOwner.map((row) => ({ ...row, id: row.ownerId })) },
		{ key: 'type', rows: stats.byType.map((row) => ({ ...row, id: row.typeId })) },
		{ key: 'source', rows: stats.bySource.map((row) => ({ ...row, id: row.sourceId })) },
		{ key: 'product', rows: stats.byProduct.map((row) => ({ ...row, id: row.productId })) },
	];
	return dimensions.map(({ key, rows: unsorted }) => {
		const name = (id: string | null) => names[key](id);
		const rows = [...unsorted].sort((a, b) => (num(b.openCount) ?? 0) - (num(a.openCount) ?? 0) || (num(b.openAmount) ?? 0) - (num(a.openAmount) ?? 0));
		type Row = (typeof rows)[number];
		const columns: ReportColumn<Row>[] = [
			{ label: t(`reports.columns.${key}`), cell: (row) => name(row.id) },
			{ label: t('reports.columns.openCount'), cell: (row) => format.number(num(row.openCount)), csv: (row) => num(row.openCount), numeric: true },
			{ label: moneyHeader(t('reports.columns.openAmount'), format), cell: (row) => format.money(num(row.openAmount)), csv: (row) => format.major(num(row.openAmount)), numeric: true },
			{ label: moneyHeader(t('reports.columns.weightedAmount'), format), cell: (row) => format.money(num(row.weightedAmount)), csv: (row) => format.major(num(row.weightedAmount)), numeric: true },
			{ label: t('reports.columns.wonCountMtd'), cell: (row) => format.number(num(row.wonCountMtd)), csv: (row) => num(row.wonCountMtd), numeric: true },
			{ label: moneyHeader(t('reports.columns.wonAmountMtd'), format), cell: (row) => format.money(num(row.wonAmountMtd)), csv: (row) => format.major(num(row.wonAmountMtd)), numeric: true },
			{ label: t('reports.columns.winRate90'), cell: (row) => format.percent(num(row.winRate90)), csv: (row) => pct(num(row.winRate90)), numeric: true },
		];
		const heading = t(`reports.breakdown.${key}`);
		const chartRows = rows.slice(0, 15);
		return {
			key: `by-${key}`,
			heading,
			chart: rows.length
				? {
						option: horizontalBarsOption(
							chartRows.map((row) => name(row.id)),
							[{ name: t('reports.columns.openCount'), values: chartRows.map((row) => num(row.openCount)), format: format.chart.number }],
							format.chart,
						),
						label: t('reports.breakdown.label', { dimension: heading, summary: summarize(chartRows.map((row) => `${name(row.id)} ${format.number(num(row.openCount))}`)) }),
						height: Math.max(160, chartRows.length * 30 + 24),
					}
				: undefined,
			table: reportTable(heading, `by-${key}-${stats.asOfDate}.csv`, columns, rows),
		};
	});
}

// ---------- win rate, cycle, velocity ----------

export function winRateView(stats: Stats, names: NameBook, format: ReportFormat): ReportView {
	const rows: (Metrics & { id: string | null })[] = [{ ...(stats.total ?? {}), id: null }, ...stats.byOwner.map((row) => ({ ...row, id: row.ownerId }))];
	type Row = (typeof rows)[number];
	const name = (row: Row) => (row.id === null ? t('reports.all') : names.owner(row.id));
	const columns: ReportColumn<Row>[] = [
		{ label: t('reports.columns.owner'), cell: name },
		{ label: t('reports.columns.wonCount90'), cell: (row) => format.number(num(row.wonCount90)), csv: (row) => num(row.wonCount90), numeric: true },
		{ label: t('reports.columns.lostCount90'), cell: (row) => format.number(num(row.lostCount90)), csv: (row) => num(row.lostCount90), numeric: true },
		{ label: t('reports.columns.winRate90'), cell: (row) => format.percent(num(row.winRate90)), csv: (row) => pct(num(row.winRate90)), numeric: true },
		{ label: t('reports.columns.winRateAll'), cell: (row) => format.percent(num(row.winRateAll)), csv: (row) => pct(num(row.winRateAll)), numeric: true },
		{ label: t('reports.columns.cycleMedianDays'), cell: (row) => format.number(num(row.cycleMedianDays), 1), csv: (row) => num(row.cycleMedianDays), numeric: true },
		{ label: moneyHeader(t('reports.columns.avgWonAmount'), format), cell: (row) => format.money(num(row.avgWonAmount)), csv: (row) => format.major(num(row.avgWonAmount)), numeric: true },
		{ label: moneyHeader(t('reports.columns.velocityPerDay'), format), cell: (row) => format.money(num(row.velocityPerDay)), csv: (row) => format.major(num(row.velocityPerDay)), numeric: true },
	];
	const owners = rows.slice(1).filter((row) => num(row.winRate90) !== null || num(row.winRateAll) !== null);
	return {
		key: 'win-rate',
		chart: owners.length
			? {
					option: horizontalBarsOption(
						owners.map(name),
						[
							{ name: t('reports.columns.winRate90'), values: owners.map((row) => num(row.winRate90)), format: format.chart.percent },
							{ name: t('reports.columns.winRateAll'), values: owners.map((row) => num(row.winRateAll)), format: format.chart.percent },
						],
						format.chart,
					),
					label: t('reports.winRate.label', { summary: summarize(owners.map((row) => `${name(row)} ${format.percent(num(row.winRate90))} / ${format.percent(num(row.winRateAll))}`)) }),
					height: Math.max(180, owners.length * 44 + 40),
				}
			: undefined,
		table: reportTable(t('reports.winRate.caption'), `win-rate-${stats.asOfDate}.csv`, columns, rows),
	};
}

// ---------- follow-up effectiveness ----------

export function followUpViews(stats: Stats, names: NameBook, format: ReportFormat): ReportView[] {
	const owners = [...stats.followUp.byOwner].sort((a, b) => names.owner(a.ownerId).localeCompare(names.owner(b.ownerId), format.locale));
	type OwnerRow = (typeof owners)[number];
	const ownerColumns: ReportColumn<OwnerRow>[] = [
		{ label: t('reports.columns.owner'), cell: (row) => names.owner(row.ownerId) },
		{ label: t('reports.columns.openCount'), cell: (row) => format.number(num(row.openCount)), csv: (row) => num(row.openCount), numeric: true },
		{ label: t('reports.columns.followUpsDone28'), cell: (row) => format.number(num(row.followUpsDone28)), csv: (row) => num(row.followUpsDone28), numeric: true },
		{ label: t('reports.columns.followUpsPerOpenPerWeek'), cell: (row) => format.number(num(row.followUpsPerOpenPerWeek), 2), csv: (row) => num(row.followUpsPerOpenPerWeek), numeric: true },
		{ label: t('reports.columns.plannedShare'), cell: (row) => format.percent(num(row.plannedShare)), csv: (row) => pct(num(row.plannedShare)), numeric: true },
		{ label: t('reports.columns.overdueCount'), cell: (row) => format.number(num(row.overdueCount)), csv: (row) => num(row.overdueCount), numeric: true },
		{ label: t('reports.columns.staleCount'), cell: (row) => format.number(num(row.staleCount)), csv: (row) => num(row.staleCount), numeric: true },
		{ label: t('reports.columns.won'), cell: (row) => format.number(num(row.won)), csv: (row) => num(row.won), numeric: true },
		{ label: t('reports.columns.lost'), cell: (row) => format.number(num(row.lost)), csv: (row) => num(row.lost), numeric: true },
		{ label: t('reports.columns.winRate'), cell: (row) => format.percent(num(row.winRate)), csv: (row) => pct(num(row.winRate)), numeric: true },
	];
	const channels = [...stats.followUp.byChannel].sort((a, b) => (num(b.done) ?? 0) - (num(a.done) ?? 0));
	type ChannelRow = (typeof channels)[number];
	const closedColumns = <Row extends { won: number; lost: number; winRate: number | null }>(): ReportColumn<Row>[] => [
		{ label: t('reports.columns.won'), cell: (row) => format.number(row.won), csv: (row) => row.won, numeric: true },
		{ label: t('reports.columns.lost'), cell: (row) => format.number(row.lost), csv: (row) => row.lost, numeric: true },
		{ label: t('reports.columns.winRate'), cell: (row) => format.percent(row.winRate), csv: (row) => pct(row.winRate), numeric: true },
	];
	const channelColumns: ReportColumn<ChannelRow>[] = [
		{ label: t('reports.columns.channel'), cell: (row) => names.channel(row.channel) },
		{ label: t('reports.columns.done'), cell: (row) => format.number(num(row.done)), csv: (row) => num(row.done), numeric: true },
		...closedColumns<ChannelRow>(),
	];
	const bands = [...stats.followUp.byBand].sort((a, b) => BAND_ORDER.indexOf(a.band) - BAND_ORDER.indexOf(b.band));
	type BandRow = (typeof bands)[number];
	const bandColumns: ReportColumn<BandRow>[] = [{ label: t('reports.columns.band'), cell: (row) => names.band(row.band) }, ...closedColumns<BandRow>()];
	const percentSeries = (rows: { winRate: number | null }[]) => [{ name: t('reports.columns.winRate'), values: rows.map((row) => row.winRate), format: format.chart.percent }];
	return [
		{
			key: 'followup-owner',
			heading: t('reports.followUp.owner'),
			chart: owners.length
				? {
						option: horizontalBarsOption(
							owners.map((row) => names.owner(row.ownerId)),
							[{ name: t('reports.columns.followUpsPerOpenPerWeek'), values: owners.map((row) => num(row.followUpsPerOpenPerWeek)), format: (value: number) => format.number(value, 2) }],
							format.chart,
						),
						label: t('reports.followUp.ownerLabel', { summary: summarize(owners.map((row) => `${names.owner(row.ownerId)} ${format.number(num(row.followUpsPerOpenPerWeek), 2)}`)) }),
						height: Math.max(160, owners.length * 30 + 24),
					}
				: undefined,
			table: reportTable(t('reports.followUp.owner'), `follow-up-owners-${stats.asOfDate}.csv`, ownerColumns, owners),
		},
		{
			key: 'followup-channel',
			heading: t('reports.followUp.channel'),
			chart: channels.length
				? {
						option: columnsOption(
							channels.map((row) => names.channel(row.channel)),
							percentSeries(channels),
						),
						label: t('reports.followUp.channelLabel', { summary: summarize(channels.map((row) => `${names.channel(row.channel)} ${format.percent(row.winRate)}`)) }),
						height: 240,
					}
				: undefined,
			table: reportTable(t('reports.followUp.channel'), `follow-up-channels-${stats.asOfDate}.csv`, channelColumns, channels),
		},
		{
			key: 'followup-band',
			heading: t('reports.followUp.band'),
			chart: bands.length
				? {
						option: columnsOption(
							bands.map((row) => names.band(row.band)),
							percentSeries(bands),
						),
						label: t('reports.followUp.bandLabel', { summary: summarize(bands.map((row) => `${names.band(row.band)} ${format.percent(row.winRate)}`)) }),
						height: 240,
					}
				: undefined,
			table: reportTable(t('reports.followUp.band'), `follow-up-frequency-${stats.asOfDate}.csv`, bandColumns, bands),
		},
	];
}

// ---------- forecast fan ----------

export function forecastViews(forecast: Forecast, format: ReportFormat): ReportView[] {
	const kinds: { key: 'month' | 'quarter'; periods: ForecastPeriod['period'][]; target: number | null }[] = [
		{ key: 'month', periods: ['currentMonth', 'nextMonth'], target: forecast.target.month },
		{ key: 'quarter', periods: ['currentQuarter', 'nextQuarter'], target: forecast.target.quarter },
	];
	return kinds.flatMap(({ key, periods: names, target }) => {
		const periods = names.map((name) => forecast.periods.find((period) => period.period === name)).filter((period): period is ForecastPeriod => Boolean(period));
		if (!periods.length) return [];
		const heading = t(key === 'month' ? 'reports.forecast.months' : 'reports.forecast.quarters');
		const periodName = (period: ForecastPeriod) => t(`reports.forecast.periods.${period.period}`);
		const category = (period: ForecastPeriod) => (key === 'month' ? `${periodName(period)} · ${format.month(period.start)}` : `${periodName(period)} · ${format.month(period.start)}–${format.month(period.end)}`);
		type Row = ForecastPeriod;
		const money = (label: string, pick: (row: Row) => number | null): ReportColumn<Row> => ({ label: moneyHeader(label, format), cell: (row) => format.money(pick(row)), csv: (row) => format.major(pick(row)), numeric: true });
		const columns: ReportColumn<Row>[] = [
			{ label: t('reports.columns.period'), cell: periodName },
			{ label: t('reports.columns.dates'), cell: (row) => `${format.day(row.start)} – ${format.day(row.end)}`, csv: (row) => `${row.start}/${row.end}` },
			money(t('reports.columns.closedWon'), (row) => row.closedWon),
			money(t('reports.columns.weighted'), (row) => row.weighted),
			money(t('reports.columns.p10'), (row) => row.p10),
			money(t('reports.columns.p50'), (row) => row.p50),
			money(t('reports.columns.p90'), (row) => row.p90),
			money(t('reports.columns.trailingMean'), (row) => row.trailingMean),
			money(t('reports.columns.seasonalNaive'), (row) => row.seasonalNaive),
			money(t('reports.columns.target'), () => target),
		];
		const major = (pick: (row: Row) => number) => periods.map((period) => format.major(pick(period)) ?? 0);
		const summary = summarize(periods.map((period) => `${periodName(period)} P10 ${format.money(period.p10)}, P50 ${format.money(period.p50)}, P90 ${format.money(period.p90)}`));
		return [
			{
				key: `forecast-${key}`,
				heading,
				chart: {
					option: fanOption(
						periods.map(category),
						{ p10: major((row) => row.p10), p50: major((row) => row.p50), p90: major((row) => row.p90), weighted: major((row) => row.weighted), closedWon: major((row) => row.closedWon) },
						target === null ? null : (format.major(target) ?? null),
						{ band: t('reports.forecast.band'), p50: t('reports.columns.p50'), weighted: t('reports.columns.weighted'), closedWon: t('reports.columns.closedWon'), target: t('reports.columns.target') },
						format.chart,
					),
					label: t('reports.forecast.label', { kind: heading, summary }),
				},
				table: reportTable(heading, `forecast-${key}-${forecast.asOfDate}.csv`, columns, periods),
			},
		];
	});
}

// ---------- accuracy: stored forecasts of closed periods, backtest ----------

export function accuracyView(forecast: Forecast, format: ReportFormat): ReportView {
	const rows = [...forecast.accuracy].sort((a, b) => a.periodStart.localeCompare(b.periodStart) || a.periodKind.localeCompare(b.periodKind));
	const months = rows.filter((row) => row.periodKind === 'month');
	const charted = months.length ? months : rows;
	type Row = (typeof rows)[number];
	const periodLabel = (row: Row) => (row.periodKind === 'month' ? format.month(row.periodStart) : `${format.month(row.periodStart)}–${format.month(row.periodEnd)}`);
	const money = (label: string, pick: (row: Row) => number | null): ReportColumn<Row> => ({ label: moneyHeader(label, format), cell: (row) => format.money(pick(row)), csv: (row) => format.major(pick(row)), numeric: true });
	const columns: ReportColumn<Row>[] = [
		{ label: t('reports.columns.period'), cell: periodLabel, csv: (row) => `${row.periodStart}/${row.periodEnd}` },
		{ label: t('reports.columns.forecastDate'), cell: (row) => format.day(row.forecastDate), csv: (row) => row.forecastDate },
		money(t('reports.columns.actual'), (row) => row.actual),
		money(t('reports.columns.weighted'), (row) => row.weighted),
		money(t('reports.columns.calibrated'), (row) => row.calibrated),
		money(t('reports.columns.p10'), (row) => row.p10),
		money(t('reports.columns.p90'), (row) => row.p90),
		{ label: t('reports.columns.accuracyWeighted'), cell: (row) => format.percent(row.accuracyWeighted), csv: (row) => pct(row.accuracyWeighted), numeric: true },
		{ label: t('reports.columns.accuracyCalibrated'), cell: (row) => format.percent(row.accuracyCalibrated), csv: (row) => pct(row.accuracyCalibrated), numeric: true },
		{ label: t('reports.columns.inRange'), cell: (row) => (row.inRange === null ? '—' : row.inRange ? '✓' : '✗'), csv: (row) => (row.inRange === null ? null : row.inRange ? 1 : 0) },
	];
	const major = (pick: (row: Row) => number | null) => charted.map((row) => format.major(pick(row)));
	return {
		key: 'accuracy',
		heading: t('reports.accuracy.history'),
		chart: charted.length
			? {
					option: accuracyOption(
						charted.map(periodLabel),
						{ actual: major((row) => row.actual), weighted: major((row) => row.weighted), calibrated: major((row) => row.calibrated), p10: major((row) => row.p10), p90: major((row) => row.p90) },
						{ actual: t('reports.columns.actual'), weighted: t('reports.columns.weighted'), calibrated: t('reports.columns.calibrated'), band: t('reports.forecast.band') },
						format.chart,
					),
					label: t('reports.accuracy.historyLabel', { summary: summarize(charted.map((row) => `${periodLabel(row)} ${format.money(row.actual)} / ${format.money(row.calibrated)}`)) }),
				}
			: undefined,
		table: reportTable(t('reports.accuracy.history'), `forecast-accuracy-${forecast.asOfDate}.csv`, columns, rows),
	};
}

const METHODS: BacktestMethod[] = ['calibrated', 'weighted', 'trailingMean', 'seasonalNaive'];

export function backtestViews(backtest: Backtest, format: ReportFormat): ReportView[] {
	const methodName = (method: BacktestMethod) => t(`reports.accuracy.methods.${method}`);
	const mapeRows = METHODS.map((method) => ({ method, mape: backtest.mape[method] }));
	type MapeRow = (typeof mapeRows)[number];
	const mapeColumns: ReportColumn<MapeRow>[] = [
		{ label: t('reports.columns.method'), cell: (row) => methodName(row.method), csv: (row) => row.method },
		{ label: t('reports.columns.mape'), cell: (row) => format.percent(row.mape), csv: (row) => pct(row.mape), numeric: true },
	];
	type Row = Backtest['rows'][number];
	const money = (label: string, pick: (row: Row) => number): ReportColumn<Row> => ({ label: moneyHeader(label, format), cell: (row) => format.money(pick(row)), csv: (row) => format.major(pick(row)), numeric: true });
	const rowColumns: ReportColumn<Row>[] = [
		{ label: t('reports.columns.period'), cell: (row) => format.month(row.periodStart), csv: (row) => row.periodStart },
		money(t('reports.columns.actual'), (row) => row.actual),
		...METHODS.map((method) => money(methodName(method), (row) => row[method])),
		money(t('reports.columns.p10'), (row) => row.p10),
		money(t('reports.columns.p90'), (row) => row.p90),
	];
	return [
		{
			key: 'backtest',
			heading: t('reports.accuracy.backtest'),
			chart: {
				option: columnsOption(
					mapeRows.map((row) => methodName(row.method)),
					[{ name: t('reports.columns.mape'), values: mapeRows.map((row) => row.mape), format: format.chart.percent }],
				),
				label: t('reports.accuracy.backtestLabel', { summary: summarize(mapeRows.map((row) => `${methodName(row.method)} ${format.percent(row.mape)}`)) }),
				height: 240,
			},
			table: reportTable(t('reports.accuracy.backtest'), `backtest-mape.csv`, mapeColumns, mapeRows),
		},
		{
			key: 'backtest-rows',
			heading: t('reports.accuracy.backtestRows'),
			table: reportTable(t('reports.accuracy.backtestRows'), `backtest-months.csv`, rowColumns, backtest.rows),
		},
	];
}

// ---------- calibrated vs configured stage probabilities ----------

export interface ProbabilityRow {
	stageId: string;
	configured: number;
	calibrated: number;
	won: number;
	closed: number;
}

export function probabilityRows(forecast: Forecast, names: NameBook, pipelineId: string): ProbabilityRow[] {
	return forecast.stageProbabilities
		.filter((row) => !pipelineId || row.pipelineId === pipelineId)
		.sort((a, b) => a.pipelineId.localeCompare(b.pipelineId) || names.stagePosition(a.stageId) - names.stagePosition(b.stageId));
}

export function probabilitySentence(row: ProbabilityRow, names: NameBook, format: ReportFormat, withPipeline: boolean): string {
	const stage = withPipeline ? `${names.pipeline(names.stagePipeline(row.stageId))} · ${names.stage(row.stageId)}` : names.stage(row.stageId);
	return t('reports.probabilities.sentence', { stage, configured: format.percent(row.configured), calibrated: format.percent(row.calibrated) });
}

export function probabilityView(rows: ProbabilityRow[], names: NameBook, format: ReportFormat, withPipeline: boolean, asOfDate: string | null): ReportView {
	const stageName = (row: ProbabilityRow) => (withPipeline ? `${names.pipeline(names.stagePipeline(row.stageId))} · ${names.stage(row.stageId)}` : names.stage(row.stageId));
	const columns: ReportColumn<ProbabilityRow>[] = [
		{ label: t('reports.columns.stage'), cell: stageName },
		{ label: t('reports.columns.configured'), cell: (row) => format.percent(row.configured), csv: (row) => pct(row.configured), numeric: true },
		{ label: t('reports.columns.learnt'), cell: (row) => format.percent(row.calibrated), csv: (row) => pct(row.calibrated), numeric: true },
		{ label: t('reports.columns.won'), cell: (row) => format.number(row.won), csv: (row) => row.won, numeric: true },
		{ label: t('reports.columns.closed'), cell: (row) => format.number(row.closed), csv: (row) => row.closed, numeric: true },
	];
	return {
		key: 'probabilities',
		chart: rows.length
			? {
					option: horizontalBarsOption(
						rows.map(stageName),
						[
							{ name: t('reports.columns.configured'), values: rows.map((row) => row.configured), format: format.chart.percent },
							{ name: t('reports.columns.learnt'), values: rows.map((row) => row.calibrated), format: format.chart.percent },
						],
						format.chart,
					),
					label: t('reports.probabilities.label', { summary: summarize(rows.map((row) => probabilitySentence(row, names, format, withPipeline))) }),
					height: Math.max(180, rows.length * 44 + 40),
				}
			: undefined,
		table: reportTable(t('reports.probabilities.caption'), `stage-probabilities-${asOfDate}.csv`, columns, rows),
	};
}
