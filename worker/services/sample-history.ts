// A year of closed opportunities for a sample workspace, so its reports have something to say on
// the first day: won and lost deals that went through the stages, with amounts, owners of
// different skill, types, sources, products, lost reasons, follow-ups of several kinds over
// their lives, more follow-ups on deals that were won, and an end-of-quarter push (more closes,
// bunched into the quarter's last days). Pure and seeded (mulberry32): the same template, locale,
// day and seed give the same history.
//
// Only CLOSED deals are generated: the open pipeline stays the template's hand-written sample,
// which the board, the e2e tests and the demo story rely on.
import type { ActivityMethod, Locale, SampleData, Template } from '../../db/seed/templates';
import { addDays, DAY_MILLISECONDS, localTimeToInstant } from './dates';
import { mulberry32 } from './forecast/prng';

export interface HistoryInput {
  template: Template;
  locale: Locale;
  sample: SampleData;
  /** The signup day in the workspace's time zone: everything closes before it. */
  today: string;
  timeZone: string;
  seed: number;
}

export interface HistoryOpportunity {
  key: string;
  title: string;
  accountKey: string;
  primaryContactKey: string | null;
  ownerKey: string;
  pipelineKey: string;
  typeKey: string | null;
  sourceKey: string | null;
  amount: number;
  expectedCloseDate: string;
  outcome: 'won' | 'lost';
  lostReasonKey: string | null;
  createdAt: number;
  closedAt: number;
  /** Stages entered, in order: the first at creation, the last (won or lost stage) at closedAt. */
  path: { stageKey: string; at: number; amount: number }[];
  products: { productKey: string; quantity: number }[];
}

export interface HistoryActivity {
  opportunityKey: string;
  method: ActivityMethod;
  at: number;
  subject: string;
  outcome: string;
  feedback: string | null;
}

/** Calendar months with closes: the signup's month (up to the day before) and the 11 before it. */
export const HISTORY_MONTHS = 12;
// A deal's creation is at most this many days before the signup (the earliest closes, 11 months
// back, get cycles of at least ~30 days), so everything lies within about 13 months.
export const HISTORY_MAX_AGE_DAYS = 395;
// Closes per month before trend and season; with ~1.1 average factors ≈ 190 deals a year, which
// keeps the signup's insert well under D1's 1,000 statements (counted in test/api/stats.test.ts).
const BASE_CLOSES_PER_MONTH = 14;
const MAX_FOLLOW_UPS = 6;

// Sales people differ: the same pipeline, different win rates and follow-up habits.
const SKILLS = [
  { win: 1.0, diligence: 1.0, volume: 1.0 },
  { win: 1.4, diligence: 1.3, volume: 1.2 },
  { win: 0.65, diligence: 0.6, volume: 0.9 },
  { win: 1.1, diligence: 0.9, volume: 1.0 },
  { win: 0.85, diligence: 1.1, volume: 0.8 },
];

/** FNV-1a of a string: a stable 32-bit seed from the template and locale. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const FOLLOW_UP_TEXT: Record<Locale, Record<ActivityMethod, { subject: string[]; outcome: string[]; feedback: string[] }>> = {
  en: {
    call: { subject: ['Check-in call', 'Follow-up call on the proposal', 'Call about timing'], outcome: ['Answered open questions', 'Agreed next steps', 'Clarified the budget'], feedback: ['Still comparing options', 'Wants a firmer price', 'Decision expected this month'] },
    visit: { subject: ['On-site visit', 'Site walk-through'], outcome: ['Met the team and saw the current setup', 'Presented to the decision makers'], feedback: ['Impressed by the references', 'Worried about the rollout effort'] },
    meeting: { subject: ['Solution meeting', 'Review meeting with procurement'], outcome: ['Walked through the proposal', 'Went through the contract terms'], feedback: ['Needs sign-off from finance', 'Happy with the scope'] },
    email: { subject: ['Sent the quote', 'Sent references and case studies'], outcome: ['Quote delivered', 'Material sent'], feedback: ['Acknowledged, will review'] },
    wechat: { subject: ['WeChat follow-up', 'Shared the product brochure'], outcome: ['Replied the same day', 'Confirmed receipt'], feedback: ['Asked about delivery times'] },
    other: { subject: ['Sent a sample', 'Invited to a webinar'], outcome: ['Done'], feedback: [] },
  },
  'zh-CN': {
    call: { subject: ['电话回访', '方案跟进电话', '确认采购时间'], outcome: ['解答了客户的疑问', '约定了下一步', '摸清了预算情况'], feedback: ['还在比较几家供应商', '希望价格再优惠一些', '本月内会做决定'] },
    visit: { subject: ['上门拜访', '现场调研'], outcome: ['见到了使用部门和负责人', '向决策层做了汇报'], feedback: ['对案例比较认可', '担心实施工作量'] },
    meeting: { subject: ['方案交流会', '与采购部评审会'], outcome: ['讲解了方案', '过了一遍合同条款'], feedback: ['需要财务审批', '对范围比较满意'] },
    email: { subject: ['发送报价单', '发送客户案例'], outcome: ['报价已送达', '资料已发送'], feedback: ['已收到，会内部评估'] },
    wechat: { subject: ['微信跟进', '发送产品资料'], outcome: ['客户当天回复', '客户确认收到'], feedback: ['询问交货周期'] },
    other: { subject: ['寄送样品', '邀请参加线上讲座'], outcome: ['已完成'], feedback: [] },
  },
};

export function generateSampleHistory(input: HistoryInput): { opportunities: HistoryOpportunity[]; activities: HistoryActivity[] } {
  const { template, locale, sample, today, timeZone } = input;
  const rand = mulberry32(input.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  // Earlier items are more common (the first lead source, the first lost reason…).
  const pickSkewed = <T>(items: readonly T[]): T => items[Math.floor(rand() ** 1.6 * items.length)]!;
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
  const poisson = (mean: number) => {
    const limit = Math.exp(-mean);
    let k = 0;
    for (let p = rand(); p > limit; p *= rand()) k++;
    return k;
  };

  const owners = ['owner', ...sample.teammates.filter((t) => t.role !== 'viewer').map((t) => t.key)].map((key, i) => ({ key, skill: SKILLS[i % SKILLS.length]! }));
  const volumeTotal = owners.reduce((sum, o) => sum + o.skill.volume, 0);
  const pickOwner = () => {
    let r = rand() * volumeTotal;
    for (const owner of owners) if ((r -= owner.skill.volume) < 0) return owner;
    return owners.at(-1)!;
  };
  const amounts = sample.opportunities.map((o) => o.amount).filter((a): a is number => a !== undefined && a > 0);
  const contactsByAccount = Map.groupBy(sample.contacts, (c) => c.accountKey);
  const accountNames = new Map(sample.accounts.map((a) => [a.key, a.name]));
  const productNames = new Map(template.products.map((p) => [p.key, p.name[locale]]));
  const typeNames = new Map(template.opportunityTypes.map((t) => [t.key, t.name[locale]]));

  const opportunities: HistoryOpportunity[] = [];
  const activities: HistoryActivity[] = [];
  if (sample.accounts.length === 0 || template.pipelines.length === 0) return { opportunities, activities };

  const [year, month] = [Number(today.slice(0, 4)), Number(today.slice(5, 7))];
  // The current month (up to yesterday) and the HISTORY_MONTHS - 1 before it.
  for (let back = HISTORY_MONTHS - 1; back >= 0; back--) {
    const index = year * 12 + (month - 1) - back;
    const monthStart = `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`;
    const nextIndex = index + 1;
    const monthEnd = addDays(`${Math.floor(nextIndex / 12)}-${String((nextIndex % 12) + 1).padStart(2, '0')}-01`, -1);
    const lastDay = monthEnd < today ? monthEnd : addDays(today, -1);
    if (lastDay < monthStart) continue;
    const days = Number(lastDay.slice(8, 10));
    const monthLength = Number(monthEnd.slice(8, 10));
    // Calendar quarters (the sample workspace's fiscal year starts in January): the quarter's last
    // month closes far more, its first month less. A gentle upward trend over the year.
    const inQuarter = index % 3;
    const season = inQuarter === 2 ? 1.7 : inQuarter === 0 ? 0.75 : 1.0;
    const trend = 0.85 + (0.3 * (HISTORY_MONTHS - back)) / HISTORY_MONTHS;
    const closes = poisson((BASE_CLOSES_PER_MONTH * season * trend * days) / monthLength);
    for (let n = 0; n < closes; n++) {
      // The quarter-end push: half of that month's deals close in its last ten days.
      const pushed = inQuarter === 2 && rand() < 0.5 && days > 20;
      const day = pushed ? days - Math.floor(rand() * 10) : 1 + Math.floor(rand() * days);
      const closeDate = addDays(monthStart, day - 1);
      const closedAt = localTimeToInstant(closeDate, 10 + Math.floor(rand() * 8), timeZone);
      const owner = pickOwner();
      const pipeline = rand() < 0.7 || template.pipelines.length === 1 ? template.pipelines[0]! : pick(template.pipelines.slice(1));
      const open = pipeline.stages.filter((s) => s.kind === 'open');
      const wonStage = pipeline.stages.find((s) => s.kind === 'won');
      const lostStage = pipeline.stages.find((s) => s.kind === 'lost');
      if (open.length === 0 || !wonStage || !lostStage) continue;
      const won = rand() < Math.min(0.8, 0.36 * owner.skill.win + (pushed ? 0.06 : 0));
      // Won deals take longer (median ≈ 45 days) than lost ones (≈ 28), with a long tail.
      // Nothing is created more than HISTORY_MAX_AGE_DAYS before the signup: a year of history.
      const room = Math.round((Date.parse(`${closeDate}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / DAY_MILLISECONDS) + HISTORY_MAX_AGE_DAYS;
      if (room < 14) continue;
      const cycleDays = Math.max(5, Math.min(240, room, Math.round(Math.exp(Math.log(won ? 45 : 28) + 0.55 * normal()))));
      const createdAt = closedAt - cycleDays * DAY_MILLISECONDS - Math.floor(rand() * 6) * 3_600_000;
      const reached = won ? open.length : 1 + Math.floor(rand() ** 1.4 * open.length);
      const stageKeys = [...open.slice(0, reached).map((s) => s.key), (won ? wonStage : lostStage).key];
      const base = amounts.length ? pick(amounts) : 1_000_000;
      const amount = roundAmount(base * (0.45 + rand() * 1.2));
      // The first quote is often higher; the deal is won at the negotiated amount.
      const opening = won && rand() < 0.4 ? roundAmount(amount * (1.05 + rand() * 0.2)) : amount;
      const cuts = Array.from({ length: stageKeys.length - 2 }, () => rand()).sort((a, b) => a - b);
      const path = stageKeys.map((stageKey, i) => ({
        stageKey,
        at: i === 0 ? createdAt : i === stageKeys.length - 1 ? closedAt : Math.round(createdAt + cuts[i - 1]! * (closedAt - createdAt)),
        amount: i === stageKeys.length - 1 ? amount : opening,
      }));
      const accountKey = pick(sample.accounts).key;
      const contact = contactsByAccount.get(accountKey)?.[0]?.key ?? null;
      const products = template.products.length
        ? [...new Set(Array.from({ length: rand() < 0.3 ? 2 : 1 }, () => pickSkewed(template.products).key))].map((productKey) => ({ productKey, quantity: 1 + Math.floor(rand() * 5) }))
        : [];
      const typeKey = template.opportunityTypes.length ? (pipeline === template.pipelines[0] ? template.opportunityTypes[0]!.key : pick(template.opportunityTypes).key) : null;
      const subject = products[0] ? productNames.get(products[0].productKey)! : typeKey ? typeNames.get(typeKey)! : pipeline.name[locale];
      const accountName = accountNames.get(accountKey)!;
      const key = `history-${opportunities.length + 1}`;
      // Many deals slip: the date promised was earlier than the close.
      const slip = rand() < 0.45 ? 7 + Math.floor(rand() * 35) : 0;
      opportunities.push({
        key,
        title: locale === 'zh-CN' ? `${accountName}·${subject}` : `${accountName} – ${subject}`,
        accountKey,
        primaryContactKey: contact,
        ownerKey: owner.key,
        pipelineKey: pipeline.key,
        typeKey,
        sourceKey: template.sources.length ? pickSkewed(template.sources).key : null,
        amount,
        expectedCloseDate: addDays(closeDate, -slip),
        outcome: won ? 'won' : 'lost',
        lostReasonKey: !won && template.lostReasons.length ? pickSkewed(template.lostReasons).key : null,
        createdAt,
        closedAt,
        path,
        products,
      });

      // Follow-ups: diligent owners follow up more, and deals that were won had more of them
      // (the "win rate by follow-up frequency" chart should show it). Visits and meetings are
      // likelier on deals that went well.
      const perWeek = owner.skill.diligence * (won ? 0.9 : 0.45);
      const count = Math.min(MAX_FOLLOW_UPS, poisson((perWeek * cycleDays) / 7));
      const texts = FOLLOW_UP_TEXT[locale];
      for (let f = 0; f < count; f++) {
        const r = rand();
        const method: ActivityMethod = r < 0.32 ? 'call' : r < 0.55 ? 'wechat' : r < 0.68 ? 'email' : r < (won ? 0.84 : 0.78) ? 'visit' : r < 0.97 ? 'meeting' : 'other';
        const at = createdAt + Math.round(((f + rand()) / count) * (closedAt - createdAt) * 0.95);
        const text = texts[method];
        activities.push({
          opportunityKey: key,
          method,
          at,
          subject: pick(text.subject),
          outcome: pick(text.outcome),
          feedback: text.feedback.length && rand() < 0.6 ? pick(text.feedback) : null,
        });
      }
    }
  }
  return { opportunities, activities };
}

/** Two significant figures, as people quote: 38,400 → 38,000; 1,234,567 → 1,200,000. */
function roundAmount(value: number): number {
  if (value <= 0) return 0;
  const step = 10 ** Math.max(0, Math.floor(Math.log10(value)) - 1);
  return Math.max(step, Math.round(value / step) * step);
}
