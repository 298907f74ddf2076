// Seeded generator of a plausible multi-year B2B sales history for the forecast backtest.
// Parameters (not tuned to the model):
// - 2022-01-01 .. 2025-12-31; new opportunities ~ Poisson(1.2/day) growing 20% a year, fewer on weekends.
// - 5 owners with different skill: win rates 0.12, 0.2, 0.28, 0.35, 0.45 (of deals that close).
// - 18% of deals go stale: they never close and stay open in their stage.
// - Amount: log-normal, median 8,000.00 (800000 minor units), sigma 0.9.
// - Cycle (created → close): log-normal, median 50 days, sigma 0.6; losses close ~30% sooner.
// - End-of-quarter push: a close falling in month 1 or 2 of a quarter moves, with probability 0.55,
//   to a random day in month 3 of the same quarter (if that is still later than creation).
// - Expected close date: creation + 30 days (reps are optimistic) → most dates slip.
// - Stages configured optimistically: Qualify 30%, Proposal 60%, Negotiation 85%; won deals pass all
//   three, lost ones stop after 1–3, stale ones stop in Qualify or Proposal. 10% carry an override.
import { addDays } from '../../worker/services/dates';
import { mulberry32, type OpportunityHistory, type StageDef } from '../../worker/services/forecast';

export const generatedStages: StageDef[] = [
  { id: 'qualify', position: 1, kind: 'open', probability: 0.3 },
  { id: 'proposal', position: 2, kind: 'open', probability: 0.6 },
  { id: 'negotiation', position: 3, kind: 'open', probability: 0.85 },
  { id: 'won', position: 4, kind: 'won', probability: 1 },
  { id: 'lost', position: 5, kind: 'lost', probability: 0 },
];

/** `scale` multiplies the arrival rate (scale tests: the same business, bigger). */
export function generateHistory(seed: number, from = '2022-01-01', to = '2025-12-31', scale = 1): OpportunityHistory[] {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
  const skills = [0.12, 0.2, 0.28, 0.35, 0.45];
  const open = ['qualify', 'proposal', 'negotiation'];
  const result: OpportunityHistory[] = [];
  let n = 0;
  for (let day = 0, date = from; date <= to; day++, date = addDays(from, day)) {
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    const rate = scale * 1.2 * 1.2 ** (day / 365) * (weekday === 0 || weekday === 6 ? 0.3 : 1.25);
    let k = 0;
    for (let p = rand(), limit = Math.exp(-rate); p > limit; p *= rand()) k++;
    for (let i = 0; i < k; i++) {
      const skill = skills[Math.floor(rand() * skills.length)] ?? 0.2;
      const amount = Math.round(800_000 * Math.exp(0.9 * normal()));
      const stale = rand() < 0.18;
      const win = !stale && rand() < skill;
      const cycle = Math.max(1, Math.round(50 * Math.exp(0.6 * normal()) * (win ? 1 : 0.7)));
      let close = addDays(date, cycle);
      const month = Number(close.slice(5, 7));
      const inQuarter = (month - 1) % 3;
      if (!stale && inQuarter < 2 && rand() < 0.55) {
        const third = new Date(Date.UTC(Number(close.slice(0, 4)), month - 1 + (2 - inQuarter), 1 + Math.floor(rand() * 28))).toISOString().slice(0, 10);
        if (third > date) close = third;
      }
      const reached = win ? 3 : stale ? 1 + Math.floor(rand() * 2) : 1 + Math.floor(rand() * 3);
      const changes: OpportunityHistory['changes'] = [];
      const span = stale ? 20 + Math.floor(rand() * 40) : Math.max(1, Math.round((Date.parse(close) - Date.parse(date)) / 86_400_000));
      for (let s = 1; s < reached; s++) changes.push({ date: addDays(date, Math.floor((span * s) / (reached + 1))), fromStageId: open[s - 1] ?? null, toStageId: open[s] ?? 'qualify' });
      if (!stale) changes.push({ date: close, fromStageId: open[reached - 1] ?? null, toStageId: win ? 'won' : 'lost' });
      const last = changes[changes.length - 1];
      result.push({
        id: `g${++n}`, createdDate: date, amount,
        stageId: last?.toStageId ?? 'qualify',
        probabilityOverride: rand() < 0.1 ? Math.round(rand() * 10) / 10 : null,
        expectedCloseDate: addDays(date, 30),
        changes,
        outcome: stale ? null : { kind: win ? 'won' : 'lost', date: close },
      });
    }
  }
  return result;
}
