import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app';
import { createDatabase } from '../../db/client';
import { tenantRepos } from '../../worker/repos/tenant';
import { ApiClient, ORIGIN, addMember, signUp } from '../helpers/api';

type Client = ApiClient;

async function workspace(options: Parameters<typeof signUp>[0] = {}) {
  const owner = await signUp({ template: 'b2b-general', locale: 'en', ...options });
  const base = `/api/t/${owner.tenant.slug}`;
  const { pipelines } = (await owner.client.get(`${base}/pipelines`)).body;
  const pipeline = pipelines[0] as { id: string; stages: { id: string; name: string; kind: string; requiredFields: string[]; probability: number }[] };
  const catalog = await env.DB.prepare(
    `select (select id from lost_reasons where tenant_id = ?1 limit 1) as lostReasonId,
            (select id from opportunity_types where tenant_id = ?1 limit 1) as typeId,
            (select id from products where tenant_id = ?1 limit 1) as productId`,
  )
    .bind(owner.tenant.id)
    .first<{ lostReasonId: string; typeId: string; productId: string }>();
  const stage = (predicate: (s: (typeof pipeline.stages)[number]) => boolean) => pipeline.stages.find(predicate)!;
  return { ...owner, base, pipeline, catalog: catalog!, stage };
}

async function create(client: Client, base: string, body: Record<string, unknown> = {}) {
  const response = await client.post(`${base}/opportunities`, { title: 'Conveyor retrofit', accountName: 'Hengda Machinery', amount: 1_200_000, ...body });
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${response.text}`);
  return response.body;
}

const stageChangesOf = (id: string) =>
  env.DB.prepare('select from_stage_id as fromStageId, to_stage_id as toStageId, amount from stage_changes where opportunity_id = ? order by changed_at, rowid').bind(id).all<{ fromStageId: string | null; toStageId: string; amount: number | null }>();

describe('POST /opportunities', () => {
  it('creates an opportunity in the first open stage, with a new account by name, and answers 201', async () => {
    const w = await workspace();
    const response = await w.client.post(`${w.base}/opportunities`, { title: 'Packaging line', accountName: 'Suzhou Hengda', amount: 8_600_000 });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      title: 'Packaging line', accountName: 'Suzhou Hengda', amount: 8_600_000, status: 'open', version: 1,
      pipelineId: w.pipeline.id, stageId: w.pipeline.stages[0]!.id, ownerId: w.user.id, effectiveProbability: w.pipeline.stages[0]!.probability,
    });
    expect(response.body.accountId).toEqual(expect.any(String));
  });

  it('writes the first stage_changes row (entered its stage at creation)', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const { results } = await stageChangesOf(created.id);
    expect(results).toEqual([{ fromStageId: null, toStageId: created.stageId, amount: 1_200_000 }]);
  });

  it('puts a new card at the end of its column, or on top with at: "top"', async () => {
    const w = await workspace({ sampleData: false });
    const first = await create(w.client, w.base, { title: 'first' });
    await create(w.client, w.base, { title: 'second' });
    await create(w.client, w.base, { title: 'on top', at: 'top' });
    const board = await w.client.get(`${w.base}/pipelines/${w.pipeline.id}/board`);
    const column = board.body.columns.find((c: { stage: { id: string } }) => c.stage.id === first.stageId);
    expect(column.opportunities.map((o: { title: string }) => o.title)).toEqual(['on top', 'first', 'second']);
    expect((await w.client.post(`${w.base}/opportunities`, { title: 'x', at: 'middle' })).status).toBe(400);
  });

  it('lets the amount follow the product lines when no amount is given', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base, { amount: undefined, products: [{ productId: w.catalog.productId, quantity: 3, unitPrice: 50_000 }] });
    expect(created.amount).toBe(150_000);
    expect(created.products).toEqual([expect.objectContaining({ productId: w.catalog.productId, quantity: 3, unitPrice: 50_000 })]);
  });

  it('answers 400 with each invalid field', async () => {
    const w = await workspace();
    const response = await w.client.post(`${w.base}/opportunities`, { title: '', amount: -5, expectedCloseDate: '2026-02-30', probability: 120 });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['amount', 'expectedCloseDate', 'probability', 'title']);
  });

  it('refuses both an account id and a new account name', async () => {
    const w = await workspace();
    const response = await w.client.post(`${w.base}/opportunities`, { title: 'X', accountId: 'a', accountName: 'B' });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('accountName');
  });

  it('answers 400 naming a reference that does not exist in the workspace', async () => {
    const w = await workspace();
    const other = await workspace();
    const response = await w.client.post(`${w.base}/opportunities`, { title: 'X', typeId: other.catalog.typeId, ownerId: other.user.id });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['ownerId', 'typeId']);
  });

  it('answers 422 naming the fields a stage requires', async () => {
    const w = await workspace();
    const strict = w.stage((s) => s.kind === 'open' && s.requiredFields.includes('expectedCloseDate'));
    const response = await w.client.post(`${w.base}/opportunities`, { title: 'Needs a date', stageId: strict.id, amount: 100 });
    expect(response.status).toBe(422);
    expect(response.body.missingFields).toContain('expectedCloseDate');
    expect(response.body.stageId).toBe(strict.id);
  });

  it('refuses a viewer with 403', async () => {
    const w = await workspace();
    const viewer = await addMember(w.tenant.id, 'viewer');
    expect((await viewer.client.post(`${w.base}/opportunities`, { title: 'Nope' })).status).toBe(403);
  });

  it('lets a member create one', async () => {
    const w = await workspace();
    const member = await addMember(w.tenant.id, 'member');
    const created = await create(member.client, w.base);
    expect(created.ownerId).toBe(member.user.id);
  });
});

describe('GET/PATCH/DELETE /opportunities/:id', () => {
  it('reads one opportunity', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const response = await w.client.get(`${w.base}/opportunities/${created.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
  });

  it('answers 404 for an unknown id and for another tenant’s id alike', async () => {
    const a = await workspace();
    const b = await workspace();
    const created = await create(a.client, a.base);
    const unknown = await b.client.get(`${b.base}/opportunities/nope`);
    const foreign = await b.client.get(`${b.base}/opportunities/${created.id}`);
    expect([unknown.status, foreign.status]).toEqual([404, 404]);
    expect(foreign.text).not.toContain('Conveyor');
  });

  it('updates fields with the version read and bumps it', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const response = await w.client.request('PATCH', `${w.base}/opportunities/${created.id}`, { version: 1, title: 'Renamed', amount: 42, probability: 35 });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ title: 'Renamed', amount: 42, probability: 35, effectiveProbability: 35, version: 2 });
  });

  it('answers a stale version with 409 and the current record, changing nothing', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    await w.client.request('PATCH', `${w.base}/opportunities/${created.id}`, { version: 1, title: 'First writer' });
    const late = await w.client.request('PATCH', `${w.base}/opportunities/${created.id}`, { version: 1, title: 'Second writer', products: [{ productId: w.catalog.productId, quantity: 1 }] });
    expect(late.status).toBe(409);
    expect(late.body.current).toMatchObject({ title: 'First writer', version: 2, products: [] });
    expect((await w.client.get(`${w.base}/opportunities/${created.id}`)).body.products).toEqual([]);
  });

  it('deletes an opportunity and then answers 404', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    expect((await w.client.request('DELETE', `${w.base}/opportunities/${created.id}`)).status).toBe(204);
    expect((await w.client.get(`${w.base}/opportunities/${created.id}`)).status).toBe(404);
    expect((await stageChangesOf(created.id)).results).toEqual([]);
  });
});

describe('GET /opportunities', () => {
  it('filters by stage, owner and text, with totals over all matches', async () => {
    const w = await workspace({ sampleData: true });
    const stage = w.pipeline.stages[1]!;
    const response = await w.client.get(`${w.base}/opportunities?stageId=${stage.id}&limit=1`);
    const expected = await env.DB.prepare('select count(*) as n, coalesce(sum(amount), 0) as amount from opportunities where tenant_id = ? and stage_id = ?').bind(w.tenant.id, stage.id).first<{ n: number; amount: number }>();
    expect(response.body.totals).toMatchObject({ count: expected!.n, amount: expected!.amount });
    expect(response.body.opportunities).toHaveLength(Math.min(1, expected!.n));
    const mine = await w.client.get(`${w.base}/opportunities?ownerId=me&limit=200`);
    const ownCount = await env.DB.prepare('select count(*) as n from opportunities where tenant_id = ? and owner_id = ?').bind(w.tenant.id, w.user.id).first<{ n: number }>();
    expect(mine.body.totals.count).toBe(ownCount!.n);
    for (const o of mine.body.opportunities) expect(o.ownerId).toBe(w.user.id);
  });

  it('searches titles and account names, treating % and _ literally', async () => {
    const w = await workspace();
    await create(w.client, w.base, { title: 'Alpha 100% deal', accountName: 'Zeta Ltd' });
    await create(w.client, w.base, { title: 'Beta', accountName: 'Omega_Corp' });
    await create(w.client, w.base, { title: 'Gamma', accountName: 'Other' });
    const byTitle = await w.client.get(`${w.base}/opportunities?q=${encodeURIComponent('100%')}`);
    expect(byTitle.body.opportunities.map((o: { title: string }) => o.title)).toEqual(['Alpha 100% deal']);
    const byAccount = await w.client.get(`${w.base}/opportunities?q=${encodeURIComponent('omega_')}`);
    expect(byAccount.body.opportunities.map((o: { title: string }) => o.title)).toEqual(['Beta']);
  });

  it('pages through every match exactly once with the cursor, sorted by amount', async () => {
    const w = await workspace();
    for (const amount of [500, 100, null, 300, 100, 900, 700]) await create(w.client, w.base, { amount });
    const seen: (number | null)[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { opportunities: { amount: number | null }[]; nextCursor: string | null } } = await w.client.get(
        `${w.base}/opportunities?sort=amount&direction=desc&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.opportunities.map((o) => o.amount));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([900, 700, 500, 300, 100, 100, null]);
  });

  it('pages through Chinese titles with the cursor', async () => {
    const w = await workspace({ locale: 'zh-CN' });
    for (const title of ['苏州恒达', '北京华信', '上海宏远']) await create(w.client, w.base, { title });
    const first = await w.client.get(`${w.base}/opportunities?sort=title&direction=asc&limit=2`);
    expect(first.status).toBe(200);
    const second = await w.client.get(`${w.base}/opportunities?sort=title&direction=asc&limit=2&cursor=${first.body.nextCursor}`);
    expect([...first.body.opportunities, ...second.body.opportunities].map((o: { title: string }) => o.title).sort()).toEqual(['上海宏远', '北京华信', '苏州恒达']);
  });

  it('answers 400 for a cursor it did not issue', async () => {
    const w = await workspace();
    const response = await w.client.get(`${w.base}/opportunities?cursor=not-a-cursor`);
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('cursor');
  });
});

describe('POST /opportunities/:id/move', () => {
  it('moves to the next stage, bumps the version and writes the history row with the amount then', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const next = w.pipeline.stages[1]!;
    const response = await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: next.id, version: 1, expectedCloseDate: '2027-01-31' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ stageId: next.id, version: 2, status: 'open' });
    expect((await stageChangesOf(created.id)).results.at(-1)).toEqual({ fromStageId: created.stageId, toStageId: next.id, amount: 1_200_000 });
  });

  it('orders cards with before/after, rewriting only the moved card', async () => {
    const w = await workspace();
    const first = await create(w.client, w.base, { title: 'first' });
    const second = await create(w.client, w.base, { title: 'second' });
    const third = await create(w.client, w.base, { title: 'third' });
    const moved = await w.client.post(`${w.base}/opportunities/${third.id}/move`, { stageId: third.stageId, version: 1, beforeId: first.id });
    expect(moved.status).toBe(200);
    const board = await w.client.get(`${w.base}/pipelines/${w.pipeline.id}/board`);
    const column = board.body.columns.find((c: { stage: { id: string } }) => c.stage.id === first.stageId);
    expect(column.opportunities.map((o: { title: string }) => o.title)).toEqual(['third', 'first', 'second']);
    for (const untouched of [first, second]) expect((await w.client.get(`${w.base}/opportunities/${untouched.id}`)).body.version).toBe(1);
    const after = await w.client.post(`${w.base}/opportunities/${third.id}/move`, { stageId: third.stageId, version: 2, afterId: second.id });
    expect(after.status).toBe(200);
    const again = await w.client.get(`${w.base}/pipelines/${w.pipeline.id}/board`);
    expect(again.body.columns.find((c: { stage: { id: string } }) => c.stage.id === first.stageId).opportunities.map((o: { title: string }) => o.title)).toEqual(['first', 'second', 'third']);
  });

  it('answers a stale version with 409 and the current record', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: w.pipeline.stages[1]!.id, version: 1, expectedCloseDate: '2027-01-01' });
    const late = await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: w.pipeline.stages[2]!.id, version: 1 });
    expect(late.status).toBe(409);
    expect(late.body.current).toMatchObject({ id: created.id, stageId: w.pipeline.stages[1]!.id, version: 2 });
  });

  it('lets exactly one of concurrent moves at the same version through', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const target = w.pipeline.stages[1]!;
    const responses = await Promise.all(Array.from({ length: 6 }, () => w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: target.id, version: 1, expectedCloseDate: '2027-02-01' })));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect((await stageChangesOf(created.id)).results).toHaveLength(2);
  });

  it('answers 422 naming missing required fields, then accepts them with the retried move', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base, { amount: null });
    const strict = w.stage((s) => s.kind === 'open' && s.requiredFields.includes('amount'));
    const refused = await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: strict.id, version: 1 });
    expect(refused.status).toBe(422);
    expect(refused.body.missingFields).toEqual(expect.arrayContaining(['amount']));
    const fields = Object.fromEntries(refused.body.missingFields.map((f: string) => [f, f === 'amount' ? 500_000 : f === 'expectedCloseDate' ? '2027-03-01' : null]));
    const retried = await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: strict.id, version: 1, ...fields });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ stageId: strict.id, amount: 500_000 });
  });

  it('requires a lost reason to enter a lost stage, then closes the opportunity as lost', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const lost = w.stage((s) => s.kind === 'lost');
    const refused = await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: lost.id, version: 1 });
    expect(refused.status).toBe(422);
    expect(refused.body.missingFields).toEqual(['lostReasonId']);
    const moved = await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: lost.id, version: 1, lostReasonId: w.catalog.lostReasonId });
    expect(moved.body).toMatchObject({ status: 'lost', lostReasonId: w.catalog.lostReasonId, closedAt: expect.any(String) });
  });

  it('closes as won, and reopens when moved back out', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base, { expectedCloseDate: '2027-01-01', products: [{ productId: w.catalog.productId, quantity: 1 }], amount: 99 });
    const won = w.stage((s) => s.kind === 'won');
    const closed = await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: won.id, version: 1 });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'won', closedAt: expect.any(String) });
    const reopened = await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: w.pipeline.stages[0]!.id, version: 2 });
    expect(reopened.body).toMatchObject({ status: 'open', closedAt: null, lostReasonId: null });
  });

  it('leaves the opportunity unmoved when the history insert fails (one atomic batch)', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    // A D1 binding whose stage_changes inserts hit a missing table: the batch must roll back.
    const faulty = {
      ...env,
      DB: new Proxy(env.DB, {
        get(target, property) {
          if (property === 'prepare') return (query: string) => target.prepare(query.replace(/insert into "stage_changes"/, 'insert into "stage_changes_missing"'));
          const value = Reflect.get(target, property);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
    } as Env;
    const response = await createApp().request(
      `${ORIGIN}${w.base}/opportunities/${created.id}/move`,
      { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/json', cookie: w.client.cookie! }, body: JSON.stringify({ stageId: w.pipeline.stages[1]!.id, version: 1, expectedCloseDate: '2027-01-01' }) },
      faulty,
    );
    expect(response.status).toBe(500);
    const after = (await w.client.get(`${w.base}/opportunities/${created.id}`)).body;
    expect(after).toMatchObject({ stageId: created.stageId, version: 1, expectedCloseDate: null });
    expect((await stageChangesOf(created.id)).results).toHaveLength(1);
  });

  it('refuses a viewer with 403', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const viewer = await addMember(w.tenant.id, 'viewer');
    expect((await viewer.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: w.pipeline.stages[1]!.id, version: 1 })).status).toBe(403);
  });
});

describe('GET /opportunities/:id/history', () => {
  it('lists stage changes oldest first with the time spent in each', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: w.pipeline.stages[1]!.id, version: 1, expectedCloseDate: '2027-01-01' });
    const response = await w.client.get(`${w.base}/opportunities/${created.id}/history`);
    expect(response.status).toBe(200);
    const { history } = response.body;
    expect(history.map((h: { toStageName: string }) => h.toStageName)).toEqual([w.pipeline.stages[0]!.name, w.pipeline.stages[1]!.name]);
    expect(history[0].leftAt).toBe(history[1].changedAt);
    expect(history[0].durationMs).toBe(Date.parse(history[1].changedAt) - Date.parse(history[0].changedAt));
    expect(history[1].leftAt).toBeNull();
  });
});

describe('GET /pipelines/:pipelineId/board', () => {
  it('answers every column with count, amount and weighted amount equal to an independent count', async () => {
    const w = await workspace({ sampleData: true });
    const response = await w.client.get(`${w.base}/pipelines/${w.pipeline.id}/board`);
    expect(response.status).toBe(200);
    const { results } = await env.DB.prepare(
      `select s.id as stageId, count(o.id) as count, coalesce(sum(o.amount), 0) as amount,
              cast(round(coalesce(sum(o.amount * coalesce(o.probability_override, s.probability) / 100.0), 0)) as integer) as weightedAmount
       from stages s left join opportunities o on o.stage_id = s.id and o.tenant_id = s.tenant_id
       where s.tenant_id = ? and s.pipeline_id = ? group by s.id order by s.position`,
    )
      .bind(w.tenant.id, w.pipeline.id)
      .all();
    expect(response.body.columns.map((c: { stage: { id: string }; count: number; amount: number; weightedAmount: number }) => ({ stageId: c.stage.id, count: c.count, amount: c.amount, weightedAmount: c.weightedAmount }))).toEqual(results);
    expect(response.body.pipeline).toEqual({ id: w.pipeline.id, name: expect.any(String) });
  });

  it('applies the filters to the aggregates too', async () => {
    const w = await workspace({ sampleData: true });
    const response = await w.client.get(`${w.base}/pipelines/${w.pipeline.id}/board?ownerId=me&closeFrom=2000-01-01`);
    const { results } = await env.DB.prepare(
      `select stage_id as stageId, count(*) as count from opportunities where tenant_id = ? and pipeline_id = ? and owner_id = ? and expected_close_date >= '2000-01-01' group by stage_id`,
    )
      .bind(w.tenant.id, w.pipeline.id, w.user.id)
      .all<{ stageId: string; count: number }>();
    const expected = new Map(results.map((r) => [r.stageId, r.count]));
    for (const column of response.body.columns) expect(column.count).toBe(expected.get(column.stage.id) ?? 0);
  });

  it('gives each column its first page by position and a cursor for the rest', async () => {
    const w = await workspace();
    for (let i = 0; i < 5; i++) await create(w.client, w.base, { title: `card ${i}` });
    const board = await w.client.get(`${w.base}/pipelines/${w.pipeline.id}/board?limit=2`);
    const column = board.body.columns[0];
    expect(column.count).toBe(5);
    expect(column.opportunities.map((o: { title: string }) => o.title)).toEqual(['card 0', 'card 1']);
    const rest = await w.client.get(`${w.base}/opportunities?pipelineId=${w.pipeline.id}&stageId=${column.stage.id}&sort=position&direction=asc&limit=10&cursor=${column.nextCursor}`);
    expect(rest.body.opportunities.map((o: { title: string }) => o.title)).toEqual(['card 2', 'card 3', 'card 4']);
    expect(rest.body.nextCursor).toBeNull();
  });

  it('answers 404 for another tenant’s pipeline', async () => {
    const a = await workspace();
    const b = await workspace();
    expect((await b.client.get(`${b.base}/pipelines/${a.pipeline.id}/board`)).status).toBe(404);
  });
});

describe('follow-ups', () => {
  const plan = { kind: 'call', subject: 'Confirm budget', dueAt: '2030-01-02T09:00:00+08:00', expectedResult: 'Budget approved' };

  it('plans a follow-up and shows it as the opportunity’s next one', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const response = await w.client.post(`${w.base}/opportunities/${created.id}/activities`, plan);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ kind: 'call', state: 'planned', dueAt: '2030-01-02T01:00:00.000Z', doneAt: null });
    expect((await w.client.get(`${w.base}/opportunities/${created.id}`)).body.nextActivityAt).toBe('2030-01-02T01:00:00.000Z');
  });

  it('records a done follow-up with feedback as the last activity', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const record = { kind: 'wechat', subject: '发送报价', doneAt: '2026-11-20T10:00:00Z', outcome: 'Quote sent', feedback: '客户说价格偏高' };
    const response = await w.client.post(`${w.base}/opportunities/${created.id}/activities`, record);
    expect(response.body).toMatchObject({ state: 'done', feedback: '客户说价格偏高' });
    expect((await w.client.get(`${w.base}/opportunities/${created.id}`)).body).toMatchObject({ lastActivityAt: '2026-11-20T10:00:00.000Z', nextActivityAt: null });
  });

  it('completes a plan into a record and clears the next follow-up', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const planned = (await w.client.post(`${w.base}/opportunities/${created.id}/activities`, plan)).body;
    const done = await w.client.request('PATCH', `${w.base}/opportunities/${created.id}/activities/${planned.id}`, { version: 1, doneAt: '2030-01-02T02:00:00Z', outcome: 'Approved' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ state: 'done', outcome: 'Approved', version: 2 });
    expect((await w.client.get(`${w.base}/opportunities/${created.id}`)).body).toMatchObject({ nextActivityAt: null, lastActivityAt: '2030-01-02T02:00:00.000Z' });
  });

  it('answers 400 for a follow-up that is neither planned nor done', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const response = await w.client.post(`${w.base}/opportunities/${created.id}/activities`, { kind: 'fax', subject: '' });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['kind', 'subject']);
    const neither = await w.client.post(`${w.base}/opportunities/${created.id}/activities`, { kind: 'call', subject: 'x' });
    expect(neither.body.errors[0].path).toBe('dueAt');
  });

  it('answers a stale follow-up version with 409', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const planned = (await w.client.post(`${w.base}/opportunities/${created.id}/activities`, plan)).body;
    await w.client.request('PATCH', `${w.base}/opportunities/${created.id}/activities/${planned.id}`, { version: 1, subject: 'one' });
    const late = await w.client.request('PATCH', `${w.base}/opportunities/${created.id}/activities/${planned.id}`, { version: 1, subject: 'two' });
    expect(late.status).toBe(409);
    expect(late.body.current.subject).toBe('one');
  });

  it('leaves no orphan follow-up when the opportunity is deleted between the check and the insert', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    // The route's view of the world: the opportunity existed a moment ago; then a colleague deletes it.
    const repos = tenantRepos(createDatabase(env.DB), w.tenant.id);
    expect(await repos.opportunities.exists(created.id)).toBe(true);
    expect((await w.client.request('DELETE', `${w.base}/opportunities/${created.id}`)).status).toBe(204);
    const activity = await repos.activities.create(created.id, { kind: 'call', subject: 'Late call', doneAt: Date.now() }, { userId: w.user.id, now: Date.now() });
    expect(activity).toBeNull();
    const orphans = await env.DB.prepare('select count(*) as n from activities where opportunity_id = ?').bind(created.id).first<{ n: number }>();
    expect(orphans?.n).toBe(0);
    const late = await w.client.post(`${w.base}/opportunities/${created.id}/activities`, { kind: 'call', subject: 'Late call', doneAt: '2026-11-01T08:00:00Z' });
    expect(late.status).toBe(404);
  });

  it('lists plans before records and deletes one', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    await w.client.post(`${w.base}/opportunities/${created.id}/activities`, { kind: 'visit', subject: 'Site visit', doneAt: '2026-11-01T08:00:00Z' });
    const planned = (await w.client.post(`${w.base}/opportunities/${created.id}/activities`, plan)).body;
    const list = await w.client.get(`${w.base}/opportunities/${created.id}/activities`);
    expect(list.body.activities.map((a: { subject: string }) => a.subject)).toEqual(['Confirm budget', 'Site visit']);
    expect((await w.client.request('DELETE', `${w.base}/opportunities/${created.id}/activities/${planned.id}`)).status).toBe(204);
    expect((await w.client.get(`${w.base}/opportunities/${created.id}`)).body.nextActivityAt).toBeNull();
  });

  it('answers 404 for another tenant’s opportunity', async () => {
    const a = await workspace();
    const b = await workspace();
    const created = await create(a.client, a.base);
    expect((await b.client.post(`${b.base}/opportunities/${created.id}/activities`, plan)).status).toBe(404);
    expect((await b.client.get(`${b.base}/opportunities/${created.id}/activities`)).status).toBe(404);
  });
});

describe('edge cases', () => {
  it('refuses an amount beyond 100 billion, sent or computed from product lines', async () => {
    const w = await workspace();
    const huge = await w.client.post(`${w.base}/opportunities`, { title: 'Huge', amount: 10_000_000_000_001 });
    expect(huge.status).toBe(400);
    const lines = await w.client.post(`${w.base}/opportunities`, { title: 'Lines', products: [{ productId: w.catalog.productId, quantity: 900_000, unitPrice: 10_000_000_000_000 }] });
    expect(lines.status).toBe(400);
    expect(lines.body.errors[0].path).toBe('products');
    expect((await w.client.get(`${w.base}/pipelines/${w.pipeline.id}/board`)).status).toBe(200);
  });

  it('accepts 50 product lines and refuses 51 with a 400', async () => {
    const w = await workspace();
    const line = { productId: w.catalog.productId, quantity: 1, unitPrice: 100 };
    expect((await w.client.post(`${w.base}/opportunities`, { title: 'Fifty', products: Array(50).fill(line) })).status).toBe(201);
    expect((await w.client.post(`${w.base}/opportunities`, { title: 'Too many', products: Array(51).fill(line) })).status).toBe(400);
  });

  it('answers 400 to cursors of the wrong shape', async () => {
    const w = await workspace();
    for (const cursor of ['W10', 'WzFd', 'WyJ4Il0', 'WzEsMl0']) {
      const response = await w.client.get(`${w.base}/opportunities?sort=amount&cursor=${cursor}`);
      expect(response.status).toBe(400);
    }
  });

  it('gives every card created at once in one column its own position', async () => {
    const w = await workspace();
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => w.client.post(`${w.base}/opportunities`, { title: `burst ${i}` })));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(responses.map((r) => r.body.position)).size).toBe(8);
  });

  it('refuses a move to a stage of another pipeline', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const { pipelines } = (await w.client.get(`${w.base}/pipelines`)).body;
    const response = await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: pipelines[1].stages[0].id, version: 1 });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('stageId');
  });

  it('checks the stage’s required fields on a move within the same stage too', async () => {
    const w = await workspace();
    const strict = w.stage((s) => s.kind === 'open' && s.requiredFields.includes('amount'));
    const created = await create(w.client, w.base, { stageId: strict.id, amount: 5, expectedCloseDate: '2027-01-01' });
    const response = await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: strict.id, version: 1, amount: null });
    expect(response.status).toBe(422);
  });

  it('changes the lost reason of a lost opportunity', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const lost = w.stage((s) => s.kind === 'lost');
    await w.client.post(`${w.base}/opportunities/${created.id}/move`, { stageId: lost.id, version: 1, lostReasonId: w.catalog.lostReasonId });
    const other = await env.DB.prepare('select id from lost_reasons where tenant_id = ? and id != ? limit 1').bind(w.tenant.id, w.catalog.lostReasonId).first<{ id: string }>();
    const response = await w.client.request('PATCH', `${w.base}/opportunities/${created.id}`, { version: 2, lostReasonId: other!.id });
    expect(response.body.lostReasonId).toBe(other!.id);
  });

  it('refuses to make a follow-up neither planned nor done', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const planned = (await w.client.post(`${w.base}/opportunities/${created.id}/activities`, { kind: 'call', subject: 'x', dueAt: '2030-01-01T00:00:00Z' })).body;
    const response = await w.client.request('PATCH', `${w.base}/opportunities/${created.id}/activities/${planned.id}`, { version: 1, dueAt: null });
    expect(response.status).toBe(400);
  });

  it('refuses a viewer’s edits, deletions and follow-ups', async () => {
    const w = await workspace();
    const created = await create(w.client, w.base);
    const viewer = await addMember(w.tenant.id, 'viewer');
    expect((await viewer.client.request('PATCH', `${w.base}/opportunities/${created.id}`, { version: 1, title: 'x' })).status).toBe(403);
    expect((await viewer.client.request('DELETE', `${w.base}/opportunities/${created.id}`)).status).toBe(403);
    expect((await viewer.client.post(`${w.base}/opportunities/${created.id}/activities`, { kind: 'call', subject: 'x', doneAt: '2026-01-01T00:00:00Z' })).status).toBe(403);
  });
});

describe('when members see only their own opportunities', () => {
  async function restricted() {
    const w = await workspace();
    const ownersCard = await create(w.client, w.base, { title: 'Owner secret deal', amount: 700 });
    await env.DB.prepare('update tenants set members_see_own_only = 1 where id = ?').bind(w.tenant.id).run();
    const member = await addMember(w.tenant.id, 'member');
    const membersCard = await create(member.client, w.base, { title: 'Member deal', amount: 300 });
    return { ...w, member, ownersCard, membersCard };
  }

  it('lists, counts and boards only the member’s own', async () => {
    const r = await restricted();
    const list = await r.member.client.get(`${r.base}/opportunities`);
    expect(list.body.opportunities.map((o: { title: string }) => o.title)).toEqual(['Member deal']);
    expect(list.body.totals).toMatchObject({ count: 1, amount: 300 });
    const board = await r.member.client.get(`${r.base}/pipelines/${r.pipeline.id}/board`);
    expect(board.body.columns.reduce((n: number, c: { count: number }) => n + c.count, 0)).toBe(1);
    expect(board.text).not.toContain('Owner secret deal');
    const ownerView = await r.client.get(`${r.base}/opportunities`);
    expect(ownerView.body.totals.count).toBe(2);
  });

  it('hides another’s card from reads, writes, history, follow-ups and move anchors', async () => {
    const r = await restricted();
    const id = r.ownersCard.id;
    expect((await r.member.client.get(`${r.base}/opportunities/${id}`)).status).toBe(404);
    expect((await r.member.client.request('PATCH', `${r.base}/opportunities/${id}`, { version: 1, title: 'x' })).status).toBe(404);
    expect((await r.member.client.get(`${r.base}/opportunities/${id}/history`)).status).toBe(404);
    expect((await r.member.client.get(`${r.base}/opportunities/${id}/activities`)).status).toBe(404);
    const anchored = await r.member.client.post(`${r.base}/opportunities/${r.membersCard.id}/move`, { stageId: r.membersCard.stageId, version: 1, beforeId: id });
    expect(anchored.status).toBe(400);
  });

  it('answers a member who hands a card to someone else with the record', async () => {
    const r = await restricted();
    const response = await r.member.client.request('PATCH', `${r.base}/opportunities/${r.membersCard.id}`, { version: 1, ownerId: r.user.id });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: r.membersCard.id, ownerId: r.user.id });
  });
});
