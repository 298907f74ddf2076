// Exports: CSV of opportunities (list filters, "own only"), accounts, contacts and follow-ups;
// the workspace ZIP for admins. Files are read back the way a user's spreadsheet or our import would.
import { env } from 'cloudflare:workers';
import { SELF } from 'cloudflare:test';
import { unzipSync, strFromU8 } from 'fflate';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { EXPORT_COLUMNS, EXPORT_PAGE_SIZE } from '../../worker/repos/exports';
import { csvField, unguardCsvField } from '../../worker/services/export-files';
import { isTargetField, normalizeRows, parseCsv, suggestMapping } from '../../worker/services/import';
import { ORIGIN, addMember, signUp, type ApiClient } from '../helpers/api';

interface Download {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  text: string;
}

async function download(client: ApiClient, path: string): Promise<Download> {
  const response = await SELF.fetch(`${ORIGIN}${path}`, { headers: client.cookie ? { cookie: client.cookie } : {} });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes, text: utf8(bytes) };
}

/** The bytes as text, BOM kept (the default decoder would drop it). */
const utf8 = (bytes: Uint8Array) => new TextDecoder('utf-8', { ignoreBOM: true, fatal: false }).decode(bytes);

/** Rows of a CSV file as objects keyed by the header, guards taken off (as an importer would). */
function parse(text: string): Record<string, string>[] {
  expect(text.startsWith('\uFEFF')).toBe(true);
  const result = Papa.parse<Record<string, string>>(text.slice(1), { header: true, skipEmptyLines: true });
  expect(result.errors).toEqual([]);
  return result.data.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, unguardCsvField(v)])));
}

async function create(client: ApiClient, slug: string, body: Record<string, unknown>) {
  const response = await client.post(`/api/t/${slug}/opportunities`, body);
  if (response.status !== 201) throw new Error(`${response.status} ${response.text}`);
  return response.body as { id: string; stageId: string; pipelineId: string; accountId: string; createdAt: string; stageEnteredAt: string };
}

describe('GET /exports/opportunities.csv', () => {
  it('writes a UTF-8 CSV with a BOM, the import’s field names and every field of the opportunity', async () => {
    const o = await signUp({ workspaceName: 'Export Co', locale: 'zh-CN', template: 'b2b-general' });
    const base = `/api/t/${o.tenant.slug}`;
    const catalog = (await o.client.get(`${base}/catalog`)).body;
    const contact = (await o.client.post(`${base}/contacts`, { name: '王经理' })).body;
    const product = catalog.products[0];
    const deal = await create(o.client, o.tenant.slug, {
      title: '华东区 "年度" 采购, 第二期', accountName: '苏州精工', amount: 1_234_550, expectedCloseDate: '2027-03-31', probability: 35,
      typeId: catalog.opportunityTypes[0].id, sourceId: catalog.sources[0].id, primaryContactId: contact.id, needs: '需要\n两行说明',
      products: [{ productId: product.id, quantity: 1, unitPrice: 1_234_550 }],
    });
    const file = await download(o.client, `${base}/exports/opportunities.csv`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(file.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="jihui-${o.tenant.slug}-opportunities-\\d{4}-\\d{2}-\\d{2}\\.csv"$`));
    expect(file.headers.get('cache-control')).toBe('no-store');
    expect(file.text.split('\r\n')[0]).toBe(`\uFEFF${EXPORT_COLUMNS.opportunities.join(',')}`);
    const pipelines = (await o.client.get(`${base}/pipelines`)).body.pipelines;
    const stage = pipelines[0].stages.find((s: { id: string }) => s.id === deal.stageId);
    expect(parse(file.text)).toEqual([
      {
        externalId: deal.id, title: '华东区 "年度" 采购, 第二期', pipeline: pipelines[0].name, stage: stage.name, status: 'open', account: '苏州精工', contact: '王经理',
        owner: 'Test Owner', ownerEmail: o.email, type: catalog.opportunityTypes[0].name, source: catalog.sources[0].name, product: product.name,
        amount: '12345.50', currency: 'CNY', expectedCloseDate: '2027-03-31', probability: '35', createdAt: deal.createdAt, stageEnteredAt: deal.stageEnteredAt,
        closedAt: '', lostReason: '', needs: '需要\n两行说明', notes: '',
      },
    ]);
  });

  it('guards cells that a spreadsheet would run as formulas', async () => {
    const o = await signUp();
    await create(o.client, o.tenant.slug, { title: '=HYPERLINK("http://evil.example","click")', accountName: '-2+3+cmd|\' /C calc\'!A0' });
    const file = await download(o.client, `/api/t/${o.tenant.slug}/exports/opportunities.csv`);
    expect(file.text).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(file.text).toContain(`,'-2+3+cmd|' /C calc'!A0,`);
    expect(parse(file.text)[0]).toMatchObject({ title: '=HYPERLINK("http://evil.example","click")', account: "-2+3+cmd|' /C calc'!A0" });
    for (const [value, written] of [['@SUM(1+1)', "'@SUM(1+1)"], ['+A1', "'+A1"], ['-5% off', "'-5% off"], ['\tx', "'\tx"]] as const) expect(csvField(value)).toBe(written);
    // Phone numbers and signed numbers name no function or cell: written as they are.
    for (const value of ['+86 138 0000 0000', '+1 (206) 555-0139', '-12.5']) expect(csvField(value)).toBe(value);
    expect(csvField(-5)).toBe('-5');
  });

  it('applies the list’s filters: the file holds exactly what the list shows', async () => {
    const o = await signUp();
    const member = await addMember(o.tenant.id, 'member', 'Mia Member');
    const base = `/api/t/${o.tenant.slug}`;
    await create(o.client, o.tenant.slug, { title: 'Alpha pumps', amount: 100 });
    await create(o.client, o.tenant.slug, { title: 'Beta pumps', amount: 200, expectedCloseDate: '2027-01-15' });
    await create(o.client, o.tenant.slug, { title: 'Gamma valves', amount: 300, ownerId: member.user.id });
    for (const query of ['q=pumps', `ownerId=${member.user.id}`, 'ownerId=me', 'closeFrom=2027-01-01&closeTo=2027-01-31', 'q=nothing-matches']) {
      const list = await o.client.get(`${base}/opportunities?${query}&limit=200`);
      const file = await download(o.client, `${base}/exports/opportunities.csv?${query}`);
      expect(file.status, query).toBe(200);
      expect(parse(file.text).map((r) => r.title).sort(), query).toEqual(list.body.opportunities.map((x: { title: string }) => x.title).sort());
    }
  });

  it('gives members who see only their own opportunities only theirs, and their follow-ups', async () => {
    const o = await signUp();
    const member = await addMember(o.tenant.id, 'member', 'Mo Member');
    const viewer = await addMember(o.tenant.id, 'viewer', 'Vi Viewer');
    const base = `/api/t/${o.tenant.slug}`;
    const secret = await create(o.client, o.tenant.slug, { title: 'Secret owner deal', amount: 9000 });
    await o.client.post(`${base}/opportunities/${secret.id}/activities`, { kind: 'call', subject: 'Secret call', dueAt: '2030-01-01T09:00:00Z' });
    const mine = await create(member.client, o.tenant.slug, { title: 'Mo deal', amount: 10 });
    await member.client.post(`${base}/opportunities/${mine.id}/activities`, { kind: 'visit', subject: 'Mo visit', doneAt: '2026-11-01T09:00:00Z', outcome: 'Good' });
    await env.DB.prepare('update tenants set members_see_own_only = 1 where id = ?').bind(o.tenant.id).run();

    const memberFile = await download(member.client, `${base}/exports/opportunities.csv`);
    expect(parse(memberFile.text).map((r) => r.title)).toEqual(['Mo deal']);
    expect(memberFile.text).not.toContain('Secret');
    // Asking for someone else's opportunities by filter does not get around it.
    expect(parse((await download(member.client, `${base}/exports/opportunities.csv?ownerId=${o.user.id}`)).text)).toEqual([]);
    const memberActivities = await download(member.client, `${base}/exports/activities.csv`);
    expect(parse(memberActivities.text).map((r) => [r.subject, r.opportunity, r.state, r.outcome])).toEqual([['Mo visit', 'Mo deal', 'done', 'Good']]);
    expect(parse((await download(viewer.client, `${base}/exports/opportunities.csv`)).text)).toEqual([]);

    const ownerFile = await download(o.client, `${base}/exports/opportunities.csv`);
    expect(parse(ownerFile.text).map((r) => r.title).sort()).toEqual(['Mo deal', 'Secret owner deal']);
    expect(parse((await download(o.client, `${base}/exports/activities.csv`)).text).map((r) => r.subject).sort()).toEqual(['Mo visit', 'Secret call']);
  });

  it('pages through more rows than one page, each row once, oldest first', async () => {
    const o = await signUp({ template: 'blank' });
    const base = `/api/t/${o.tenant.slug}`;
    const first = await create(o.client, o.tenant.slug, { title: 'Seed deal' });
    const total = EXPORT_PAGE_SIZE * 2 + 37;
    // Set-based seeding: one statement, creation times one second apart.
    await env.DB.prepare(
      `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)
       insert into opportunities (id, tenant_id, pipeline_id, stage_id, title, owner_id, amount, status, position, version, stage_entered_at, created_by, created_at, updated_at)
       select printf('bulk%05d', i), ?, ?, ?, printf('Bulk deal %05d', i), ?, i * 100, 'open', printf('b%05d', i), 1, 1700000000000 + i * 1000, ?, 1700000000000 + i * 1000, 1700000000000 + i * 1000 from n`,
    ).bind(total - 1, o.tenant.id, first.pipelineId, first.stageId, o.user.id, o.user.id).run();
    const rows = parse((await download(o.client, `${base}/exports/opportunities.csv`)).text);
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((r) => r.externalId)).size).toBe(total);
    expect(rows.slice(0, 3).map((r) => r.title)).toEqual(['Bulk deal 00001', 'Bulk deal 00002', 'Bulk deal 00003']);
    expect(rows.at(-1)!.title).toBe('Seed deal');
    expect(rows[99]!.amount).toBe('100.00');
  });

  it('round-trips: parsing the file back gives the same records as the API', async () => {
    const o = await signUp({ template: 'b2b-general', sampleData: true });
    const base = `/api/t/${o.tenant.slug}`;
    const rows = parse((await download(o.client, `${base}/exports/opportunities.csv`)).text);
    const records: { id: string; title: string; amount: number | null; expectedCloseDate: string | null; status: string; ownerName: string; createdAt: string; closedAt: string | null; needs: string | null }[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { opportunities: typeof records; nextCursor: string | null } } = await o.client.get(`${base}/opportunities?limit=200&sort=createdAt&direction=asc${cursor ? `&cursor=${cursor}` : ''}`);
      records.push(...page.body.opportunities);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(rows.length).toBeGreaterThan(10);
    const byId = new Map(rows.map((r) => [r.externalId, r]));
    expect([...byId.keys()].sort()).toEqual(records.map((r) => r.id).sort());
    for (const record of records) {
      const row = byId.get(record.id)!;
      expect({
        title: row.title, amount: row.amount === '' ? null : Math.round(Number(row.amount) * 100), expectedCloseDate: row.expectedCloseDate || null, status: row.status,
        owner: row.owner, createdAt: row.createdAt, closedAt: row.closedAt || null, needs: row.needs || null,
      }).toEqual({
        title: record.title, amount: record.amount, expectedCloseDate: record.expectedCloseDate, status: record.status, owner: record.ownerName,
        createdAt: record.createdAt, closedAt: record.closedAt, needs: record.needs,
      });
    }
  });

  it('reads back through the import’s own parser: every field mapped by name, no issues, the same values', async () => {
    const o = await signUp({ template: 'b2b-general', sampleData: true });
    const base = `/api/t/${o.tenant.slug}`;
    const file = await download(o.client, `${base}/exports/opportunities.csv`);
    const csv = parseCsv(file.bytes);
    expect({ encoding: csv.encoding, bom: csv.bom, delimiter: csv.delimiter }).toEqual({ encoding: 'utf-8', bom: true, delimiter: ',' });
    const { mapping, preset } = suggestMapping(csv.headers, 'opportunities');
    expect(preset).toBeNull();
    // Every column the import knows maps to the field of the same name; the rest are extras it ignores.
    for (const header of csv.headers) expect(mapping[header], header).toBe(isTargetField('opportunities', header) ? header : null);
    expect(Object.values(mapping).filter(Boolean)).toHaveLength(19);
    const { rows } = normalizeRows(csv, 'opportunities', mapping);
    expect(rows.flatMap((r) => r.issues)).toEqual([]);
    const pipelines = (await o.client.get(`${base}/pipelines`)).body.pipelines as { name: string; stages: { id: string; name: string }[] }[];
    const stageName = new Map(pipelines.flatMap((p) => p.stages.map((st) => [st.id, st.name] as const)));
    const records: { id: string; title: string; amount: number | null; status: string; stageId: string; ownerName: string; accountName: string | null; expectedCloseDate: string | null }[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { opportunities: typeof records; nextCursor: string | null } } = await o.client.get(`${base}/opportunities?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      records.push(...page.body.opportunities);
      cursor = page.body.nextCursor;
    } while (cursor);
    const byId = new Map(rows.map((r) => [r.values.externalId, r.values]));
    expect(byId.size).toBe(records.length);
    for (const record of records) {
      const values = byId.get(record.id)!;
      expect({ title: values.title, amount: values.amount ?? null, status: values.status, stage: values.stage, owner: values.owner, account: values.account ?? null, expectedCloseDate: values.expectedCloseDate ?? null }).toEqual({
        title: record.title, amount: record.amount, status: record.status, stage: stageName.get(record.stageId), owner: record.ownerName, account: record.accountName, expectedCloseDate: record.expectedCloseDate,
      });
    }
  });

  it('refuses a bad filter with 400 problem+json', async () => {
    const o = await signUp();
    const file = await download(o.client, `/api/t/${o.tenant.slug}/exports/opportunities.csv?status=maybe`);
    expect(file.status).toBe(400);
    expect(file.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('accounts, contacts and follow-ups CSV', () => {
  it('exports accounts and contacts with the import’s field names', async () => {
    const o = await signUp({ template: 'blank' });
    const base = `/api/t/${o.tenant.slug}`;
    const account = (await o.client.post(`${base}/accounts`, { name: 'Zeta Works', city: 'Ningbo', phone: '+86 574 1234', ownerId: o.user.id })).body;
    await o.client.post(`${base}/accounts`, { name: 'Alpha Mills' });
    const contact = (await o.client.post(`${base}/contacts`, { name: 'Li Lei', accountId: account.id, title: 'Buyer', email: 'li@example.com', isKey: true })).body;
    const accounts = parse((await download(o.client, `${base}/exports/accounts.csv`)).text);
    expect(accounts.map((a) => a.name)).toEqual(['Alpha Mills', 'Zeta Works']);
    expect(accounts[1]).toEqual({
      externalId: account.id, name: 'Zeta Works', industry: '', city: 'Ningbo', phone: '+86 574 1234', website: '', owner: 'Test Owner', ownerEmail: o.email, notes: '', createdAt: account.createdAt,
    });
    const contacts = parse((await download(o.client, `${base}/exports/contacts.csv`)).text);
    expect(contacts).toEqual([
      { externalId: contact.id, name: 'Li Lei', account: 'Zeta Works', accountExternalId: account.id, jobTitle: 'Buyer', phone: '', email: 'li@example.com', wechat: '', isKey: 'true', createdAt: contact.createdAt },
    ]);
  });

  it('is open to viewers (reading) and answers 404 to another tenant', async () => {
    const o = await signUp();
    const viewer = await addMember(o.tenant.id, 'viewer');
    const other = await signUp();
    for (const entity of ['opportunities', 'accounts', 'contacts', 'activities']) {
      expect((await download(viewer.client, `/api/t/${o.tenant.slug}/exports/${entity}.csv`)).status).toBe(200);
      const foreign = await download(other.client, `/api/t/${o.tenant.slug}/exports/${entity}.csv`);
      expect(foreign.status).toBe(404);
    }
  });
});

describe('GET /exports/workspace.zip', () => {
  it('zips workspace.json and the four CSV files for an admin', async () => {
    const o = await signUp({ template: 'b2b-general', sampleData: true, workspaceName: 'Zip Co' });
    const base = `/api/t/${o.tenant.slug}`;
    const file = await download(o.client, `${base}/exports/workspace.zip`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(file.bytes);
    expect(Object.keys(files).sort()).toEqual(['accounts.csv', 'activities.csv', 'contacts.csv', 'opportunities.csv', 'workspace.json']);
    const workspace = JSON.parse(strFromU8(files['workspace.json']!));
    expect(workspace).toMatchObject({ format: 'jihui-workspace', version: 1, settings: { name: 'Zip Co', slug: o.tenant.slug } });
    const pipelines = (await o.client.get(`${base}/pipelines`)).body.pipelines;
    expect(workspace.pipelines.map((p: { id: string }) => p.id)).toEqual(pipelines.map((p: { id: string }) => p.id));
    expect(workspace.pipelines[0].stages.map((s: { id: string }) => s.id)).toEqual(pipelines[0].stages.map((s: { id: string }) => s.id));
    expect(workspace.members.map((m: { email: string }) => m.email)).toContain(o.email);
    expect(workspace.catalogs.products.length).toBeGreaterThan(0);
    // The CSVs inside are the same files as the single exports.
    for (const entity of ['opportunities', 'accounts', 'contacts', 'activities']) {
      const single = await download(o.client, `${base}/exports/${entity}.csv`);
      expect(parse(utf8(files[`${entity}.csv`]!)), entity).toEqual(parse(single.text));
    }
    expect(parse(utf8(files['opportunities.csv']!)).length).toBe(pipelines.flatMap((p: { stages: { count: number }[] }) => p.stages).reduce((n: number, s: { count: number }) => n + s.count, 0));
  });

  it('is for owners and admins only', async () => {
    const o = await signUp();
    const admin = await addMember(o.tenant.id, 'admin');
    const member = await addMember(o.tenant.id, 'member');
    const viewer = await addMember(o.tenant.id, 'viewer');
    const url = `/api/t/${o.tenant.slug}/exports/workspace.zip`;
    expect((await download(admin.client, url)).status).toBe(200);
    for (const person of [member, viewer]) {
      const refused = await download(person.client, url);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
    }
  });
});
