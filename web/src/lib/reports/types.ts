// The shapes of the reports API (docs/reports-contract.md). Amounts are integer minor units of the
// workspace currency; rates and shares are fractions 0–1 or null (nothing to divide by); dates
// are workspace-local YYYY-MM-DD.

/** The metrics of one snapshot row (`total` and every breakdown). Unknown keys pass through. */
export interface Metrics {
	openCount?: number | null;
	openAmount?: number | null;
	weightedAmount?: number | null;
	createdCountMtd?: number | null;
	createdAmountMtd?: number | null;
	wonCountMtd?: number | null;
	wonAmountMtd?: number | null;
	wonAmountQtd?: number | null;
	lostCountMtd?: number | null;
	wonCount90?: number | null;
	lostCount90?: number | null;
	wonAmount90?: number | null;
	wonCountAll?: number | null;
	lostCountAll?: number | null;
	wonAmountAll?: number | null;
	winRate90?: number | null;
	winRateAll?: number | null;
	cycleMedianDays?: number | null;
	avgWonAmount?: number | null;
	velocityPerDay?: number | null;
	followUpsDone28?: number | null;
	followUpsPerOpenPerWeek?: number | null;
	plannedShare?: number | null;
	overdueCount?: number | null;
	staleCount?: number | null;
	[metric: string]: unknown;
}

export interface StageRow {
	stageId: string;
	count: number;
	amount: number;
	weightedAmount: number;
}

export interface FunnelRow {
	stageId: string;
	position: number;
	entered: number;
	/** null for a won stage (the funnel's end), like its conversion. */
	advanced: number | null;
	conversion: number | null;
	avgDaysInStage: number | null;
}

export interface FollowUpOwnerRow {
	ownerId: string;
	openCount?: number | null;
	followUpsDone28?: number | null;
	followUpsPerOpenPerWeek?: number | null;
	plannedShare?: number | null;
	overdueCount?: number | null;
	staleCount?: number | null;
	won?: number | null;
	lost?: number | null;
	winRate?: number | null;
}

export interface ChannelRow {
	channel: string;
	done?: number | null;
	won: number;
	lost: number;
	winRate: number | null;
}

export interface BandRow {
	band: string;
	won: number;
	lost: number;
	winRate: number | null;
}

export interface Stats {
	asOfDate: string | null;
	pipelineId: string | null;
	computedAt: number | null;
	range: { first: string; last: string } | null;
	total: Metrics | null;
	byStage: StageRow[];
	byOwner: (Metrics & { ownerId: string })[];
	/** typeId / sourceId / lostReasonId null: no type, no source, no reason given. */
	byType: (Metrics & { typeId: string | null })[];
	bySource: (Metrics & { sourceId: string | null })[];
	byProduct: (Metrics & { productId: string })[];
	byLostReason: { lostReasonId: string | null; count: number; amount: number | null }[];
	funnel: FunnelRow[];
	followUp: {
		byOwner: FollowUpOwnerRow[];
		byChannel: ChannelRow[];
		byChannelOwner: (ChannelRow & { ownerId: string })[];
		byBand: BandRow[];
		byBandOwner: (BandRow & { ownerId: string })[];
	};
}

export interface Series {
	metric: string;
	from?: string;
	to?: string;
	points: { date: string; value: number | null }[];
}

export interface RecomputeJob {
	id: string;
	from: string;
	to: string;
	total: number;
	done: number;
	failed: number;
	status: 'running' | 'done';
}

export type PeriodName = 'currentMonth' | 'nextMonth' | 'currentQuarter' | 'nextQuarter';

export interface ForecastPeriod {
	period: PeriodName;
	start: string;
	end: string;
	closedWon: number;
	weighted: number;
	calibrated: number;
	p10: number;
	p50: number;
	p90: number;
	trailingMean: number;
	seasonalNaive: number;
}

export interface StageProbability {
	stageId: string;
	pipelineId: string;
	configured: number;
	calibrated: number;
	won: number;
	closed: number;
}

export interface AccuracyRow {
	periodKind: 'month' | 'quarter';
	periodStart: string;
	periodEnd: string;
	forecastDate: string;
	actual: number;
	/** null: a forecast stored before that method was (weighted, P10–P90 missing from old rows). */
	weighted: number | null;
	calibrated: number;
	p10: number | null;
	p90: number | null;
	accuracyWeighted: number | null;
	accuracyCalibrated: number | null;
	inRange: boolean | null;
}

export interface Forecast {
	asOfDate: string | null;
	computedAt: number | null;
	target: { month: number | null; quarter: number | null };
	periods: ForecastPeriod[];
	trend: { series: { date: string; open: number }[]; projection: { date: string; open: number }[] };
	stageProbabilities: StageProbability[];
	accuracy: AccuracyRow[];
}

export type BacktestMethod = 'weighted' | 'calibrated' | 'trailingMean' | 'seasonalNaive';

export interface Backtest {
	period: 'month' | 'quarter';
	rows: ({ periodStart: string; actual: number; p10: number; p90: number } & Record<BacktestMethod, number>)[];
	mape: Record<BacktestMethod, number | null>;
	coverage: number | null;
}
