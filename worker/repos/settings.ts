/**
 * Workspace settings: name, locale, currency, time zone, fiscal year, members-see-own-only.
 * An update writes the tenant row and ONE audit entry (changed fields only) in the same batch.
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { opportunities, products, tenants } from '../../db/schema';
import { auditRepo } from './audit';
import { runAtomically } from './batch';
import type { RepoScope } from './scope';

export interface WorkspaceSettings {
  name: string;
  slug: string;
  locale: 'zh-CN' | 'en';
  currency: string;
  timezone: string;
  fiscalYearStartMonth: number;
  membersSeeOwnOnly: boolean;
}

export type SettingsPatch = Partial<Omit<WorkspaceSettings, 'slug'>>;

const EDITABLE = ['name', 'locale', 'currency', 'timezone', 'fiscalYearStartMonth', 'membersSeeOwnOnly'] as const;

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
    };
  }

  return {
    get,

    async update(patch: SettingsPatch, actor: { userId: string; now: number }): Promise<WorkspaceSettings | SettingsRefusal> {
      const current = await get();
      if (!current) return { kind: 'not_found' };
      const changed = EDITABLE.filter((key) => patch[key] !== undefined && patch[key] !== current[key]);
      if (changed.length === 0) return current;
      const next = { ...current, ...Object.fromEntries(changed.map((key) => [key, patch[key]])) } as WorkspaceSettings;

      // Amounts are stored in minor units: 12800 means ¥128.00 in CNY but ¥12,800 in JPY. Moving to
      // a currency with another number of minor-unit digits would silently rescale every amount.
      if (changed.includes('currency') && minorUnitDigits(current.currency) !== minorUnitDigits(next.currency)) {
        const [opportunityCount, productCount] = await db.batch([
          db.select({ count: sql<number>`count(*)` }).from(opportunities).where(and(eq(opportunities.tenantId, tenantId), isNotNull(opportunities.amount))),
          db.select({ count: sql<number>`count(*)` }).from(products).where(and(eq(products.tenantId, tenantId), sql`${products.unitPrice} <> 0`)),
        ]);
        const opportunitiesWithAmount = opportunityCount[0]?.count ?? 0;
        const pricedProducts = productCount[0]?.count ?? 0;
        if (opportunitiesWithAmount > 0 || pricedProducts > 0) return { kind: 'amounts_in_currency', opportunities: opportunitiesWithAmount, products: pricedProducts };
      }

      const pick = (source: WorkspaceSettings) => Object.fromEntries(changed.map((key) => [key, source[key]]));
      await runAtomically(db, [
        db
          .update(tenants)
          .set({ ...pick(next), updatedAt: actor.now })
          .where(eq(tenants.id, tenantId)),
        audit.entry({ actorUserId: actor.userId, action: 'update', entityType: 'settings', entityId: tenantId, before: pick(current), after: pick(next), at: actor.now }),
      ]);
      return next;
    },
  };
}
