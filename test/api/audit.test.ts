import { describe, expect, it } from 'vitest';
import { addMember, signUp } from '../helpers/api';

type AuditEntry = { id: string; actorUserId: string | null; actorName: string | null; action: string; entityType: string; entityId: string | null; before: any; after: any; at: string };

async function owner(name = 'Audit Owner') {
  const o = await signUp({ template: 'b2b-general', name, workspaceName: 'Audit Trading' });
  const get = (query = '') => o.client.get(`/api/t/${o.tenant.slug}/audit${query}`);
  return { ...o, get };
}

describe('GET /api/t/:tenant/audit', () => {
  it('lists settings and catalog changes newest first, with the actor’s name and before/after', async () => {
    const o = await owner('Zhang Wei');
    await o.client.request('PATCH', `/api/t/${o.tenant.slug}/settings`, { name: 'Audit Renamed' });
    const source = await o.client.post(`/api/t/${o.tenant.slug}/catalog/sources`, { name: 'Exhibition' });
    await o.client.request('PATCH', `/api/t/${o.tenant.slug}/catalog/sources/${source.body.id}`, { name: 'Trade exhibition' });
    const response = await o.get();
    expect(response.status).toBe(200);
    const entries = response.body.entries as AuditEntry[];
    expect(entries.map((e) => [e.entityType, e.action])).toEqual([
      ['source', 'update'],
      ['source', 'create'],
      ['settings', 'update'],
    ]);
    expect(entries[0]).toMatchObject({ actorUserId: o.user.id, actorName: 'Zhang Wei', entityId: source.body.id, before: { name: 'Exhibition' }, after: { name: 'Trade exhibition' } });
    expect(entries[2]).toMatchObject({ before: { name: 'Audit Trading' }, after: { name: 'Audit Renamed' } });
    expect(entries.every((e, i) => i === 0 || e.at <= entries[i - 1]!.at)).toBe(true);
    expect(response.body.nextCursor).toBeNull();
  });

  it('filters by entity type, action, actor and time', async () => {
    const o = await owner();
    const admin = await addMember(o.tenant.id, 'admin', 'Admin Person');
    await o.client.post(`/api/t/${o.tenant.slug}/catalog/sources`, { name: 'By owner' });
    await admin.client.post(`/api/t/${o.tenant.slug}/catalog/lost-reasons`, { name: 'By admin' });
    await admin.client.request('PATCH', `/api/t/${o.tenant.slug}/settings`, { fiscalYearStartMonth: 7 });

    const byType = (await o.get('?entityType=lost_reason')).body.entries as AuditEntry[];
    expect(byType.map((e) => e.after.name)).toEqual(['By admin']);
    const byActor = (await o.get(`?actorUserId=${admin.user.id}`)).body.entries as AuditEntry[];
    expect(byActor.map((e) => e.entityType)).toEqual(['settings', 'lost_reason']);
    expect(byActor.every((e) => e.actorName === 'Admin Person')).toBe(true);
    expect(((await o.get('?action=create')).body.entries as AuditEntry[]).map((e) => e.entityType)).toEqual(['lost_reason', 'source']);

    const all = (await o.get()).body.entries as AuditEntry[];
    const today = all[0]!.at.slice(0, 10);
    // Future instants and a past day: nothing; a range covering now: everything.
    expect((await o.get('?from=2099-01-01T00:00:00Z')).body.entries).toEqual([]);
    expect((await o.get('?to=2000-01-02')).body.entries).toEqual([]);
    expect(((await o.get(`?from=2000-01-01&to=2099-12-31`)).body.entries as AuditEntry[]).length).toBe(all.length);
    const instantFrom = new Date(Date.parse(all[0]!.at) - 60 * 60_000).toISOString();
    expect(((await o.get(`?from=${encodeURIComponent(instantFrom)}`)).body.entries as AuditEntry[]).length).toBe(all.length);
    expect(today).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('paginates with nextCursor without gaps or repeats', async () => {
    const o = await owner();
    for (let i = 0; i < 5; i++) await o.client.post(`/api/t/${o.tenant.slug}/catalog/sources`, { name: `Source ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await o.get(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(response.status).toBe(200);
      expect(response.body.entries.length).toBeLessThanOrEqual(2);
      seen.push(...(response.body.entries as AuditEntry[]).map((e) => e.after.name));
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['Source 4', 'Source 3', 'Source 2', 'Source 1', 'Source 0']);
    expect(pages).toBe(3);
  });

  it('answers 400 problem+json for bad filters and a bad cursor', async () => {
    const o = await owner();
    for (const [query, path] of [
      ['?cursor=garbage', 'query.cursor'],
      ['?cursor=WzEsMl0', 'query.cursor'],
      // [1e999, "x"]: JSON gives Infinity, which must not reach D1.
      ['?cursor=WzFlOTk5LCJ4Il0', 'query.cursor'],
      ['?limit=0', 'query.limit'],
      ['?limit=101', 'query.limit'],
      ['?limit=abc', 'query.limit'],
      ['?from=yesterday', 'query.from'],
      ['?to=2026-02-30', 'query.to'],
      ['?entityType=planet', 'query.entityType'],
      ['?from=2026-05-02&to=2026-05-01', 'query.to'],
    ] as const) {
      const response = await o.get(query);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.errors.map((e: { path: string }) => e.path), query).toContain(path);
    }
  });

  it('never shows another tenant’s entries', async () => {
    const a = await owner('Alpha Secret Owner');
    const b = await owner();
    await a.client.post(`/api/t/${a.tenant.slug}/catalog/sources`, { name: 'Alpha Secret Source' });
    const own = await b.get();
    expect(own.status).toBe(200);
    expect(own.body.entries).toEqual([]);
    expect(own.text).not.toContain('Alpha Secret');
    const cross = await b.client.get(`/api/t/${a.tenant.slug}/audit`);
    expect(cross.status).toBe(404);
    expect(cross.text).not.toContain('Alpha Secret');
    // A cursor from A's log does not open A's entries in B.
    await a.client.post(`/api/t/${a.tenant.slug}/catalog/sources`, { name: 'Alpha Secret Source 2' });
    const page = await a.get('?limit=1');
    const probe = await b.get(`?cursor=${encodeURIComponent(page.body.nextCursor)}`);
    expect(probe.status).toBe(200);
    expect(probe.text).not.toContain('Alpha Secret');
  });

  it('is for owners and admins only: members and viewers get 403', async () => {
    const o = await owner();
    const admin = await addMember(o.tenant.id, 'admin');
    expect((await admin.client.get(`/api/t/${o.tenant.slug}/audit`)).status).toBe(200);
    for (const role of ['member', 'viewer'] as const) {
      const person = await addMember(o.tenant.id, role);
      const response = await person.client.get(`/api/t/${o.tenant.slug}/audit`);
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('admin_only');
    }
  });
});
