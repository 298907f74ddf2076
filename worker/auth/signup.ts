// Signing up creates a user, a workspace from an industry template (optionally with sample data),
// the owner membership and the first session — in one atomic D1 batch: all of it or nothing.
import type { Locale, Template } from '../../db/seed/templates';
import type { IdentityRepo } from '../repos/identity';
import { localDate } from '../services/dates';
import { newId, randomBase32 } from '../services/ids';
import { slugBase, slugWithSuffix } from '../services/slug';
import { buildWorkspaceRows } from '../services/template-install';
import { newSession } from './session';

export const DEFAULT_CURRENCY: Record<Locale, string> = { 'zh-CN': 'CNY', en: 'USD' };
export const DEFAULT_TIMEZONE: Record<Locale, string> = { 'zh-CN': 'Asia/Shanghai', en: 'UTC' };

export interface SignupInput {
  email: string;
  passwordHash: string;
  name: string;
  workspaceName: string;
  template: Template;
  locale: Locale;
  timezone: string;
  sampleData: boolean;
}

export async function createWorkspace(identity: IdentityRepo, input: SignupInput, now: number) {
  const userId = newId();
  const tenantId = newId();
  const slug = await uniqueSlug(identity, input.workspaceName);
  const rows = buildWorkspaceRows({
    template: input.template,
    locale: input.locale,
    tenantId,
    ownerUserId: userId,
    withSampleData: input.sampleData,
    now,
    today: localDate(now, input.timezone),
    timeZone: input.timezone,
    newId,
    sampleEmailTag: tenantId,
  });
  const { session, token } = newSession(userId, now);
  const user = { id: userId, email: input.email, name: input.name, passwordHash: input.passwordHash, locale: input.locale, passwordChangedAt: now, createdAt: now, updatedAt: now };
  const tenant = {
    id: tenantId, slug, name: input.workspaceName, locale: input.locale, currency: DEFAULT_CURRENCY[input.locale],
    timezone: input.timezone, fiscalYearStartMonth: 1, templateId: input.template.id, createdAt: now, updatedAt: now,
  };
  await identity.createWorkspace({
    user,
    tenant,
    teammates: rows.teammates.map((t) => ({ ...t, passwordHash: null, locale: input.locale, createdAt: now, updatedAt: now })),
    rows,
    session,
    now,
  });

  return {
    user: { id: userId, email: input.email, name: input.name, locale: input.locale },
    tenant: { id: tenantId, slug, name: input.workspaceName },
    session,
    token,
  };
}

async function uniqueSlug(identity: IdentityRepo, workspaceName: string): Promise<string> {
  const base = slugBase(workspaceName);
  if (base !== 'ws' && !(await identity.slugExists(base))) return base;
  // 6 base32 characters: 30 bits, so a collision between two concurrent signups is negligible
  // (and the unique index turns one into a retry-able error rather than a shared tenant).
  for (;;) {
    const candidate = slugWithSuffix(base, randomBase32(4).slice(0, 6));
    if (!(await identity.slugExists(candidate))) return candidate;
  }
}
