import type { OpportunityHistory, StageDef } from './types';

/** An opportunity as it stood at the end of `asOf`: nothing later is visible. */
export interface OpportunityAsOf {
  id: string;
  createdDate: string;
  amount: number;
  stageId: string;
  /** Every stage the opportunity has been in up to asOf (initial stage included). */
  stagesVisited: Set<string>;
  probabilityOverride: number | null;
  expectedCloseDate: string | null;
  outcome: { kind: 'won' | 'lost'; date: string } | null;
}

function initialStage(h: OpportunityHistory): string {
  const sorted = [...h.changes].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return sorted[0]?.fromStageId ?? sorted[0]?.toStageId ?? h.stageId;
}

/**
 * Cuts the histories at `asOf`. Opportunities created later are dropped, stage changes and
 * outcomes after asOf are ignored. Amount, override and expected close date are taken as given
 * (the caller supplies their as-of values when it has them; the histories carry no edits of them).
 */
export function asOfView(histories: OpportunityHistory[], asOf: string): OpportunityAsOf[] {
  const result: OpportunityAsOf[] = [];
  for (const h of histories) {
    if (h.createdDate > asOf) continue;
    const changes = h.changes.filter((c) => c.date <= asOf).sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    const first = initialStage(h);
    const visited = new Set<string>([first]);
    for (const c of changes) visited.add(c.toStageId);
    const outcome = h.outcome && h.outcome.date <= asOf ? h.outcome : null;
    result.push({
      id: h.id,
      createdDate: h.createdDate,
      amount: h.amount ?? 0,
      stageId: changes[changes.length - 1]?.toStageId ?? first,
      stagesVisited: visited,
      probabilityOverride: h.probabilityOverride,
      expectedCloseDate: h.expectedCloseDate,
      outcome,
    });
  }
  return result;
}

export const isOpen = (o: OpportunityAsOf, stages: Map<string, StageDef>): boolean =>
  o.outcome === null && (stages.get(o.stageId)?.kind ?? 'open') === 'open';
