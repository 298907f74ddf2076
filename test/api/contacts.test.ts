import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { addMember, signUp, type ApiClient, type ApiResponse } from '../helpers/api';

type Contact = { id: string; name: string; accountId: string | null; version: number; [field: string]: unknown };

async function workspace(options: Parameters<typeof signUp>[0] = {}) {
  const owner = await signUp(options);
  return { ...owner, accounts: `/api/t/${owner.tenant.slug}/accounts`, contacts: `/api/t/${owner.tenant.slug}/contacts` };
}

async function createContact(client: ApiClient, url: string, body: Record<string, unknown> = {}): Promise<Contact> {
  const response = await client.post(url, { name: 'Anna Buyer', ...body });
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${response.text}`);
  return response.body;
}

async function createAccount(client: ApiClient, url: string, name = 'Hengda Machinery'): Promise<{ id: string }> {
  const response = await client.post(url, { name });
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${response.text}`);
  return response.body;
}

const paths = (body: { errors?: { path: string }[] }) => (body.errors ?? []).map((e) => e.path).sort();

describe('GET /api/t/:tenant/contacts', () => {
  it('lists contacts by name with a null next cursor when all fit on one page', async () => {
    const w = await workspace();
    for (const name of ['Chen Wei', 'Anna Buyer', 'Bo Li']) await createContact(w.client, w.contacts, { name });
    const response = await w.client.get(w.contacts);
    expect(response.status).toBe(200);
    expect(response.body.contacts.map((c: Contact) => c.name)).toEqual(['Anna Buyer', 'Bo Li', 'Chen Wei']);
    expect(response.body.nextCursor).toBeNull();
  });

  it('pages through contacts in name order without repeating any', async () => {
    const w = await workspace();
    for (const name of ['G', 'B', 'E', 'A', 'D', 'D', 'F']) await createContact(w.client, w.contacts, { name });
    const pages: Contact[][] = [];
    let cursor: string | null = null;
    do {
      const response: ApiResponse<{ contacts: Contact[]; nextCursor: string | null }> = await w.client.get(`${w.contacts}?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(response.status).toBe(200);
      pages.push(response.body.contacts);
      cursor = response.body.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(new Set(pages.flat().map((c) => c.id)).size).toBe(7);
    expect(pages.flat().map((c) => c.name)).toEqual(['A', 'B', 'D', 'D', 'E', 'F', 'G']);
  });

  it('lists only one account’s contacts when asked', async () => {
    const w = await workspace();
    const account = await createAccount(w.client, w.accounts);
    await createContact(w.client, w.contacts, { name: 'Zhou Director', accountId: account.id });
    await createContact(w.client, w.contacts, { name: 'Free Agent' });
    const response = await w.client.get(`${w.contacts}?accountId=${account.id}`);
    expect(response.body.contacts.map((c: Contact) => c.name)).toEqual(['Zhou Director']);
  });

  it('pages through Chinese names', async () => {
    const w = await workspace({ locale: 'zh-CN' });
    const names = ['张伟', '王芳', '李娜', '刘洋', '陈静'];
    for (const name of names) await createContact(w.client, w.contacts, { name });
    const first = await w.client.get(`${w.contacts}?limit=3`);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await w.client.get(`${w.contacts}?limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.status).toBe(200);
    expect(second.body.nextCursor).toBeNull();
    const listed = [...first.body.contacts, ...second.body.contacts].map((row: Contact) => row.name);
    expect(listed).toEqual([...names].sort());
  });

  it('finds contacts by a case-insensitive part of the name, phone, email or WeChat id', async () => {
    const w = await workspace();
    await createContact(w.client, w.contacts, { name: 'Anna Buyer' });
    await createContact(w.client, w.contacts, { name: 'Bo Li', phone: '138 0000 1111' });
    await createContact(w.client, w.contacts, { name: 'Chen Wei', email: 'chen@hengda.example' });
    await createContact(w.client, w.contacts, { name: 'Du Fang', wechat: 'dufang_88' });
    const names = async (q: string) => (await w.client.get(`${w.contacts}?q=${encodeURIComponent(q)}`)).body.contacts.map((c: Contact) => c.name);
    expect(await names('BUYER')).toEqual(['Anna Buyer']);
    expect(await names('0000 1')).toEqual(['Bo Li']);
    expect(await names('HENGDA.example')).toEqual(['Chen Wei']);
    expect(await names('g_8')).toEqual(['Du Fang']);
    expect(await names('%')).toEqual([]);
  });

  it('answers 400 for a cursor it did not hand out', async () => {
    const w = await workspace();
    const notOurs = btoa(JSON.stringify([1, 2, 3]));
    const response = await w.client.get(`${w.contacts}?cursor=${encodeURIComponent(notOurs)}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(paths(response.body)).toEqual(['query.cursor']);
  });

  it('never lists another tenant’s contacts, even filtered by its account', async () => {
    const a = await workspace();
    const b = await workspace();
    const account = await createAccount(a.client, a.accounts);
    await createContact(a.client, a.contacts, { name: 'Alpha Secret Contact', accountId: account.id });
    const response = await b.client.get(`${b.contacts}?accountId=${account.id}`);
    expect(response.status).toBe(200);
    expect(response.body.contacts).toEqual([]);
  });
});

describe('POST /api/t/:tenant/contacts', () => {
  it('creates a contact of an account and answers 201 with the record', async () => {
    const w = await workspace();
    const account = await createAccount(w.client, w.accounts);
    const response = await w.client.post(w.contacts, {
      name: 'Zhou Director', accountId: account.id, title: 'Purchasing director', email: 'zhou@hengda.example', wechat: 'zhou88', isKey: true,
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      accountId: account.id,
      name: 'Zhou Director',
      title: 'Purchasing director',
      phone: null,
      email: 'zhou@hengda.example',
      wechat: 'zhou88',
      isKey: true,
      version: 1,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.any(String),
    });
  });

  it('creates a contact without an account, not a key contact', async () => {
    const w = await workspace();
    const contact = await createContact(w.client, w.contacts, { email: '' });
    expect(contact).toMatchObject({ accountId: null, isKey: false, email: null });
  });

  it('answers 400 with each invalid field', async () => {
    const w = await workspace();
    const response = await w.client.post(w.contacts, { name: '', email: 'not-an-email', isKey: 'yes', phone: '1'.repeat(51) });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(paths(response.body)).toEqual(['email', 'isKey', 'name', 'phone']);
  });

  it('answers 400 for an account of another tenant', async () => {
    const a = await workspace();
    const b = await workspace();
    const account = await createAccount(a.client, a.accounts);
    const response = await b.client.post(b.contacts, { name: 'Anna Buyer', accountId: account.id });
    expect(response.status).toBe(400);
    expect(paths(response.body)).toEqual(['accountId']);
  });

  it('refuses a viewer with 403', async () => {
    const w = await workspace();
    const viewer = await addMember(w.tenant.id, 'viewer');
    expect((await viewer.client.post(w.contacts, { name: 'Anna Buyer' })).status).toBe(403);
  });
});

describe('GET /api/t/:tenant/contacts/:contactId', () => {
  it('answers the contact', async () => {
    const w = await workspace();
    const contact = await createContact(w.client, w.contacts);
    const response = await w.client.get(`${w.contacts}/${contact.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(contact);
  });

  it('answers 404 for an id that does not exist', async () => {
    const w = await workspace();
    const response = await w.client.get(`${w.contacts}/no-such-contact`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers 404 for another tenant’s contact, exactly like a missing one', async () => {
    const a = await workspace();
    const b = await workspace();
    const contact = await createContact(a.client, a.contacts, { name: 'Alpha Secret Contact' });
    const other = await b.client.get(`${b.contacts}/${contact.id}`);
    const missing = await b.client.get(`${b.contacts}/no-such-contact`);
    expect(other.status).toBe(404);
    expect(other.text).not.toContain('Alpha Secret Contact');
    const strip = ({ requestId: _r, ...rest }: Record<string, unknown>) => rest;
    expect(strip(other.body)).toEqual(strip(missing.body));
  });
});

describe('PATCH /api/t/:tenant/contacts/:contactId', () => {
  it('changes only the fields sent and moves the version on', async () => {
    const w = await workspace();
    const account = await createAccount(w.client, w.accounts);
    const contact = await createContact(w.client, w.contacts, { phone: '138 0000 1111' });
    const response = await w.client.request('PATCH', `${w.contacts}/${contact.id}`, { version: 1, accountId: account.id, isKey: true });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ name: 'Anna Buyer', phone: '138 0000 1111', accountId: account.id, isKey: true, version: 2 });
  });

  it('answers 409 with the current record for a stale version', async () => {
    const w = await workspace();
    const contact = await createContact(w.client, w.contacts);
    await w.client.request('PATCH', `${w.contacts}/${contact.id}`, { version: 1, title: 'CEO' });
    const response = await w.client.request('PATCH', `${w.contacts}/${contact.id}`, { version: 1, title: 'CFO' });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('stale_version');
    expect(response.body.current).toMatchObject({ id: contact.id, title: 'CEO', version: 2 });
  });

  it('answers 400 without a version or with an invalid email', async () => {
    const w = await workspace();
    const contact = await createContact(w.client, w.contacts);
    const response = await w.client.request('PATCH', `${w.contacts}/${contact.id}`, { email: 'nope' });
    expect(response.status).toBe(400);
    expect(paths(response.body)).toEqual(['email', 'version']);
  });

  it('answers 400 for an account that does not exist', async () => {
    const w = await workspace();
    const contact = await createContact(w.client, w.contacts);
    const response = await w.client.request('PATCH', `${w.contacts}/${contact.id}`, { version: 1, accountId: 'no-such-account' });
    expect(response.status).toBe(400);
    expect(paths(response.body)).toEqual(['accountId']);
  });

  it('answers 404 for an id that does not exist', async () => {
    const w = await workspace();
    expect((await w.client.request('PATCH', `${w.contacts}/no-such-contact`, { version: 1, title: 'CEO' })).status).toBe(404);
  });

  it('answers 404 for another tenant’s contact and leaves it unchanged', async () => {
    const a = await workspace();
    const b = await workspace();
    const contact = await createContact(a.client, a.contacts);
    const response = await b.client.request('PATCH', `${b.contacts}/${contact.id}`, { version: 1, name: 'Taken Over' });
    expect(response.status).toBe(404);
    expect((await a.client.get(`${a.contacts}/${contact.id}`)).body).toEqual(contact);
  });

  it('answers 404, not 400, for another tenant’s contact even with an unknown account', async () => {
    const a = await workspace();
    const b = await workspace();
    const contact = await createContact(a.client, a.contacts);
    const response = await b.client.request('PATCH', `${b.contacts}/${contact.id}`, { version: 1, accountId: 'no-such-account' });
    expect(response.status).toBe(404);
  });

  it('refuses a viewer with 403', async () => {
    const w = await workspace();
    const viewer = await addMember(w.tenant.id, 'viewer');
    const contact = await createContact(w.client, w.contacts);
    expect((await viewer.client.request('PATCH', `${w.contacts}/${contact.id}`, { version: 1, title: 'CEO' })).status).toBe(403);
  });
});

describe('DELETE /api/t/:tenant/contacts/:contactId', () => {
  it('deletes the contact and answers 204', async () => {
    const w = await workspace();
    const contact = await createContact(w.client, w.contacts);
    const response = await w.client.request('DELETE', `${w.contacts}/${contact.id}`);
    expect(response.status).toBe(204);
    expect((await w.client.get(`${w.contacts}/${contact.id}`)).status).toBe(404);
  });

  it('unlinks the contact from opportunities and clears it as their primary contact', async () => {
    const w = await workspace({ sampleData: true });
    const opportunity = await env.DB.prepare('select id, primary_contact_id as contactId from opportunities where tenant_id = ? and primary_contact_id is not null limit 1')
      .bind(w.tenant.id)
      .first<{ id: string; contactId: string }>();
    expect((await w.client.request('DELETE', `${w.contacts}/${opportunity!.contactId}`)).status).toBe(204);
    const after = await env.DB.prepare(
      `select primary_contact_id as contactId,
              (select count(*) from opportunity_contacts where tenant_id = ?1 and contact_id = ?3) as links
       from opportunities where tenant_id = ?1 and id = ?2`,
    )
      .bind(w.tenant.id, opportunity!.id, opportunity!.contactId)
      .first<{ contactId: string | null; links: number }>();
    expect(after).toEqual({ contactId: null, links: 0 });
  });

  it('answers 404 for an id that does not exist', async () => {
    const w = await workspace();
    expect((await w.client.request('DELETE', `${w.contacts}/no-such-contact`)).status).toBe(404);
  });

  it('answers 404 for another tenant’s contact and keeps it', async () => {
    const a = await workspace();
    const b = await workspace();
    const contact = await createContact(a.client, a.contacts);
    expect((await b.client.request('DELETE', `${b.contacts}/${contact.id}`)).status).toBe(404);
    expect((await a.client.get(`${a.contacts}/${contact.id}`)).status).toBe(200);
  });

  it('refuses a viewer with 403', async () => {
    const w = await workspace();
    const viewer = await addMember(w.tenant.id, 'viewer');
    const contact = await createContact(w.client, w.contacts);
    expect((await viewer.client.request('DELETE', `${w.contacts}/${contact.id}`)).status).toBe(403);
    expect((await w.client.get(`${w.contacts}/${contact.id}`)).status).toBe(200);
  });
});
