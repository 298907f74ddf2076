// Plain inputs and outputs of the forecasting engine. Dates are tenant-local YYYY-MM-DD strings;
// amounts are integer minor units; probabilities are fractions 0..1.
export type StageKind = 'open' | 'won' | 'lost';

export interface StageDef {
  id: string;
  position: number;
  kind: StageKind;
  /** Configured win probability, 0..1. */
  probability: number;
}

export interface StageChange {
  date: string;
  fromStageId: string | null;
  toStageId: string;
}

export interface OpportunityHistory {
  id: string;
  createdDate: string;
  amount: number | null;
  /** Current stage (as the caller knows it); the engine re-derives the stage as of asOf from `changes`. */
  stageId: string;
  probabilityOverride: number | null;
  expectedCloseDate: string | null;
  changes: StageChange[];
  outcome: { kind: 'won' | 'lost'; date: string } | null;
}

export type PeriodName = 'currentMonth' | 'nextMonth' | 'currentQuarter' | 'nextQuarter';

export interface PeriodForecast {
  period: PeriodName;
  start: string;
  end: string;
  closedWon: number;
  weighted: number;
  calibrated: number;
  /** Mean of the Monte Carlo draws (the calibrated figure is their median, P50). */
  mean: number;
  p10: number;
  p50: number;
  p90: number;
  trailingMean: number;
  seasonalNaive: number;
}
