import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { addMember, signUp, type ApiClient, type ApiResponse } from '../helpers/api';

type Account = { id: string; name: string; version: number; [field: string]: unknown };

async function workspace(options: Parameters<typeof signUp>[0] = {}) {
  const owner = await signUp(options);
  return { ...owner, accounts: `/api/t/${owner.tenant.slug}/accounts`, contacts: `/api/t/${owner.tenant.slug}/contacts` };
}

async function createAccount(client: ApiClient, url: string, body: Record<string, unknown> = {}): Promise<Account> {
  const response = await client.post(url, { name: 'Hengda Machinery', ...body });
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${response.text}`);
  return response.body;
}

const paths = (body: { errors?: { path: string }[] }) => (body.errors ?? []).map((e) => e.path).sort();

/** A sample account that open opportunities point at, with how many point at it. */
async function sampleAccountWithOpportunities(tenantId: string) {
  const row = await env.DB.prepare(
    `select account_id as id, count(*) as total, sum(status = 'open') as open
     from opportunities where tenant_id = ? and account_id is not null
     group by account_id having sum(status = 'open') > 0 order by account_id limit 1`,
  )
    .bind(tenantId)
    .first<{ id: string; total: number; open: number }>();
  if (!row) throw new Error('the sample data has no account with open opportunities');
  return row;
}

describe('GET /api/t/:tenant/accounts', () => {
  it('lists accounts by name with a null next cursor when all fit on one page', async () => {
    const w = await workspace();
    for (const name of ['Cedar Foods', 'Apex Steel', 'Birch Textiles']) await createAccount(w.client, w.accounts, { name });
    const response = await w.client.get(w.accounts);
    expect(response.status).toBe(200);
    expect(response.body.accounts.map((a: Account) => a.name)).toEqual(['Apex Steel', 'Birch Textiles', 'Cedar Foods']);
    expect(response.body.nextCursor).toBeNull();
  });

  it('pages through accounts in name order without repeating any', async () => {
    const w = await workspace();
    // Two accounts share a name, so the id breaks the tie across a page boundary.
    for (const name of ['G', 'B', 'E', 'A', 'C', 'C', 'F']) await createAccount(w.client, w.accounts, { name });
    const pages: Account[][] = [];
    let cursor: string | null = null;
    do {
      const response: ApiResponse<{ accounts: Account[]; nextCursor: string | null }> = await w.client.get(`${w.accounts}?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(response.status).toBe(200);
      pages.push(response.body.accounts);
      cursor = response.body.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    const all = pages.flat();
    expect(new Set(all.map((a) => a.id)).size).toBe(7);
    expect(all.map((a) => a.name)).toEqual(['A', 'B', 'C', 'C', 'E', 'F', 'G']);
  });

  it('pages through Chinese names', async () => {
    const w = await workspace({ locale: 'zh-CN' });
    const names = ['华为技术', '阿里巴巴', '腾讯科技', '百度在线', '小米科技'];
    for (const name of names) await createAccount(w.client, w.accounts, { name });
    const first = await w.client.get(`${w.accounts}?limit=3`);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await w.client.get(`${w.accounts}?limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.status).toBe(200);
    expect(second.body.nextCursor).toBeNull();
    const listed = [...first.body.accounts, ...second.body.accounts].map((row: Account) => row.name);
    expect(listed).toEqual([...names].sort());
  });

  it('finds accounts by a case-insensitive part of the name, city or phone', async () => {
    const w = await workspace();
    await createAccount(w.client, w.accounts, { name: 'Hengda Machinery' });
    await createAccount(w.client, w.accounts, { name: 'Lotus Print', city: 'Hangzhou' });
    await createAccount(w.client, w.accounts, { name: 'Pearl Glass', phone: '+86 571 8888 0000' });
    await createAccount(w.client, w.accounts, { name: 'Unrelated Co', city: 'Suzhou' });
    const names = async (q: string) => (await w.client.get(`${w.accounts}?q=${encodeURIComponent(q)}`)).body.accounts.map((a: Account) => a.name);
    expect(await names('MACHIN')).toEqual(['Hengda Machinery']);
    expect(await names('hangzhou')).toEqual(['Lotus Print']);
    expect(await names('8888')).toEqual(['Pearl Glass']);
  });

  it('matches % and _ in a search literally', async () => {
    const w = await workspace();
    await createAccount(w.client, w.accounts, { name: '100% Cotton' });
    await createAccount(w.client, w.accounts, { name: '1000 Cotton' });
    await createAccount(w.client, w.accounts, { name: 'Snake_Case Ltd' });
    await createAccount(w.client, w.accounts, { name: 'SnakeXCase Ltd' });
    const names = async (q: string) => (await w.client.get(`${w.accounts}?q=${encodeURIComponent(q)}`)).body.accounts.map((a: Account) => a.name);
    expect(await names('0%')).toEqual(['100% Cotton']);
    expect(await names('e_c')).toEqual(['Snake_Case Ltd']);
  });

  it('answers 400 for a cursor it did not hand out', async () => {
    const w = await workspace();
    const response = await w.client.get(`${w.accounts}?cursor=not-a-cursor`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(paths(response.body)).toEqual(['query.cursor']);
  });

  it('answers 400 for a limit outside 1 to 200', async () => {
    const w = await workspace();
    for (const limit of ['0', '201', 'ten']) {
      const response = await w.client.get(`${w.accounts}?limit=${limit}`);
      expect(response.status).toBe(400);
      expect(paths(response.body)).toEqual(['query.limit']);
    }
  });

  it('never lists another tenant’s accounts', async () => {
    const a = await workspace();
    const b = await workspace();
    await createAccount(a.client, a.accounts, { name: 'Alpha Secret Customer' });
    const response = await b.client.get(b.accounts);
    expect(response.status).toBe(200);
    expect(response.text).not.toContain('Alpha Secret Customer');
  });
});

describe('POST /api/t/:tenant/accounts', () => {
  it('creates an account owned by the caller and answers 201 with the record', async () => {
    const w = await workspace();
    const response = await w.client.post(w.accounts, { name: '  Hengda Machinery  ', city: 'Suzhou', website: 'https://hengda.example' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      name: 'Hengda Machinery',
      industry: null,
      city: 'Suzhou',
      phone: null,
      website: 'https://hengda.example',
      notes: null,
      ownerId: w.user.id,
      version: 1,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.any(String),
    });
    expect((await w.client.get(`${w.accounts}/${response.body.id}`)).body.account).toEqual(response.body);
  });

  it('gives the account to another member when asked', async () => {
    const w = await workspace();
    const member = await addMember(w.tenant.id, 'member');
    const account = await createAccount(w.client, w.accounts, { ownerId: member.user.id });
    expect(account.ownerId).toBe(member.user.id);
  });

  it('answers 400 with each invalid field', async () => {
    const w = await workspace();
    const response = await w.client.post(w.accounts, { name: '   ', notes: 'x'.repeat(5001), city: 42 });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(paths(response.body)).toEqual(['city', 'name', 'notes']);
  });

  it('answers 400 for an owner who is not a member of the workspace', async () => {
    const w = await workspace();
    const outsider = await signUp();
    const response = await w.client.post(w.accounts, { name: 'Hengda Machinery', ownerId: outsider.user.id });
    expect(response.status).toBe(400);
    expect(paths(response.body)).toEqual(['ownerId']);
  });

  it('refuses a viewer with 403', async () => {
    const w = await workspace();
    const viewer = await addMember(w.tenant.id, 'viewer');
    const response = await viewer.client.post(w.accounts, { name: 'Hengda Machinery' });
    expect(response.status).toBe(403);
    expect((await w.client.get(w.accounts)).body.accounts).toEqual([]);
  });
});

describe('GET /api/t/:tenant/accounts/:accountId', () => {
  it('answers the account with its contacts, key contacts first', async () => {
    const w = await workspace();
    const account = await createAccount(w.client, w.accounts);
    await w.client.post(w.contacts, { name: 'Anna Buyer', accountId: account.id });
    await w.client.post(w.contacts, { name: 'Zhou Director', accountId: account.id, isKey: true });
    await w.client.post(w.contacts, { name: 'Someone Elsewhere' });
    const response = await w.client.get(`${w.accounts}/${account.id}`);
    expect(response.status).toBe(200);
    expect(response.body.account).toEqual(account);
    expect(response.body.contacts.map((c: { name: string }) => c.name)).toEqual(['Zhou Director', 'Anna Buyer']);
    expect(response.body.openOpportunityCount).toBe(0);
  });

  it('counts the account’s open opportunities', async () => {
    const w = await workspace({ sampleData: true });
    const sample = await sampleAccountWithOpportunities(w.tenant.id);
    const response = await w.client.get(`${w.accounts}/${sample.id}`);
    expect(response.status).toBe(200);
    expect(response.body.openOpportunityCount).toBe(sample.open);
  });

  it('answers 404 for an id that does not exist', async () => {
    const w = await workspace();
    const response = await w.client.get(`${w.accounts}/no-such-account`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers 404 for another tenant’s account, exactly like a missing one', async () => {
    const a = await workspace();
    const b = await workspace();
    const account = await createAccount(a.client, a.accounts, { name: 'Alpha Secret Customer' });
    const other = await b.client.get(`${b.accounts}/${account.id}`);
    const missing = await b.client.get(`${b.accounts}/no-such-account`);
    expect(other.status).toBe(404);
    expect(other.text).not.toContain('Alpha Secret Customer');
    const strip = ({ requestId: _r, ...rest }: Record<string, unknown>) => rest;
    expect(strip(other.body)).toEqual(strip(missing.body));
  });
});

describe('PATCH /api/t/:tenant/accounts/:accountId', () => {
  it('changes only the fields sent and moves the version on', async () => {
    const w = await workspace();
    const account = await createAccount(w.client, w.accounts, { city: 'Suzhou', phone: '0512 1234' });
    const response = await w.client.request('PATCH', `${w.accounts}/${account.id}`, { version: 1, city: 'Wuxi', phone: null });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: account.id, name: 'Hengda Machinery', city: 'Wuxi', phone: null, version: 2 });
  });

  it('answers 409 with the current record for a stale version', async () => {
    const w = await workspace();
    const account = await createAccount(w.client, w.accounts);
    await w.client.request('PATCH', `${w.accounts}/${account.id}`, { version: 1, name: 'Hengda Group' });
    const response = await w.client.request('PATCH', `${w.accounts}/${account.id}`, { version: 1, city: 'Wuxi' });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('stale_version');
    expect(response.body.current).toMatchObject({ id: account.id, name: 'Hengda Group', city: null, version: 2 });
  });

  it('answers 400 without a version or with an over-long name', async () => {
    const w = await workspace();
    const account = await createAccount(w.client, w.accounts);
    const response = await w.client.request('PATCH', `${w.accounts}/${account.id}`, { name: 'x'.repeat(201) });
    expect(response.status).toBe(400);
    expect(paths(response.body)).toEqual(['name', 'version']);
  });

  it('answers 400 when the new owner is not a member', async () => {
    const w = await workspace();
    const outsider = await signUp();
    const account = await createAccount(w.client, w.accounts);
    const response = await w.client.request('PATCH', `${w.accounts}/${account.id}`, { version: 1, ownerId: outsider.user.id });
    expect(response.status).toBe(400);
    expect(paths(response.body)).toEqual(['ownerId']);
  });

  it('answers 404 for an id that does not exist', async () => {
    const w = await workspace();
    const response = await w.client.request('PATCH', `${w.accounts}/no-such-account`, { version: 1, city: 'Wuxi' });
    expect(response.status).toBe(404);
  });

  it('answers 404 for another tenant’s account and leaves it unchanged', async () => {
    const a = await workspace();
    const b = await workspace();
    const account = await createAccount(a.client, a.accounts);
    const response = await b.client.request('PATCH', `${b.accounts}/${account.id}`, { version: 1, name: 'Taken Over', ownerId: b.user.id });
    expect(response.status).toBe(404);
    expect((await a.client.get(`${a.accounts}/${account.id}`)).body.account).toEqual(account);
  });

  it('refuses a viewer with 403', async () => {
    const w = await workspace();
    const viewer = await addMember(w.tenant.id, 'viewer');
    const account = await createAccount(w.client, w.accounts);
    const response = await viewer.client.request('PATCH', `${w.accounts}/${account.id}`, { version: 1, name: 'Renamed' });
    expect(response.status).toBe(403);
  });
});

describe('DELETE /api/t/:tenant/accounts/:accountId', () => {
  it('deletes the account with its contacts and answers 204', async () => {
    const w = await workspace();
    const account = await createAccount(w.client, w.accounts);
    const contact = (await w.client.post(w.contacts, { name: 'Anna Buyer', accountId: account.id })).body;
    const response = await w.client.request('DELETE', `${w.accounts}/${account.id}`);
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect((await w.client.get(`${w.accounts}/${account.id}`)).status).toBe(404);
    expect((await w.client.get(`${w.contacts}/${contact.id}`)).status).toBe(404);
  });

  it('unlinks the deleted contacts from other accounts’ opportunities', async () => {
    const w = await workspace({ sampleData: true });
    const opportunity = await env.DB.prepare(
      'select id, primary_contact_id as contactId from opportunities where tenant_id = ? and primary_contact_id is not null limit 1',
    )
      .bind(w.tenant.id)
      .first<{ id: string; contactId: string }>();
    // The opportunity's primary contact moves to a new account, which is then deleted.
    const moved = await createAccount(w.client, w.accounts, { name: 'Spin-off Ltd' });
    const contact = (await w.client.get(`${w.contacts}/${opportunity!.contactId}`)).body;
    expect((await w.client.request('PATCH', `${w.contacts}/${contact.id}`, { version: contact.version, accountId: moved.id })).status).toBe(200);
    expect((await w.client.request('DELETE', `${w.accounts}/${moved.id}`)).status).toBe(204);
    const after = await env.DB.prepare(
      `select primary_contact_id as contactId,
              (select count(*) from opportunity_contacts where tenant_id = ?1 and contact_id = ?3) as links
       from opportunities where tenant_id = ?1 and id = ?2`,
    )
      .bind(w.tenant.id, opportunity!.id, contact.id)
      .first<{ contactId: string | null; links: number }>();
    expect(after).toEqual({ contactId: null, links: 0 });
  });

  it('refuses with 409 while opportunities reference the account, saying how many', async () => {
    const w = await workspace({ sampleData: true });
    const sample = await sampleAccountWithOpportunities(w.tenant.id);
    const before = await w.client.get(`${w.accounts}/${sample.id}`);
    const response = await w.client.request('DELETE', `${w.accounts}/${sample.id}`);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'account_in_use', opportunityCount: sample.total });
    expect(response.body.detail).toContain(String(sample.total));
    expect((await w.client.get(`${w.accounts}/${sample.id}`)).body).toEqual(before.body);
  });

  it('answers 404 for an id that does not exist', async () => {
    const w = await workspace();
    expect((await w.client.request('DELETE', `${w.accounts}/no-such-account`)).status).toBe(404);
  });

  it('answers 404 for another tenant’s account and keeps it', async () => {
    const a = await workspace();
    const b = await workspace();
    const account = await createAccount(a.client, a.accounts);
    expect((await b.client.request('DELETE', `${b.accounts}/${account.id}`)).status).toBe(404);
    expect((await a.client.get(`${a.accounts}/${account.id}`)).status).toBe(200);
  });

  it('refuses a viewer with 403', async () => {
    const w = await workspace();
    const viewer = await addMember(w.tenant.id, 'viewer');
    const account = await createAccount(w.client, w.accounts);
    expect((await viewer.client.request('DELETE', `${w.accounts}/${account.id}`)).status).toBe(403);
    expect((await w.client.get(`${w.accounts}/${account.id}`)).status).toBe(200);
  });
});
