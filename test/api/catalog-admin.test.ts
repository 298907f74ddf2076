import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { addMember, signUp } from '../helpers/api';

type Entry = { id: string; name: string; position: number; archived: boolean; code?: string | null; unitPrice?: number };

const KINDS = ['opportunity-types', 'sources', 'lost-reasons', 'products'] as const;

async function owner() {
  const o = await signUp({ template: 'b2b-general' });
  const base = `/api/t/${o.tenant.slug}/catalog`;
  const list = async (kind: string) => (await o.client.get(`${base}/${kind}`)).body.entries as Entry[];
  const audit = async (query = '') => (await o.client.get(`/api/t/${o.tenant.slug}/audit${query}`)).body.entries as { action: string; entityType: string; entityId: string | null; before: any; after: any }[];
  return { ...o, base, list, audit };
}

describe('catalog admin: create', () => {
  it.each(KINDS)('adds a %s at the end, trimmed, and writes an audit entry', async (kind) => {
    const o = await owner();
    const before = await o.list(kind);
    const response = await o.client.post(`${o.base}/${kind}`, { name: '  Trade fair 展会  ' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name: 'Trade fair 展会', position: before.length, archived: false, archivedAt: null });
    expect((await o.list(kind)).map((e) => e.id)).toEqual([...before.map((e) => e.id), response.body.id]);
    const [entry] = await o.audit();
    const entityType = { 'opportunity-types': 'opportunity_type', sources: 'source', 'lost-reasons': 'lost_reason', products: 'product' }[kind];
    expect(entry).toMatchObject({ action: 'create', entityType, entityId: response.body.id, before: null, after: { name: 'Trade fair 展会', archived: false } });
  });

  it('requires a name of at most 100 characters (400 problem+json listing the field)', async () => {
    const o = await owner();
    for (const body of [{}, { name: '   ' }, { name: 'x'.repeat(101) }, { name: 42 }]) {
      const response = await o.client.post(`${o.base}/sources`, body);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual(['name']);
    }
    expect((await o.client.post(`${o.base}/sources`, { name: 'x'.repeat(100) })).status).toBe(201);
  });

  it('refuses a duplicate active name in the same kind (409), case-insensitively, but allows it in another kind or when the namesake is archived', async () => {
    const o = await owner();
    const first = await o.client.post(`${o.base}/sources`, { name: 'WeChat Ads' });
    const dup = await o.client.post(`${o.base}/sources`, { name: 'wechat ads' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'duplicate_name', existingId: first.body.id });
    expect((await o.client.post(`${o.base}/opportunity-types`, { name: 'WeChat Ads' })).status).toBe(201);
    await o.client.request('PATCH', `${o.base}/sources/${first.body.id}`, { archived: true });
    const again = await o.client.post(`${o.base}/sources`, { name: 'WeChat Ads' });
    expect(again.status).toBe(201);
    // Bringing the archived one back would now duplicate the active one.
    const unarchive = await o.client.request('PATCH', `${o.base}/sources/${first.body.id}`, { archived: false });
    expect(unarchive.status).toBe(409);
    expect(unarchive.body.code).toBe('duplicate_name');
  });

  it('validates product code (≤ 50) and unit price (integer minor units, 0 … 1e13)', async () => {
    const o = await owner();
    const ok = await o.client.post(`${o.base}/products`, { name: 'Annual licence', code: ' LIC-1 ', unitPrice: 1_280_000 });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ code: 'LIC-1', unitPrice: 1_280_000 });
    expect((await o.client.post(`${o.base}/products`, { name: 'Free', unitPrice: 0, code: '' })).body).toMatchObject({ unitPrice: 0, code: null });
    expect((await o.client.post(`${o.base}/products`, { name: 'Max', unitPrice: 1e13 })).status).toBe(201);
    for (const [body, path] of [
      [{ name: 'A', unitPrice: -1 }, 'unitPrice'],
      [{ name: 'B', unitPrice: 1.5 }, 'unitPrice'],
      [{ name: 'C', unitPrice: 1e13 + 1 }, 'unitPrice'],
      [{ name: 'D', unitPrice: '100' }, 'unitPrice'],
      [{ name: 'E', code: 'x'.repeat(51) }, 'code'],
    ] as const) {
      const response = await o.client.post(`${o.base}/products`, body);
      expect(response.status).toBe(400);
      expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
    }
  });

  it('rejects product fields on other kinds and an unknown kind with 4xx problems', async () => {
    const o = await owner();
    const response = await o.client.post(`${o.base}/sources`, { name: 'Expo', unitPrice: 100 });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ path: 'unitPrice', message: expect.any(String) }]);
    expect((await o.client.post(`${o.base}/widgets`, { name: 'x' })).status).toBe(404);
  });
});

describe('catalog admin: edit, archive, reorder, delete', () => {
  it('renames and edits a product, auditing only the changed fields', async () => {
    const o = await owner();
    const [product] = await o.list('products');
    const response = await o.client.request('PATCH', `${o.base}/products/${product!.id}`, { name: 'Renamed product', unitPrice: 999, code: product!.code });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: product!.id, name: 'Renamed product', unitPrice: 999 });
    const [entry] = await o.audit();
    expect(entry).toMatchObject({ action: 'update', entityType: 'product', entityId: product!.id });
    expect(entry!.before).toEqual({ name: product!.name, unitPrice: product!.unitPrice });
    expect(entry!.after).toEqual({ name: 'Renamed product', unitPrice: 999 });
  });

  it('archives: the entry leaves the pickers but stays on the opportunity that uses it; unarchive brings it back', async () => {
    const o = await owner();
    const [source] = await o.list('sources');
    const opp = await o.client.post(`/api/t/${o.tenant.slug}/opportunities`, { title: 'Uses the source', accountName: 'Buyer Co', sourceId: source!.id });
    expect(opp.status).toBe(201);
    const archived = await o.client.request('PATCH', `${o.base}/sources/${source!.id}`, { archived: true });
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ archived: true, archivedAt: expect.any(String) });
    const pickers = (await o.client.get(`/api/t/${o.tenant.slug}/catalog`)).body;
    expect(pickers.sources.map((s: Entry) => s.id)).not.toContain(source!.id);
    expect((await o.list('sources')).find((s) => s.id === source!.id)).toMatchObject({ archived: true });
    expect((await o.client.get(`/api/t/${o.tenant.slug}/opportunities/${opp.body.id}`)).body.sourceId).toBe(source!.id);
    const [archiveEntry] = await o.audit();
    expect(archiveEntry).toMatchObject({ action: 'archive', entityType: 'source', entityId: source!.id });
    // The changed field, and the name to say which entry it was.
    expect([archiveEntry!.before, archiveEntry!.after]).toEqual([{ name: source!.name, archived: false }, { name: source!.name, archived: true }]);

    expect((await o.client.request('PATCH', `${o.base}/sources/${source!.id}`, { archived: false })).body.archived).toBe(false);
    expect((await o.client.get(`/api/t/${o.tenant.slug}/catalog`)).body.sources.map((s: Entry) => s.id)).toContain(source!.id);
    expect((await o.audit())[0]).toMatchObject({ action: 'unarchive', entityType: 'source' });
  });

  it('reorders a catalog of 1,000 entries in one request (within D1’s 1,000 statements per batch)', async () => {
    const o = await owner();
    await env.DB.prepare('delete from sources where tenant_id = ?').bind(o.tenant.id).run();
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: `src-${o.tenant.id}-${String(i).padStart(4, '0')}`, name: `Source ${i}`, position: i }));
    for (let i = 0; i < rows.length; i += 20) {
      const chunk = rows.slice(i, i + 20);
      await env.DB.prepare(`insert into sources (id, tenant_id, name, position, created_at) values ${chunk.map(() => '(?, ?, ?, ?, 0)').join(', ')}`)
        .bind(...chunk.flatMap((r) => [r.id, o.tenant.id, r.name, r.position]))
        .run();
    }
    const reversed = rows.map((r) => r.id).reverse();
    const response = await o.client.request('PUT', `${o.base}/sources/order`, { ids: reversed });
    expect(response.status, response.text).toBe(200);
    const listed = await o.list('sources');
    expect(listed.map((e) => e.id)).toEqual(reversed);
    expect(listed.map((e) => e.position)).toEqual(rows.map((_, i) => i));
  });

  it('reorders with exactly the kind’s ids, rewriting positions densely', async () => {
    const o = await owner();
    const types = await o.list('opportunity-types');
    expect(types.length).toBeGreaterThan(1);
    // Leave gaps first so "dense" is observable.
    await env.DB.prepare('update opportunity_types set position = position * 10 + 5 where tenant_id = ?').bind(o.tenant.id).run();
    const ids = types.map((t) => t.id).reverse();
    const response = await o.client.request('PUT', `${o.base}/opportunity-types/order`, { ids });
    expect(response.status).toBe(200);
    expect(response.body.entries.map((e: Entry) => [e.id, e.position])).toEqual(ids.map((id, i) => [id, i]));
    expect((await o.list('opportunity-types')).map((e) => [e.id, e.position])).toEqual(ids.map((id, i) => [id, i]));
    expect((await o.client.get(`/api/t/${o.tenant.slug}/catalog`)).body.opportunityTypes.map((e: Entry) => e.id)).toEqual(ids);
    expect((await o.audit())[0]).toMatchObject({ action: 'reorder', entityType: 'opportunity_type', before: types.map((t) => t.name), after: [...types].reverse().map((t) => t.name) });
  });

  it('answers 400 to an order that is not exactly the kind’s entries', async () => {
    const o = await owner();
    const other = await owner();
    const ids = (await o.list('sources')).map((s) => s.id);
    const foreign = (await other.list('sources'))[0]!.id;
    for (const bad of [ids.slice(1), [...ids, ids[0]], [...ids.slice(1), foreign], [...ids, 'nope'], 'not-a-list']) {
      const response = await o.client.request('PUT', `${o.base}/sources/order`, { ids: bad });
      expect(response.status).toBe(400);
      expect(response.body.errors[0].path).toBe('ids');
    }
    expect((await o.list('sources')).map((s) => s.id)).toEqual(ids);
  });

  it('deletes an unused entry (audited) and refuses one in use with 409 in_use', async () => {
    const o = await owner();
    const unused = await o.client.post(`${o.base}/lost-reasons`, { name: 'Budget cut' });
    const del = await o.client.request('DELETE', `${o.base}/lost-reasons/${unused.body.id}`);
    expect(del.status).toBe(204);
    expect((await o.list('lost-reasons')).map((e) => e.id)).not.toContain(unused.body.id);
    expect((await o.audit())[0]).toMatchObject({ action: 'delete', entityType: 'lost_reason', entityId: unused.body.id, before: { name: 'Budget cut' }, after: null });
    expect((await o.client.request('DELETE', `${o.base}/lost-reasons/${unused.body.id}`)).status).toBe(404);

    const [type] = await o.list('opportunity-types');
    const [product] = await o.list('products');
    const opp = await o.client.post(`/api/t/${o.tenant.slug}/opportunities`, {
      title: 'Uses type and product', accountName: 'Buyer Co', typeId: type!.id, products: [{ productId: product!.id, quantity: 2 }],
    });
    expect(opp.status).toBe(201);
    for (const [kind, id] of [['opportunity-types', type!.id], ['products', product!.id]] as const) {
      const response = await o.client.request('DELETE', `${o.base}/${kind}/${id}`);
      expect(response.status).toBe(409);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body).toMatchObject({ code: 'in_use', uses: 1 });
      expect(response.body.detail).toMatch(/Archive it instead/);
    }
  });

  it('refuses to delete a lost reason a lost opportunity carries', async () => {
    const o = await owner();
    const [reason] = await o.list('lost-reasons');
    const opp = await o.client.post(`/api/t/${o.tenant.slug}/opportunities`, { title: 'Lost one', accountName: 'Buyer Co' });
    await env.DB.prepare("update opportunities set status = 'lost', lost_reason_id = ? where tenant_id = ? and id = ?").bind(reason!.id, o.tenant.id, opp.body.id).run();
    const response = await o.client.request('DELETE', `${o.base}/lost-reasons/${reason!.id}`);
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('in_use');
  });

  it('answers 404 for an entry id of another kind or another tenant', async () => {
    const o = await owner();
    const other = await owner();
    const [type] = await o.list('opportunity-types');
    expect((await o.client.request('PATCH', `${o.base}/sources/${type!.id}`, { name: 'x' })).status).toBe(404);
    const [foreign] = await other.list('sources');
    expect((await o.client.request('PATCH', `${o.base}/sources/${foreign!.id}`, { name: 'x' })).status).toBe(404);
    expect((await o.client.request('DELETE', `${o.base}/sources/${foreign!.id}`)).status).toBe(404);
    expect((await other.list('sources'))[0]!.name).toBe(foreign!.name);
  });
});

describe('catalog admin: roles', () => {
  it('lets an admin in and keeps members and viewers out of every route (403)', async () => {
    const o = await owner();
    const admin = await addMember(o.tenant.id, 'admin');
    expect((await admin.client.post(`${o.base}/sources`, { name: 'By admin' })).status).toBe(201);
    const [source] = await o.list('sources');
    const ids = (await o.list('sources')).map((s) => s.id);
    for (const role of ['member', 'viewer'] as const) {
      const person = await addMember(o.tenant.id, role);
      for (const kind of KINDS) {
        for (const [method, path, body] of [
          ['GET', `${o.base}/${kind}`, undefined],
          ['POST', `${o.base}/${kind}`, { name: 'Nope' }],
          ['PUT', `${o.base}/${kind}/order`, { ids }],
          ['PATCH', `${o.base}/${kind}/${source!.id}`, { name: 'Nope' }],
          ['DELETE', `${o.base}/${kind}/${source!.id}`, undefined],
        ] as const) {
          const response = await person.client.request(method, path, body);
          expect(response.status, `${role} ${method} ${path}`).toBe(403);
          expect(response.headers.get('content-type')).toContain('application/problem+json');
        }
      }
      expect((await person.client.get(`/api/t/${o.tenant.slug}/catalog`)).status).toBe(200);
    }
    expect((await o.list('sources')).find((s) => s.id === source!.id)!.name).toBe(source!.name);
  });
});
