/**
 * Workspace settings: name, locale, currency, time zone, fiscal year, members-see-own-only, and
 * the monthly / quarterly sales targets the forecast is drawn against.
 * An update writes the tenant row and ONE audit entry (changed fields only) in the same batch.
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { opportunities, products, tenants } from '../../db/schema';
import { auditRepo } from './audit';
import type { RepoScope } from './scope';

export interface WorkspaceSettings {
  name: string;
  slug: string;
  locale: 'zh-CN' | 'en';
  currency: string;
  timezone: string;
  fiscalYearStartMonth: number;
  membersSeeOwnOnly: boolean;
  /** Minor units of the currency; null: no target. */
  salesTargetMonthly: number | null;
  salesTargetQuarterly: number | null;
}

export type SettingsPatch = Partial<Omit<WorkspaceSettings, 'slug'>>;

const EDITABLE = ['name', 'locale', 'currency', 'timezone', 'fiscalYearStartMonth', 'membersSeeOwnOnly', 'salesTargetMonthly', 'salesTargetQuarterly'] as const;

export type SettingsRefusal = { kind: 'not_found' } | { kind: 'amounts_in_currency'; opportunities: number; products: number };

/** Digits of the currency's minor unit (CNY 2, JPY 0, KWD 3), from Intl. */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export function settingsRepo(scope: RepoScope) {
  const { db, tenantId } = scope;
  const audit = auditRepo(scope);

  async function get(): Promise<WorkspaceSettings | null> {
    const row = await db.select().from(tenants).where(eq(tenants.id, tenantId)).get();
    if (!row) return null;
    return {
      name: row.name, slug: row.slug, locale: row.locale === 'zh-CN' ? 'zh-CN' : 'en', currency: row.currency, timezone: row.timezone,
      fiscalYearStartMonth: row.fiscalYearStartMonth, membersSeeOwnOnly: row.membersSeeOwnOnly,
      salesTargetMonthly: row.salesTargetMonthly, salesTargetQuarterly: row.salesTargetQuarterly,
    };
  }

  return {
    get,

    /** The sales targets (minor units; null: none set), e.g. for the forecast's target line. */
    async targets(): Promise<{ month: number | null; quarter: number | null }> {
      const row = await db
        .select({ month: tenants.salesTargetMonthly, quarter: tenants.salesTargetQuarterly })
        .from(tenants)
        .where(eq(tenants.id, tenantId))
        .get();
      return row ?? { month: null, quarter: null };
    },

    async update(patch: SettingsPatch, actor: { userId: string; now: number }): Promise<WorkspaceSettings | SettingsRefusal> {
      const current = await get();
      if (!current) return { kind: 'not_found' };
      const changed = EDITABLE.filter((key) => patch[key] !== undefined && patch[key] !== current[key]);
      if (changed.length === 0) return current;
      const next = { ...current, ...Object.fromEntries(changed.map((key) => [key, patch[key]])) } as WorkspaceSettings;

      // Amounts are stored in minor units: 12800 means ¥128.00 in CNY but ¥12,800 in JPY. Moving to
      // a currency with another number of minor-unit digits would silently rescale every amount.
      const rescales = changed.includes('currency') && minorUnitDigits(current.currency) !== minorUnitDigits(next.currency);
      const noAmounts = and(
        sql`not exists (select 1 from ${opportunities} where ${opportunities.tenantId} = ${tenantId} and ${opportunities.amount} is not null)`,
        sql`not exists (select 1 from ${products} where ${products.tenantId} = ${tenantId} and ${products.unitPrice} <> 0)`,
        // Product lines and stage history carry amounts of their own.
        sql`not exists (select 1 from opportunity_products l where l.tenant_id = ${tenantId} and l.unit_price <> 0)`,
        sql`not exists (select 1 from stage_changes h where h.tenant_id = ${tenantId} and h.amount is not null)`,
      )!;
      const amountsRefusal = async (): Promise<SettingsRefusal> => {
        const [opportunityCount, productCount] = await db.batch([
          db.select({ count: sql<number>`count(*)` }).from(opportunities).where(and(eq(opportunities.tenantId, tenantId), isNotNull(opportunities.amount))),
          db.select({ count: sql<number>`count(*)` }).from(products).where(and(eq(products.tenantId, tenantId), sql`${products.unitPrice} <> 0`)),
        ]);
        return { kind: 'amounts_in_currency', opportunities: opportunityCount[0]?.count ?? 0, products: productCount[0]?.count ?? 0 };
      };
      if (rescales) {
        const refusal = await amountsRefusal();
        if (refusal.kind === 'amounts_in_currency' && (refusal.opportunities > 0 || refusal.products > 0)) return refusal;
      }

      const pick = (source: WorkspaceSettings) => Object.fromEntries(changed.map((key) => [key, source[key]]));
      const entry = { actorUserId: actor.userId, action: 'update', entityType: 'settings' as const, entityId: tenantId, before: pick(current), after: pick(next), at: actor.now };
      // A rescaling currency change stays guarded in the batch: an amount saved meanwhile keeps the old currency (and no audit row).
      const [updated] = await db.batch([
        db
          .update(tenants)
          .set({ ...pick(next), updatedAt: actor.now })
          .where(rescales ? and(eq(tenants.id, tenantId), noAmounts) : eq(tenants.id, tenantId)),
        rescales ? audit.entryWhere(entry, eq(tenants.currency, next.currency)) : audit.entry(entry),
      ]);
      if (rescales && ((updated as { meta?: { changes?: number } }).meta?.changes ?? 0) === 0) return amountsRefusal();
      return next;
    },
  };
}
