import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../db/client';
import { tenantRepos } from '../../worker/repos/tenant';
import { addMember, signUp } from '../helpers/api';

async function owner(options: Parameters<typeof signUp>[0] = {}) {
  const o = await signUp({ template: 'b2b-general', workspaceName: 'Blue Sky Trading', ...options });
  const url = `/api/t/${o.tenant.slug}/settings`;
  const patch = (body: unknown) => o.client.request('PATCH', url, body);
  const audit = async () => (await o.client.get(`/api/t/${o.tenant.slug}/audit?entityType=settings`)).body.entries as { action: string; entityId: string; before: any; after: any; actorUserId: string }[];
  return { ...o, url, patch, audit };
}

describe('workspace settings', () => {
  it('answers the settings', async () => {
    const o = await owner({ locale: 'zh-CN' });
    const response = await o.client.get(o.url);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      name: 'Blue Sky Trading', slug: o.tenant.slug, locale: 'zh-CN', currency: expect.stringMatching(/^[A-Z]{3}$/), timezone: expect.any(String),
      fiscalYearStartMonth: expect.any(Number), membersSeeOwnOnly: false, salesTargetMonthly: null, salesTargetQuarterly: null,
    });
  });

  it('sets and clears the monthly and quarterly sales targets, audited like the rest', async () => {
    const o = await owner();
    const set = await o.patch({ salesTargetMonthly: 5_000_000, salesTargetQuarterly: 15_000_000 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ salesTargetMonthly: 5_000_000, salesTargetQuarterly: 15_000_000 });
    const cleared = await o.patch({ salesTargetMonthly: null });
    expect(cleared.body).toMatchObject({ salesTargetMonthly: null, salesTargetQuarterly: 15_000_000 });
    expect((await o.client.get(o.url)).body).toEqual(cleared.body);
    const entries = await o.audit();
    expect(entries.map((e) => e.after)).toEqual([{ salesTargetMonthly: null }, { salesTargetMonthly: 5_000_000, salesTargetQuarterly: 15_000_000 }]);
  });

  it('refuses negative, fractional and non-numeric sales targets', async () => {
    const o = await owner();
    for (const body of [{ salesTargetMonthly: -1 }, { salesTargetQuarterly: 10.5 }, { salesTargetMonthly: '100' }, { salesTargetQuarterly: 2 ** 60 }]) {
      const response = await o.patch(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect([...new Set(response.body.errors.map((e: { path: string }) => e.path))]).toEqual(Object.keys(body));
    }
    expect(await o.audit()).toHaveLength(0);
  });

  it('hands the targets to other features through the tenant repos', async () => {
    const o = await owner();
    const repos = tenantRepos(createDatabase(env.DB), o.tenant.id);
    expect(await repos.settings.targets()).toEqual({ month: null, quarter: null });
    await o.patch({ salesTargetMonthly: 0, salesTargetQuarterly: 90_000 });
    expect(await repos.settings.targets()).toEqual({ month: 0, quarter: 90_000 });
  });

  it('changes any subset and writes ONE audit entry with only the changed fields', async () => {
    const o = await owner();
    const before = (await o.client.get(o.url)).body;
    const response = await o.patch({ name: '  Red Sea Trading  ', fiscalYearStartMonth: 4, membersSeeOwnOnly: true, locale: before.locale });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...before, name: 'Red Sea Trading', fiscalYearStartMonth: 4, membersSeeOwnOnly: true });
    expect((await o.client.get(o.url)).body).toEqual(response.body);
    const entries = await o.audit();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'update', entityId: o.tenant.id, actorUserId: o.user.id });
    expect(entries[0]!.before).toEqual({ name: 'Blue Sky Trading', fiscalYearStartMonth: before.fiscalYearStartMonth === 4 ? undefined : before.fiscalYearStartMonth, membersSeeOwnOnly: false });
    expect(entries[0]!.after).toEqual({ name: 'Red Sea Trading', fiscalYearStartMonth: 4, membersSeeOwnOnly: true });
    // Nothing changed: no entry.
    expect((await o.patch({ name: 'Red Sea Trading' })).status).toBe(200);
    expect(await o.audit()).toHaveLength(1);
  });

  it('shows the change in GET /api/t/:tenant, which the app shell reads', async () => {
    const o = await owner();
    await o.patch({ name: 'Renamed Co', currency: 'USD', timezone: 'America/New_York', membersSeeOwnOnly: true });
    const { body } = await o.client.get(`/api/t/${o.tenant.slug}`);
    expect(body.tenant).toMatchObject({ name: 'Renamed Co', currency: 'USD', timezone: 'America/New_York', membersSeeOwnOnly: true });
  });

  it('applies members-see-own-only to members at once', async () => {
    const o = await owner();
    const member = await addMember(o.tenant.id, 'member');
    const opp = await o.client.post(`/api/t/${o.tenant.slug}/opportunities`, { title: 'Owner’s deal', accountName: 'Buyer Co' });
    expect((await member.client.get(`/api/t/${o.tenant.slug}/opportunities/${opp.body.id}`)).status).toBe(200);
    await o.patch({ membersSeeOwnOnly: true });
    expect((await member.client.get(`/api/t/${o.tenant.slug}/opportunities/${opp.body.id}`)).status).toBe(404);
  });

  it('validates every field and lists each bad one (400 problem+json)', async () => {
    const o = await owner();
    const response = await o.patch({ name: '', locale: 'fr', currency: 'XYZ', timezone: 'Mars/Olympus', fiscalYearStartMonth: 13, membersSeeOwnOnly: 'yes' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['currency', 'fiscalYearStartMonth', 'locale', 'membersSeeOwnOnly', 'name', 'timezone']);
    for (const body of [{ fiscalYearStartMonth: 0 }, { fiscalYearStartMonth: 1.5 }, { name: 'x'.repeat(101) }, { timezone: '' }, { currency: '' }]) {
      expect((await o.patch(body)).status).toBe(400);
    }
    expect(await o.audit()).toHaveLength(0);
    expect((await o.client.get(o.url)).body.name).toBe('Blue Sky Trading');
  });

  it('knows ISO 4217 currencies and IANA time zones inside workerd', async () => {
    expect(typeof Intl.supportedValuesOf).toBe('function');
    expect(Intl.supportedValuesOf('currency')).toContain('CNY');
    const o = await owner();
    const response = await o.patch({ currency: 'eur', timezone: 'Asia/Shanghai' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ currency: 'EUR', timezone: 'Asia/Shanghai' });
  });

  it('refuses a currency with other minor-unit digits while an opportunity has an amount (409), allows same digits', async () => {
    const o = await owner();
    await o.patch({ currency: 'CNY' });
    await o.client.post(`/api/t/${o.tenant.slug}/opportunities`, { title: 'Priced deal', accountName: 'Buyer Co', amount: 1_280_000 });
    const jpy = await o.patch({ currency: 'JPY' });
    expect(jpy.status).toBe(409);
    expect(jpy.body).toMatchObject({ code: 'currency_has_amounts', opportunities: 1 });
    expect(jpy.body.detail).toMatch(/minor units/);
    expect((await o.client.get(o.url)).body.currency).toBe('CNY');
    // Same number of digits: amounts mean the same, allowed.
    expect((await o.patch({ currency: 'USD' })).status).toBe(200);
  });

  it('allows a change of minor-unit digits when no amount or price exists yet', async () => {
    const o = await owner();
    await o.patch({ currency: 'CNY' });
    await env.DB.prepare('update products set unit_price = 0 where tenant_id = ?').bind(o.tenant.id).run();
    await o.client.post(`/api/t/${o.tenant.slug}/opportunities`, { title: 'No amount yet', accountName: 'Buyer Co' });
    const response = await o.patch({ currency: 'JPY' });
    expect(response.status).toBe(200);
    expect(response.body.currency).toBe('JPY');
  });

  it('counts priced products too: their prices are minor units as well', async () => {
    const o = await owner();
    await o.patch({ currency: 'CNY' });
    await env.DB.prepare('update products set unit_price = 0 where tenant_id = ?').bind(o.tenant.id).run();
    await o.client.post(`/api/t/${o.tenant.slug}/catalog/products`, { name: 'Priced', unitPrice: 500 });
    const response = await o.patch({ currency: 'JPY' });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ opportunities: 0, products: 1 });
  });

  it('is for owners and admins only: members and viewers get 403', async () => {
    const o = await owner();
    const admin = await addMember(o.tenant.id, 'admin');
    expect((await admin.client.request('PATCH', o.url, { name: 'By admin' })).status).toBe(200);
    for (const role of ['member', 'viewer'] as const) {
      const person = await addMember(o.tenant.id, role);
      for (const response of [await person.client.get(o.url), await person.client.request('PATCH', o.url, { name: 'Nope' })]) {
        expect(response.status).toBe(403);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
      }
    }
    expect((await o.client.get(o.url)).body.name).toBe('By admin');
  });
});
