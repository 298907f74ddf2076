import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { addMember, signUp } from '../helpers/api';

type Entry = { id: string; name: string; position: number };

const isSortedBy = <T>(rows: T[], key: (row: T) => number | string) => rows.every((row, i) => i === 0 || key(rows[i - 1]!) <= key(row));

describe('GET /api/t/:tenant/catalog', () => {
  it('answers the members by name with their roles', async () => {
    const owner = await signUp({ name: 'Wang Owner' });
    const member = await addMember(owner.tenant.id, 'member', 'Li Member');
    const response = await owner.client.get(`/api/t/${owner.tenant.slug}/catalog`);
    expect(response.status).toBe(200);
    expect(response.body.members).toEqual([
      { id: member.user.id, name: 'Li Member', email: member.email, role: 'member' },
      { id: owner.user.id, name: 'Wang Owner', email: owner.email, role: 'owner' },
    ]);
  });

  it('answers the template’s opportunity types, sources, lost reasons and products in position order', async () => {
    const { client, tenant } = await signUp({ template: 'b2b-general' });
    const { body } = await client.get(`/api/t/${tenant.slug}/catalog`);
    for (const list of [body.opportunityTypes, body.sources, body.lostReasons, body.products] as Entry[][]) {
      expect(list.length).toBeGreaterThan(0);
      expect(isSortedBy(list, (e) => e.position)).toBe(true);
    }
    expect(Object.keys(body.products[0]).sort()).toEqual(['code', 'id', 'name', 'position', 'unitPrice']);
    expect(body.products[0].unitPrice).toEqual(expect.any(Number));
  });

  it('leaves out archived entries', async () => {
    const { client, tenant } = await signUp({ template: 'b2b-general' });
    const before = (await client.get(`/api/t/${tenant.slug}/catalog`)).body;
    const [source, product] = [before.sources[0] as Entry, before.products[0] as Entry];
    await env.DB.batch([
      env.DB.prepare('update sources set archived_at = ? where tenant_id = ? and id = ?').bind(Date.now(), tenant.id, source.id),
      env.DB.prepare('update products set archived_at = ? where tenant_id = ? and id = ?').bind(Date.now(), tenant.id, product.id),
    ]);
    const after = (await client.get(`/api/t/${tenant.slug}/catalog`)).body;
    expect(after.sources.map((s: Entry) => s.id)).toEqual(before.sources.slice(1).map((s: Entry) => s.id));
    expect(after.products.map((p: Entry) => p.id)).toEqual(before.products.slice(1).map((p: Entry) => p.id));
  });

  it('lets a viewer read it', async () => {
    const owner = await signUp();
    const viewer = await addMember(owner.tenant.id, 'viewer');
    const response = await viewer.client.get(`/api/t/${owner.tenant.slug}/catalog`);
    expect(response.status).toBe(200);
    expect(response.body.members.map((m: { role: string }) => m.role).sort()).toEqual(['owner', 'viewer']);
  });

  it('answers 404 for another tenant’s catalog and shows only its own members', async () => {
    const a = await signUp({ name: 'Alpha Secret Owner' });
    const b = await signUp();
    const response = await b.client.get(`/api/t/${a.tenant.slug}/catalog`);
    expect(response.status).toBe(404);
    expect(response.text).not.toContain('Alpha Secret Owner');
    const own = await b.client.get(`/api/t/${b.tenant.slug}/catalog`);
    expect(own.body.members.map((m: { id: string }) => m.id)).toEqual([b.user.id]);
  });
});
