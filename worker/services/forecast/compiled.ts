// A tenant's history compiled into typed arrays: one entry per opportunity (day numbers, amount,
// outcome) and its stage-entry events in one flat list (CSR layout: events of opportunity i are
// eventStart[i] .. eventStart[i + 1] - 1, ascending by day). No per-opportunity objects, so a
// 100,000-opportunity tenant is a few MB. Day numbers are days since 1970-01-01 of tenant-local
// dates. Built from OpportunityHistory objects (tests, small callers) or streamed row by row by
// the repository (worker/repos/forecasts.ts loadCompiled).
import { DAY_MILLISECONDS as DAY_MS } from '../dates';
import type { OpportunityHistory, StageDef } from './types';

export const NEVER = 0x7fffffff;
export const OUTCOME_NONE = 0;
export const OUTCOME_WON = 1;
export const OUTCOME_LOST = 2;

export interface CompiledHistory {
  n: number;
  /** Stage ids; events and stages refer to them by index. */
  stageIds: string[];
  created: Int32Array;
  /** Day of the outcome (NEVER when open). */
  closed: Int32Array;
  outcome: Uint8Array;
  amount: Float64Array;
  /** Probability override 0..1, NaN when none. */
  override: Float32Array;
  /** Expected close day, NEVER when missing. */
  expectedClose: Int32Array;
  /** Stage before the first event (the initial stage). */
  initialStage: Uint16Array;
  eventStart: Int32Array;
  eventDay: Int32Array;
  eventStage: Uint16Array;
}

export const dayOf = (date: string): number => Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
export const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** Month index (year · 12 + month − 1) of a day number. */
export function monthIndexOfDay(day: number): number {
  const d = new Date(day * DAY_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}
export const firstDayOfMonthIndex = (m: number): number => Math.round(Date.UTC(Math.floor(m / 12), m % 12, 1) / DAY_MS);
export const lastDayOfMonthIndex = (m: number): number => firstDayOfMonthIndex(m + 1) - 1;

/** Grows typed arrays while rows are appended (the repository streams rows into one of these). */
export class HistoryBuilder {
  private cap: number;
  private evCap: number;
  n = 0;
  events = 0;
  readonly stageIds: string[];
  private readonly stageIndex: Map<string, number>;
  created: Int32Array;
  closed: Int32Array;
  outcome: Uint8Array;
  amount: Float64Array;
  override: Float32Array;
  expectedClose: Int32Array;
  initialStage: Uint16Array;
  eventStart: Int32Array;
  eventDay: Int32Array;
  eventStage: Uint16Array;

  constructor(stages: StageDef[], capacity = 1024) {
    this.stageIds = stages.map((s) => s.id);
    this.stageIndex = new Map(this.stageIds.map((id, i) => [id, i]));
    this.cap = Math.max(16, capacity);
    this.evCap = this.cap * 2;
    this.created = new Int32Array(this.cap);
    this.closed = new Int32Array(this.cap);
    this.outcome = new Uint8Array(this.cap);
    this.amount = new Float64Array(this.cap);
    this.override = new Float32Array(this.cap);
    this.expectedClose = new Int32Array(this.cap);
    this.initialStage = new Uint16Array(this.cap);
    this.eventStart = new Int32Array(this.cap + 1);
    this.eventDay = new Int32Array(this.evCap);
    this.eventStage = new Uint16Array(this.evCap);
  }

  /** Index of a stage id (unknown ids are added, as open stages of probability 0 to the engine). */
  stage(id: string): number {
    let i = this.stageIndex.get(id);
    if (i === undefined) {
      i = this.stageIds.length;
      this.stageIds.push(id);
      this.stageIndex.set(id, i);
    }
    return i;
  }

  private grow(): void {
    this.cap *= 2;
    const g = <T extends Int32Array | Uint8Array | Float64Array | Float32Array | Uint16Array>(a: T, ctor: new (n: number) => T, n = this.cap): T => {
      const b = new ctor(n);
      b.set(a);
      return b;
    };
    this.created = g(this.created, Int32Array);
    this.closed = g(this.closed, Int32Array);
    this.outcome = g(this.outcome, Uint8Array);
    this.amount = g(this.amount, Float64Array);
    this.override = g(this.override, Float32Array);
    this.expectedClose = g(this.expectedClose, Int32Array);
    this.initialStage = g(this.initialStage, Uint16Array);
    this.eventStart = g(this.eventStart, Int32Array, this.cap + 1);
  }

  /** Starts an opportunity; its events follow through `event`, in ascending day order. */
  begin(created: number, amount: number, initialStage: number, override: number | null, expectedClose: number | null): void {
    if (this.n === this.cap) this.grow();
    const i = this.n;
    this.created[i] = created;
    this.closed[i] = NEVER;
    this.outcome[i] = OUTCOME_NONE;
    this.amount[i] = amount;
    this.override[i] = override ?? Number.NaN;
    this.expectedClose[i] = expectedClose ?? NEVER;
    this.initialStage[i] = initialStage;
    this.eventStart[i] = this.events;
    this.n++;
    this.eventStart[this.n] = this.events;
  }

  event(day: number, stage: number): void {
    if (this.events === this.evCap) {
      this.evCap *= 2;
      const d = new Int32Array(this.evCap);
      d.set(this.eventDay);
      this.eventDay = d;
      const s = new Uint16Array(this.evCap);
      s.set(this.eventStage);
      this.eventStage = s;
    }
    this.eventDay[this.events] = day;
    this.eventStage[this.events] = stage;
    this.events++;
    this.eventStart[this.n] = this.events;
  }

  /** Marks the current (last begun) opportunity closed. */
  close(day: number, kind: 'won' | 'lost'): void {
    this.closed[this.n - 1] = day;
    this.outcome[this.n - 1] = kind === 'won' ? OUTCOME_WON : OUTCOME_LOST;
  }

  /** Sets the current opportunity's amount (e.g. the amount recorded on its latest change). */
  setAmount(amount: number): void {
    this.amount[this.n - 1] = amount;
  }

  build(): CompiledHistory {
    const n = this.n;
    return {
      n, stageIds: this.stageIds,
      created: this.created.slice(0, n), closed: this.closed.slice(0, n), outcome: this.outcome.slice(0, n),
      amount: this.amount.slice(0, n), override: this.override.slice(0, n), expectedClose: this.expectedClose.slice(0, n),
      initialStage: this.initialStage.slice(0, n), eventStart: this.eventStart.slice(0, n + 1),
      eventDay: this.eventDay.slice(0, this.events), eventStage: this.eventStage.slice(0, this.events),
    };
  }
}

/** Compiles history objects (tests and small callers). */
export function compileHistories(histories: OpportunityHistory[], stages: StageDef[]): CompiledHistory {
  const b = new HistoryBuilder(stages, histories.length);
  const byDate = (a: { date: string }, c: { date: string }) => (a.date < c.date ? -1 : a.date > c.date ? 1 : 0);
  for (const h of histories) {
    const changes = [...h.changes].sort(byDate);
    const first = changes[0]?.fromStageId ?? changes[0]?.toStageId ?? h.stageId;
    b.begin(dayOf(h.createdDate), h.amount ?? 0, b.stage(first), h.probabilityOverride, h.expectedCloseDate ? dayOf(h.expectedCloseDate) : null);
    for (const c of changes) b.event(dayOf(c.date), b.stage(c.toStageId));
    if (h.outcome) b.close(dayOf(h.outcome.date), h.outcome.kind);
  }
  return b.build();
}

/** Stage index of opportunity i at the end of `day`. */
export function stageAt(h: CompiledHistory, i: number, day: number): number {
  let s = h.initialStage[i] ?? 0;
  const end = h.eventStart[i + 1] ?? 0;
  for (let e = h.eventStart[i] ?? 0; e < end; e++) {
    if ((h.eventDay[e] ?? NEVER) > day) break;
    s = h.eventStage[e] ?? s;
  }
  return s;
}
