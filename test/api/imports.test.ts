// The import routes through the real Worker: upload + dry run, previews, commit through the queue,
// encodings, delimiters and date formats end to end, the error CSV, limits, bad input and roles.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { addMember, signUp } from '../helpers/api';
import { gbk } from '../helpers/gbk';
import { importFile, importForm, upload, waitForImport } from '../helpers/imports';


async function opportunitiesOf(client: Awaited<ReturnType<typeof signUp>>['client'], slug: string) {
  const response = await client.get(`/api/t/${slug}/opportunities?limit=200`);
  expect(response.status).toBe(200);
  return response.body.opportunities as { id: string; title: string; status: string; amount: number | null; stageId: string; createdAt: string; ownerId: string; accountName?: string | null }[];
}

const DEALS = [
  '\uFEFFExternal ID,Deal Name,Company,Stage,Amount,Created,Closed Date',
  'D-1,Alpha deal,Alpha Co,Won,"¥12,000.50",2025-01-10,2025-03-01',
  'D-2,Beta deal,Beta Co,Lost,500,2025-02-01,2025-02-20',
  'D-3,Gamma deal,Alpha Co,Qualifed,$1 000,2025-03-05,',
  'D-4,,No title Co,Won,10,2025-01-01,2025-01-02',
  'D-5,Delta deal,,,not money,not a date,',
].join('\r\n');

describe('POST /imports (dry run)', () => {
  it('suggests the mapping, matches values and previews what would happen, writing nothing', async () => {
    const { client, tenant } = await signUp();
    const response = await upload(client, tenant.slug, DEALS);
    expect(response.status).toBe(201);
    const body = response.body;
    expect(body).toMatchObject({ entity: 'opportunities', status: 'preview', fileName: 'deals.csv', encoding: 'utf-8', delimiter: ',', counts: null });
    expect(body.mapping).toMatchObject({ 'External ID': 'externalId', 'Deal Name': 'title', Company: 'account', Stage: 'stage', Amount: 'amount', Created: 'createdAt', 'Closed Date': 'closedAt' });
    expect(body.headers).toEqual(['External ID', 'Deal Name', 'Company', 'Stage', 'Amount', 'Created', 'Closed Date']);
    expect(body.sample[0]).toEqual(['D-1', 'Alpha deal', 'Alpha Co', 'Won', '¥12,000.50', '2025-01-10', '2025-03-01']);
    expect(body.preview).toEqual({ rows: 5, create: 4, update: 0, skip: 1, errors: 1, warnings: 1 });
    const stages = body.values.stage as { value: string; match: { how: string; name: string } | null }[];
    expect(stages.find((v) => v.value === 'Won')!.match).toMatchObject({ how: 'exact' });
    expect(stages.find((v) => v.value === 'Qualifed')!.match).toMatchObject({ how: 'near', name: 'Qualified' });
    const missingTitle = body.issues.find((i: { code: string }) => i.code === 'required');
    expect(missingTitle).toMatchObject({ rowNumber: 5, column: 'Deal Name', severity: 'error' });
    expect(body.issues.filter((i: { rowNumber: number }) => i.rowNumber === 6).map((i: { code: string }) => i.code).sort()).toEqual(['invalid_amount', 'invalid_date']);
    // Nothing but the import was written.
    expect(await opportunitiesOf(client, tenant.slug)).toHaveLength(0);
    const again = await client.get(`/api/t/${tenant.slug}/imports/${body.id}`);
    expect(again.body.preview).toEqual(body.preview);
    const list = await client.get(`/api/t/${tenant.slug}/imports`);
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([body.id]);
  });

  it('reads GBK files from Chinese Excel with Chinese headers, and maps 赢单 to the won stage', async () => {
    const { client, tenant } = await signUp({ locale: 'zh-CN' });
    const file = gbk('商机名称,客户,金额,阶段\r\nP1,华为,100,赢单\r\n');
    const response = await upload(client, tenant.slug, file);
    expect(response.status).toBe(201);
    expect(response.body.encoding).toBe('gb18030');
    expect(response.body.mapping).toMatchObject({ 商机名称: 'title', 客户: 'account', 金额: 'amount', 阶段: 'stage' });
    expect(response.body.values.stage[0]).toMatchObject({ value: '赢单', match: { how: 'exact' } });
    expect(response.body.sample[0]).toEqual(['P1', '华为', '100', '赢单']);
  });

  it.each([
    ['semicolon', ';', 'Name;Amount\r\nA;1,5\r\n'],
    ['tab', '\t', 'Name\tAmount\r\nA\t1.5\r\n'],
  ])('detects %s-separated files', async (_name, delimiter, file) => {
    const { client, tenant } = await signUp();
    const response = await upload(client, tenant.slug, file, { mapping: { Name: 'title', Amount: 'amount' } });
    expect(response.status).toBe(201);
    expect(response.body.delimiter).toBe(delimiter);
    expect(response.body.preview).toMatchObject({ rows: 1, create: 1, skip: 0 });
  });

  it('re-runs the dry run on the stored file with a changed mapping', async () => {
    const { client, tenant } = await signUp();
    const first = await upload(client, tenant.slug, DEALS);
    const second = await client.post(`/api/t/${tenant.slug}/imports/${first.body.id}/preview`, { mapping: { Company: '' }, valueMap: { stage: { Qualifed: 'create' } } });
    expect(second.status).toBe(200);
    expect(second.body.mapping.Company).toBe('');
    expect(second.body.values.stage.find((v: { value: string }) => v.value === 'Qualifed')).toMatchObject({ action: 'create' });
  });

  it('answers 400 for a bad entity, a missing file, a mapping to an unknown field and unreadable JSON', async () => {
    const { client, tenant } = await signUp();
    const bad = await upload(client, tenant.slug, DEALS, { entity: 'invoices' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.errors[0].path).toContain('entity');
    const form = importForm(DEALS);
    form.delete('file');
    expect((await client.post(`/api/t/${tenant.slug}/imports`, form)).status).toBe(400);
    const wrongField = await upload(client, tenant.slug, DEALS, { mapping: { Company: 'shoeSize' } });
    expect(wrongField.status).toBe(400);
    expect(wrongField.body.errors[0].path).toBe('mapping.Company');
    const badJson = importForm(DEALS);
    badJson.set('valueMap', '{not json');
    expect((await client.post(`/api/t/${tenant.slug}/imports`, badJson)).status).toBe(400);
    const empty = await upload(client, tenant.slug, '');
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('file_empty');
  });

  it('answers 413 for a file over 16 MB', async () => {
    const { client, tenant } = await signUp();
    const big = new Uint8Array(16 * 1024 * 1024 + 10).fill(0x61);
    const response = await upload(client, tenant.slug, big);
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('is for owners and admins: members and viewers get 403', async () => {
    const { client, tenant } = await signUp();
    const member = await addMember(tenant.id, 'member');
    const viewer = await addMember(tenant.id, 'viewer');
    const admin = await addMember(tenant.id, 'admin');
    expect((await upload(member.client, tenant.slug, DEALS)).status).toBe(403);
    expect((await upload(viewer.client, tenant.slug, DEALS)).status).toBe(403);
    expect((await upload(admin.client, tenant.slug, DEALS)).status).toBe(201);
    expect((await member.client.get(`/api/t/${tenant.slug}/imports`)).status).toBe(403);
    expect((await client.get(`/api/t/${tenant.slug}/imports`)).status).toBe(200);
  });
});

describe('commit', () => {
  it('imports through the queue: every row accounted for, history and amounts right, the error CSV lists the rest', async () => {
    const { client, tenant } = await signUp();
    const { preview, result } = await importFile(client, tenant.slug, DEALS);
    expect(result.status).toBe('done');
    expect(result.counts).toEqual({ rows: 5, created: 4, updated: 0, skipped: 1, failed: 0 });
    expect(result.progress).toEqual({ done: 4, total: 4 });
    const opps = await opportunitiesOf(client, tenant.slug);
    expect(opps.map((o) => o.title).sort()).toEqual(['Alpha deal', 'Beta deal', 'Delta deal', 'Gamma deal']);
    const alpha = opps.find((o) => o.title === 'Alpha deal')!;
    expect(alpha).toMatchObject({ status: 'won', amount: 1_200_050 });
    expect(alpha.createdAt.slice(0, 10)).toBe('2025-01-10');
    const history = await client.get(`/api/t/${tenant.slug}/opportunities/${alpha.id}/history`);
    expect(history.status).toBe(200);
    // Rows missing optional fields are kept.
    expect(opps.find((o) => o.title === 'Delta deal')).toMatchObject({ status: 'open', amount: null });
    // Alpha Co is one account for two deals.
    const accounts = await client.get(`/api/t/${tenant.slug}/accounts?limit=50`);
    expect(accounts.body.accounts.filter((a: { name: string }) => a.name === 'Alpha Co')).toHaveLength(1);

    const errors = await client.get(`/api/t/${tenant.slug}/imports/${preview.id}/errors.csv`);
    expect(errors.status).toBe(200);
    expect(errors.headers.get('content-type')).toContain('text/csv');
    const lines = errors.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('External ID,Deal Name,Company,Stage,Amount,Created,Closed Date,row,error,warnings');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('D-4');
    expect(lines[1]).toContain('title is missing');
    expect(lines[2]).toContain('D-5');

    // Commit twice: 409.
    expect((await client.post(`/api/t/${tenant.slug}/imports/${preview.id}/commit`, {})).status).toBe(409);
    // The audit log names the import.
    const audit = await client.get(`/api/t/${tenant.slug}/audit?entityType=import`);
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toContain('import');
  });

  it.each([
    ['D/M/YY', '5/3/24'],
    ['M/D/YYYY', '3/5/2024'],
    ['YYYY年M月D日', '2024年3月5日'],
    ['excel-serial', '45356'],
    ['iso', '2024-03-05'],
  ])('reads %s dates end to end', async (format, value) => {
    const { client, tenant } = await signUp();
    const { result } = await importFile(client, tenant.slug, `Title,Created\r\nDeal,${value}\r\n`, { mapping: { Title: 'title', Created: 'createdAt' }, dateFormats: { Created: format } });
    expect(result.counts).toMatchObject({ created: 1, skipped: 0 });
    const [opp] = await opportunitiesOf(client, tenant.slug);
    expect(opp!.createdAt.slice(0, 10)).toBe('2024-03-05');
  });

  it('creates pending members for owners asked to be created, listed with pending: true', async () => {
    const { client, tenant, user, email } = await signUp({ name: 'Zhao Min' });
    const { preview, result } = await importFile(client, tenant.slug, `Title,Owner\r\nA,Wang Fang\r\nB,Wang Fang\r\nC,Nobody Known\r\nD,zhao min\r\nE,${email}\r\n`, {
      mapping: { Title: 'title', Owner: 'owner' },
      valueMap: { owner: { 'Wang Fang': 'create' } },
    });
    expect(result.counts).toMatchObject({ created: 5 });
    // Members match by name or e-mail; an unknown name without "create" goes to the importing user, with a warning.
    expect(preview.issues).toEqual([expect.objectContaining({ rowNumber: 4, code: 'unknown_owner', value: 'Nobody Known' })]);
    const owners = new Map((await opportunitiesOf(client, tenant.slug)).map((o) => [o.title, o.ownerId]));
    expect([owners.get('C'), owners.get('D'), owners.get('E')]).toEqual([user.id, user.id, user.id]);
    const members = await client.get(`/api/t/${tenant.slug}/members`);
    const pending = members.body.members.filter((m: { pending: boolean }) => m.pending);
    expect(pending.map((m: { name: string }) => m.name)).toEqual(['Wang Fang']);
    const opps = await opportunitiesOf(client, tenant.slug);
    expect(opps.filter((o) => o.ownerId === pending[0].id).map((o) => o.title).sort()).toEqual(['A', 'B']);
    // Undo removes the pending member with the opportunities.
    await client.request('DELETE', `/api/t/${tenant.slug}/imports/${result.id}`);
    await waitForImport(client, tenant.slug, result.id, ['undone']);
    const after = await client.get(`/api/t/${tenant.slug}/members`);
    expect(after.body.members.filter((m: { pending: boolean }) => m.pending)).toEqual([]);
  });

  it('re-importing our own export updates those rows instead of adding new ones', async () => {
    const { client, tenant } = await signUp();
    await importFile(client, tenant.slug, DEALS);
    const before = await opportunitiesOf(client, tenant.slug);
    const exported = await client.get(`/api/t/${tenant.slug}/exports/opportunities.csv`);
    expect(exported.status).toBe(200);
    // Gamma is renamed and moved from Qualified to Won in the exported file.
    const edited = exported.text
      .split('\r\n')
      .map((line) => (line.includes('Gamma deal') ? line.replace('Gamma deal', 'Gamma deal (renamed)').replace(',Qualified,open,', ',Won,won,') : line))
      .join('\r\n');
    expect(edited).toContain(',Won,won,');
    const { result } = await importFile(client, tenant.slug, edited, { fileName: 'opportunities.csv' });
    expect(result.counts).toMatchObject({ rows: 4, created: 0, updated: 4, skipped: 0 });
    const after = await opportunitiesOf(client, tenant.slug);
    expect(after).toHaveLength(before.length);
    const gamma = after.find((o) => o.title === 'Gamma deal (renamed)')!;
    expect(gamma.status).toBe('won');
    const history = (await client.get(`/api/t/${tenant.slug}/opportunities/${gamma.id}/history`)).body.history as { toStageName: string; changedAt: string }[];
    expect(history.at(-1)!.toStageName).toBe('Won');
    // The move comes after the card's earlier history, even though the file's dates are older.
    const times = history.map((h) => Date.parse(h.changedAt));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(times.at(-1)!).toBeGreaterThan(times.at(-2)!);
  });

  it('imports accounts and then contacts linked to them by name, and updates accounts by external id', async () => {
    const { client, tenant } = await signUp();
    const base = `/api/t/${tenant.slug}`;
    const accounts = await importFile(client, tenant.slug, 'ID,Company Name,Industry,City\r\nA-1,Huawei Tech,Telecom,Shenzhen\r\nA-2,Acme GmbH,,Berlin\r\n', {
      entity: 'accounts', mapping: { ID: 'externalId', 'Company Name': 'name', Industry: 'industry', City: 'city' },
    });
    expect(accounts.result.counts).toMatchObject({ rows: 2, created: 2, updated: 0 });
    const contacts = await importFile(client, tenant.slug, 'Name,Company,Email,Key contact\r\nLi Na,Huawei Tech,li@example.com,yes\r\nBob,New Buyer Ltd,bob@example,no\r\n', {
      entity: 'contacts', mapping: { Name: 'name', Company: 'account', Email: 'email', 'Key contact': 'isKey' },
    });
    expect(contacts.result.counts).toMatchObject({ rows: 2, created: 2 });
    // Bob's e-mail is not one: a warning, the contact kept without it.
    expect(contacts.preview.issues).toEqual([expect.objectContaining({ rowNumber: 3, code: 'invalid_email', severity: 'warning' })]);
    const accountIds = new Map(((await client.get(`${base}/accounts?limit=50`)).body.accounts as { id: string; name: string }[]).map((a) => [a.name, a.id]));
    const list = (await client.get(`${base}/contacts?limit=50`)).body.contacts as { name: string; accountId: string | null; email: string | null; isKey: boolean }[];
    expect(list.find((c) => c.name === 'Li Na')).toMatchObject({ accountId: accountIds.get('Huawei Tech'), email: 'li@example.com', isKey: true });
    expect(list.find((c) => c.name === 'Bob')).toMatchObject({ accountId: accountIds.get('New Buyer Ltd'), email: null, isKey: false });
    // Same ids again with a new city: updated, the industry the file leaves empty kept.
    const again = await importFile(client, tenant.slug, 'ID,Company Name,Industry,City\r\nA-1,Huawei Tech,,Dongguan\r\n', {
      entity: 'accounts', mapping: { ID: 'externalId', 'Company Name': 'name', Industry: 'industry', City: 'city' },
    });
    expect(again.result.counts).toMatchObject({ created: 0, updated: 1 });
    const all = (await client.get(`${base}/accounts?limit=50`)).body.accounts as { name: string; city: string | null; industry: string | null }[];
    expect(all.filter((a) => a.name === 'Huawei Tech')).toEqual([expect.objectContaining({ city: 'Dongguan', industry: 'Telecom' })]);
  });

  it('keeps each tenant’s import to itself (ids of another tenant answer 404)', async () => {
    const a = await signUp();
    const b = await signUp();
    const preview = await upload(a.client, a.tenant.slug, DEALS);
    expect((await b.client.get(`/api/t/${b.tenant.slug}/imports/${preview.body.id}`)).status).toBe(404);
    expect((await b.client.post(`/api/t/${b.tenant.slug}/imports/${preview.body.id}/commit`, {})).status).toBe(404);
    const count = await env.DB.prepare('select count(*) as n from imports where tenant_id = ?').bind(b.tenant.id).first<{ n: number }>();
    expect(count!.n).toBe(0);
  });
});
