// The shape of an industry template. Templates are plain data: signup turns one into a
// tenant's pipelines, stages, catalogs and (optionally) sample records in one atomic batch.

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** Text shown to users: every template string exists in both languages. */
export type Text = Record<Locale, string>;

export type StageKind = 'open' | 'won' | 'lost';

/** Opportunity fields a stage can require before an opportunity may enter it. */
export const REQUIRABLE_FIELDS = [
  'amount',
  'expectedCloseDate',
  'accountId',
  'primaryContactId',
  'typeId',
  'sourceId',
  'products',
  'notes',
] as const;
export type RequirableField = (typeof REQUIRABLE_FIELDS)[number];

export interface TemplateStage {
  /** Unique within its pipeline, kebab-case ASCII, e.g. "proposal". */
  key: string;
  name: Text;
  /** Win probability 0–100 (won stages 100, lost stages 0). */
  probability: number;
  kind: StageKind;
  /** Days in stage after which an open opportunity is highlighted as stale; null for won/lost. */
  staleAfterDays: number | null;
  requiredFields: RequirableField[];
}

export interface TemplatePipeline {
  /** Unique within the template, kebab-case ASCII, e.g. "new-business". */
  key: string;
  name: Text;
  /** In board order; at least one open, exactly one won and at least one lost stage. */
  stages: TemplateStage[];
}

export interface TemplateCatalogItem {
  key: string;
  name: Text;
}

export interface TemplateProduct {
  key: string;
  name: Text;
  code: string;
  /** Unit price in minor units (cents / 分) of each locale's default currency (zh-CN → CNY, en → USD). */
  unitPrice: Record<Locale, number>;
}

export interface SampleTeammate {
  key: string;
  name: string;
  role: 'admin' | 'member' | 'viewer';
}

export interface SampleAccount {
  key: string;
  name: string;
  industry?: string;
  city?: string;
  phone?: string;
  website?: string;
}

export interface SampleContact {
  key: string;
  accountKey: string;
  name: string;
  title?: string;
  phone?: string;
  email?: string;
  wechat?: string;
  /** A key contact (关键联系人) of the account. */
  isKey?: boolean;
}

export interface SampleOpportunity {
  key: string;
  title: string;
  accountKey: string;
  primaryContactKey?: string;
  /** "owner" is the person who signs up; otherwise a SampleTeammate key. */
  ownerKey: string;
  pipelineKey: string;
  stageKey: string;
  typeKey?: string;
  sourceKey?: string;
  /** Minor units of the locale's currency (CNY 分 / USD cents). */
  amount?: number;
  /** Days from the signup date; negative = in the past (closed opportunities). */
  expectedCloseInDays?: number;
  /** How long ago the opportunity was created, in days (≥ 0). */
  createdDaysAgo: number;
  /** Days since it entered its current stage (≤ createdDaysAgo). */
  inStageDays: number;
  lostReasonKey?: string;
  products?: { productKey: string; quantity: number }[];
  notes?: string;
}

export type ActivityMethod = 'call' | 'visit' | 'meeting' | 'email' | 'wechat' | 'other';

export interface SampleActivity {
  opportunityKey: string;
  method: ActivityMethod;
  /** Negative = in the past. A past activity is a record (done), a future one is a plan. */
  atInDays: number;
  /** Hour of day (local) the activity happens, 8–20. */
  hour: number;
  /** Plan: what we expect to achieve. Record: what was done. */
  subject: string;
  /** Records only: the outcome and what the customer said. */
  outcome?: string;
  customerFeedback?: string;
  /** Plans only: expected result. */
  expectedResult?: string;
}

export interface SampleData {
  teammates: SampleTeammate[];
  accounts: SampleAccount[];
  contacts: SampleContact[];
  opportunities: SampleOpportunity[];
  activities: SampleActivity[];
}

export interface Template {
  /** URL-safe id, e.g. "b2b-general". */
  id: string;
  name: Text;
  description: Text;
  /** One emoji shown on the gallery card. */
  icon: string;
  pipelines: TemplatePipeline[];
  opportunityTypes: TemplateCatalogItem[];
  sources: TemplateCatalogItem[];
  lostReasons: TemplateCatalogItem[];
  products: TemplateProduct[];
  /** Realistic sample records, written in each locale's language; null for the blank template. */
  sample: Record<Locale, SampleData> | null;
}
