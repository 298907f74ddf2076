import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../db/client';
import { tenantRepos } from '../../worker/repos/tenant';
import { addMember, signUp, type ApiClient } from '../helpers/api';

interface Stage {
  id: string;
  name: string;
  kind: 'open' | 'won' | 'lost';
  probability: number;
  position: number;
  count: number;
  staleAfterDays: number | null;
  requiredFields: string[];
}
interface Pipeline {
  id: string;
  name: string;
  position: number;
  stages: Stage[];
}

async function workspace() {
  const owner = await signUp({ template: 'b2b-general', locale: 'en' });
  const base = `/api/t/${owner.tenant.slug}`;
  const pipelines = async (client: ApiClient = owner.client) => (await client.get(`${base}/pipelines`)).body.pipelines as Pipeline[];
  const pipeline = (await pipelines())[0]!;
  const lostReasonId = (await env.DB.prepare('select id from lost_reasons where tenant_id = ? limit 1').bind(owner.tenant.id).first<{ id: string }>())!.id;
  return { ...owner, base, pipelines, pipeline, lostReasonId, stage: (kind: Stage['kind'], nth = 0) => pipeline.stages.filter((s) => s.kind === kind)[nth]! };
}

async function createOpportunity(client: ApiClient, base: string, stageId: string, title: string, amount = 1000) {
  const response = await client.post(`${base}/opportunities`, { title, accountName: 'Hengda Machinery', amount, stageId, expectedCloseDate: '2027-01-01' });
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${response.text}`);
  return response.body as { id: string; version: number };
}

const auditOf = (tenantId: string, entityId: string) =>
  env.DB.prepare('select action, entity_type as entityType, before, after, actor_user_id as actor from audit_log where tenant_id = ? and entity_id = ? order by at, rowid')
    .bind(tenantId, entityId)
    .all<{ action: string; entityType: string; before: string | null; after: string | null; actor: string }>()
    .then((r) => r.results.map((row) => ({ ...row, before: row.before && JSON.parse(row.before), after: row.after && JSON.parse(row.after) })));

function expectFields(response: { status: number; headers: Headers; body: { errors?: { path: string }[] } }, paths: string[]) {
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(response.body.errors?.map((e) => e.path).sort()).toEqual([...paths].sort());
}

describe('pipelines', () => {
  it('creates a pipeline with a default set of stages (one won, one lost) last in order, trims the name and audits it', async () => {
    const w = await workspace();
    const before = await w.pipelines();
    const response = await w.client.post(`${w.base}/pipelines`, { name: '  Renewals  ' });
    expect(response.status).toBe(201);
    expect(response.body.name).toBe('Renewals');
    expect(response.body.position).toBe(before.length);
    const kinds = (response.body.stages as Stage[]).map((s) => s.kind);
    expect(kinds.filter((k) => k === 'won')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'lost')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'open').length).toBeGreaterThan(0);
    expect((response.body.stages as Stage[]).map((s) => s.position)).toEqual(kinds.map((_, i) => i));
    const after = await w.pipelines();
    expect(after.map((p) => p.name).at(-1)).toBe('Renewals');
    expect(after.map((p) => p.position)).toEqual(after.map((_, i) => i));
    const [entry] = await auditOf(w.tenant.id, response.body.id);
    expect(entry).toMatchObject({ action: 'create', entityType: 'pipeline', actor: w.user.id, after: { name: 'Renewals' } });
  });

  it('creates a pipeline with the stages given, in order', async () => {
    const w = await workspace();
    const stages = [
      { name: 'Intro', probability: 20, kind: 'open', staleAfterDays: 7, requiredFields: ['amount'] },
      { name: 'Signed', probability: 100, kind: 'won' },
      { name: 'Dropped', probability: 0, kind: 'lost' },
    ];
    const response = await w.client.post(`${w.base}/pipelines`, { name: 'Partners', stages });
    expect(response.status).toBe(201);
    expect(response.body.stages).toMatchObject([
      { name: 'Intro', probability: 20, kind: 'open', staleAfterDays: 7, requiredFields: ['amount'], position: 0 },
      { name: 'Signed', kind: 'won', staleAfterDays: null, requiredFields: [], position: 1 },
      { name: 'Dropped', kind: 'lost', position: 2 },
    ]);
  });

  it('refuses bad pipeline input with 400 listing the fields', async () => {
    const w = await workspace();
    expectFields(await w.client.post(`${w.base}/pipelines`, { name: '   ' }), ['name']);
    expectFields(await w.client.post(`${w.base}/pipelines`, { name: 'x'.repeat(101) }), ['name']);
    expectFields(await w.client.post(`${w.base}/pipelines`, {}), ['name']);
    const noLost = [
      { name: 'A', probability: 10, kind: 'open' },
      { name: 'B', probability: 20, kind: 'open' },
      { name: 'C', probability: 100, kind: 'won' },
    ];
    expectFields(await w.client.post(`${w.base}/pipelines`, { name: 'No lost', stages: noLost }), ['stages']);
    expectFields(await w.client.request('PATCH', `${w.base}/pipelines/${w.pipeline.id}`, { name: '', position: -1 }), ['name', 'position']);
    expect((await w.pipelines()).length).toBe(2);
  });

  it('renames and reorders pipelines, keeping positions dense, with audit entries', async () => {
    const w = await workspace();
    const third = (await w.client.post(`${w.base}/pipelines`, { name: 'Third' })).body as Pipeline;
    const renamed = await w.client.request('PATCH', `${w.base}/pipelines/${third.id}`, { name: ' Key accounts ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Key accounts');
    const moved = await w.client.request('PATCH', `${w.base}/pipelines/${third.id}`, { position: 0 });
    expect(moved.status).toBe(200);
    let list = await w.pipelines();
    expect(list[0]!.id).toBe(third.id);
    expect(list.map((p) => p.position)).toEqual([0, 1, 2]);
    // Past the end: clamped to last.
    await w.client.request('PATCH', `${w.base}/pipelines/${third.id}`, { position: 99 });
    list = await w.pipelines();
    expect(list.at(-1)!.id).toBe(third.id);
    expect(list.map((p) => p.position)).toEqual([0, 1, 2]);
    const entries = await auditOf(w.tenant.id, third.id);
    expect(entries.map((e) => e.action)).toEqual(['create', 'update', 'reorder', 'reorder']);
    expect(entries[1]).toMatchObject({ before: { name: 'Third' }, after: { name: 'Key accounts' } });
    expect(entries[2]).toMatchObject({ before: { position: 2 }, after: { position: 0 } });
  });

  it('archives a pipeline: gone from GET /pipelines, its board 404s; the last active one answers 409', async () => {
    const w = await workspace();
    const [first, second] = await w.pipelines();
    const card = await createOpportunity(w.client, w.base, second!.stages[0]!.id, 'In the archived pipeline');
    const archived = await w.client.request('DELETE', `${w.base}/pipelines/${second!.id}`);
    expect(archived.status).toBe(204);
    const list = await w.pipelines();
    expect(list.map((p) => p.id)).toEqual([first!.id]);
    expect(list[0]!.position).toBe(0);
    expect((await w.client.get(`${w.base}/pipelines/${second!.id}/board`)).status).toBe(404);
    expect((await w.client.request('PATCH', `${w.base}/pipelines/${second!.id}`, { name: 'Back' })).status).toBe(404);
    // Its opportunities stay readable and editable by id (no 500 for a stage whose pipeline is archived).
    const edited = await w.client.request('PATCH', `${w.base}/opportunities/${card.id}`, { version: card.version, title: 'Still editable' });
    expect(edited.status, edited.text).toBe(200);
    const last = await w.client.request('DELETE', `${w.base}/pipelines/${first!.id}`);
    expect(last.status).toBe(409);
    expect(last.body.code).toBe('last_pipeline');
    expect((await w.pipelines()).length).toBe(1);
    expect(await auditOf(w.tenant.id, second!.id)).toMatchObject([{ action: 'archive', entityType: 'pipeline', before: { archivedAt: null } }]);
  });
});

describe('stages', () => {
  it('adds a stage before the won/lost stages by default, or at the position given', async () => {
    const w = await workspace();
    const firstClosed = w.pipeline.stages.findIndex((s) => s.kind !== 'open');
    const response = await w.client.post(`${w.base}/pipelines/${w.pipeline.id}/stages`, {
      name: ' Contract review ', probability: 85, kind: 'open', staleAfterDays: 10, requiredFields: ['amount', 'accountId', 'amount'],
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name: 'Contract review', probability: 85, kind: 'open', staleAfterDays: 10, requiredFields: ['amount', 'accountId'], position: firstClosed });
    const stages = (await w.pipelines())[0]!.stages;
    expect(stages[firstClosed]!.id).toBe(response.body.id);
    expect(stages.slice(firstClosed + 1).map((s) => s.kind)).toEqual(w.pipeline.stages.slice(firstClosed).map((s) => s.kind));
    expect(stages.map((s) => s.position)).toEqual(stages.map((_, i) => i));

    const atTop = await w.client.post(`${w.base}/pipelines/${w.pipeline.id}/stages`, { name: 'Inbound', probability: 5, kind: 'open', position: 0 });
    expect(atTop.status).toBe(201);
    expect((await w.pipelines())[0]!.stages[0]!.id).toBe(atTop.body.id);
    expect(await auditOf(w.tenant.id, response.body.id)).toMatchObject([{ action: 'create', entityType: 'stage', after: { name: 'Contract review', probability: 85 } }]);
  });

  it('refuses bad stage input with 400 listing each field', async () => {
    const w = await workspace();
    const url = `${w.base}/pipelines/${w.pipeline.id}/stages`;
    expectFields(await w.client.post(url, { name: '', probability: 101, kind: 'maybe', staleAfterDays: 0, requiredFields: ['colour'] }), [
      'name', 'probability', 'kind', 'staleAfterDays', 'requiredFields.0',
    ]);
    expectFields(await w.client.post(url, { name: 'Half', probability: 12.5, kind: 'open', staleAfterDays: 3651 }), ['probability', 'staleAfterDays']);
    expectFields(await w.client.post(url, { name: 'Neg', probability: -1, kind: 'open', position: -2 }), ['probability', 'position']);
    const stageUrl = `${w.base}/stages/${w.stage('open').id}`;
    expectFields(await w.client.request('PATCH', stageUrl, { name: 'x'.repeat(101), probability: '50', staleAfterDays: 1.5 }), ['name', 'probability', 'staleAfterDays']);
    expect((await w.pipelines())[0]!.stages).toEqual(w.pipeline.stages);
  });

  it('edits a stage and audits the changed fields only', async () => {
    const w = await workspace();
    const stage = w.stage('open', 1);
    const response = await w.client.request('PATCH', `${w.base}/stages/${stage.id}`, { name: 'Discovery', probability: stage.probability, staleAfterDays: null, requiredFields: ['products', 'notes'] });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: stage.id, name: 'Discovery', probability: stage.probability, staleAfterDays: null, requiredFields: ['products', 'notes'] });
    const [entry] = await auditOf(w.tenant.id, stage.id);
    expect(entry!.action).toBe('update');
    expect(entry!.before).toEqual({ name: stage.name, staleAfterDays: stage.staleAfterDays, requiredFields: stage.requiredFields });
    expect(entry!.after).toEqual({ name: 'Discovery', staleAfterDays: null, requiredFields: ['products', 'notes'] });
  });

  it('refuses a kind change leaving no won, lost or open stage (409), and one on a stage holding opportunities (409)', async () => {
    const w = await workspace();
    const won = await w.client.request('PATCH', `${w.base}/stages/${w.stage('won').id}`, { kind: 'open' });
    expect(won.status).toBe(409);
    expect(won.body.code).toBe('stage_kind_required');
    const lost = await w.client.request('PATCH', `${w.base}/stages/${w.stage('lost').id}`, { kind: 'won' });
    expect(lost.status).toBe(409);
    expect(lost.body.code).toBe('stage_kind_required');
    // A second won stage may become lost and back, while empty.
    const extra = (await w.client.post(`${w.base}/pipelines/${w.pipeline.id}/stages`, { name: 'Won (framework)', probability: 100, kind: 'won' })).body;
    expect((await w.client.request('PATCH', `${w.base}/stages/${extra.id}`, { kind: 'lost' })).status).toBe(200);
    const open = w.stage('open');
    await createOpportunity(w.client, w.base, open.id, 'Busy');
    const busy = await w.client.request('PATCH', `${w.base}/stages/${open.id}`, { kind: 'won' });
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('stage_not_empty');
    expect((await w.pipelines())[0]!.stages.find((s) => s.id === open.id)!.kind).toBe('open');
  });

  it('reorders stages with exactly the pipeline’s stages, else 400', async () => {
    const w = await workspace();
    const ids = w.pipeline.stages.map((s) => s.id);
    const reversed = [...ids].reverse();
    const response = await w.client.request('PUT', `${w.base}/pipelines/${w.pipeline.id}/stage-order`, { stageIds: reversed });
    expect(response.status).toBe(200);
    expect((response.body.stages as Stage[]).map((s) => s.id)).toEqual(reversed);
    expect((await w.pipelines())[0]!.stages.map((s) => s.id)).toEqual(reversed);
    const board = await w.client.get(`${w.base}/pipelines/${w.pipeline.id}/board`);
    expect((board.body.columns as { stage: Stage }[]).map((c) => c.stage.id)).toEqual(reversed);

    const other = (await w.pipelines())[1]!;
    for (const stageIds of [ids.slice(1), [...ids, ids[0]], [...ids.slice(1), other.stages[0]!.id], [...ids.slice(0, -1), ids[0]]]) {
      expectFields(await w.client.request('PUT', `${w.base}/pipelines/${w.pipeline.id}/stage-order`, { stageIds }), ['stageIds']);
    }
    expectFields(await w.client.request('PUT', `${w.base}/pipelines/${w.pipeline.id}/stage-order`, {}), ['stageIds']);
    expect((await w.pipelines())[0]!.stages.map((s) => s.id)).toEqual(reversed);
    expect(await auditOf(w.tenant.id, w.pipeline.id)).toMatchObject([{ action: 'reorder', before: { stageIds: ids }, after: { stageIds: reversed } }]);
  });

  it('changing a probability never rewrites stage history or past daily snapshots', async () => {
    const w = await workspace();
    const open = w.stage('open');
    const next = w.stage('open', 1);
    const deal = await createOpportunity(w.client, w.base, open.id, 'History deal', 5000);
    await w.client.post(`${w.base}/opportunities/${deal.id}/move`, { stageId: next.id, version: deal.version });
    await env.DB.prepare(
      `insert into daily_stats (tenant_id, as_of_date, pipeline_id, dimension, dimension_key, metrics, computed_at) values (?, '2026-11-01', ?, 'stage', ?, ?, 1)`,
    )
      .bind(w.tenant.id, w.pipeline.id, next.id, JSON.stringify({ count: 1, amount: 5000, weightedAmount: Math.round((5000 * next.probability) / 100) }))
      .run();
    const snapshot = () => env.DB.prepare('select * from daily_stats where tenant_id = ? order by as_of_date, dimension_key').bind(w.tenant.id).all();
    const history = () => env.DB.prepare('select * from stage_changes where tenant_id = ? order by changed_at, rowid').bind(w.tenant.id).all();
    const [statsBefore, historyBefore] = [await snapshot(), await history()];
    expect(historyBefore.results).toHaveLength(2);
    const response = await w.client.request('PATCH', `${w.base}/stages/${next.id}`, { probability: next.probability === 99 ? 98 : 99 });
    expect(response.status).toBe(200);
    expect((await snapshot()).results).toEqual(statsBefore.results);
    expect((await history()).results).toEqual(historyBefore.results);
  });
});

describe('deleting a stage', () => {
  it('deletes an empty stage without moveTo, keeping positions dense, and audits it', async () => {
    const w = await workspace();
    const open = w.stage('open', 1);
    const response = await w.client.request('DELETE', `${w.base}/stages/${open.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ moved: 0, moveTo: null });
    const stages = (await w.pipelines())[0]!.stages;
    expect(stages.map((s) => s.id)).toEqual(w.pipeline.stages.filter((s) => s.id !== open.id).map((s) => s.id));
    expect(stages.map((s) => s.position)).toEqual(stages.map((_, i) => i));
    expect(await auditOf(w.tenant.id, open.id)).toMatchObject([{ action: 'delete', entityType: 'stage', before: { name: open.name }, after: { movedOpportunities: 0, moveTo: null } }]);
    expect((await w.client.request('PATCH', `${w.base}/stages/${open.id}`, { name: 'Ghost' })).status).toBe(404);
  });

  it('leaves positions and the audit log alone when an opportunity enters the stage between the check and the delete', async () => {
    const w = await workspace();
    const open = w.stage('open', 1);
    const elsewhere = await createOpportunity(w.client, w.base, w.stage('open', 0).id, 'Sneaks in');
    // A D1 whose batch first lets a colleague's move land in the stage, then runs the delete.
    const racing = new Proxy(env.DB, {
      get(target, key) {
        if (key === 'batch') {
          return async (statements: D1PreparedStatement[]) => {
            await target.prepare('update opportunities set stage_id = ? where id = ?').bind(open.id, elsewhere.id).run();
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const repos = tenantRepos(createDatabase(racing), w.tenant.id, { userId: w.user.id, role: 'owner', ownOnly: false });
    await expect(repos.pipelineAdmin.deleteStage(open.id, {}, { userId: w.user.id, now: Date.now() })).rejects.toMatchObject({ status: 409 });
    const stages = (await w.pipelines())[0]!.stages;
    expect(stages.map((s) => s.id)).toEqual(w.pipeline.stages.map((s) => s.id));
    expect(stages.map((s) => s.position)).toEqual(w.pipeline.stages.map((s) => s.position));
    expect(await auditOf(w.tenant.id, open.id)).toEqual([]);
  });

  it('needs moveTo when the stage holds opportunities, and another stage of the same pipeline', async () => {
    const w = await workspace();
    const open = w.stage('open');
    await createOpportunity(w.client, w.base, open.id, 'Stays');
    const missing = await w.client.request('DELETE', `${w.base}/stages/${open.id}`);
    expectFields(missing, ['query.moveTo']);
    expect(missing.body.errors[0].message).toContain('1 opportunity');
    const other = (await w.pipelines())[1]!;
    expectFields(await w.client.request('DELETE', `${w.base}/stages/${open.id}?moveTo=${other.stages[0]!.id}`), ['query.moveTo']);
    expectFields(await w.client.request('DELETE', `${w.base}/stages/${open.id}?moveTo=${open.id}`), ['query.moveTo']);
    expectFields(await w.client.request('DELETE', `${w.base}/stages/${open.id}?moveTo=nope`), ['query.moveTo']);
    expect((await w.pipelines())[0]!.stages.find((s) => s.id === open.id)!.count).toBe(1);
  });

  it('refuses deleting the only won or lost stage (409)', async () => {
    const w = await workspace();
    for (const kind of ['won', 'lost'] as const) {
      const response = await w.client.request('DELETE', `${w.base}/stages/${w.stage(kind).id}`);
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('stage_kind_required');
    }
    expect((await w.pipelines())[0]!.stages).toHaveLength(w.pipeline.stages.length);
  });

  it('moves its opportunities after the target’s cards with one history row each, closing them when the target is won', async () => {
    const w = await workspace();
    const [source, target] = [w.stage('open'), w.stage('open', 1)];
    const a = await createOpportunity(w.client, w.base, source.id, 'First', 100);
    const b = await createOpportunity(w.client, w.base, source.id, 'Second', 200);
    const existing = await createOpportunity(w.client, w.base, target.id, 'Already there', 300);
    const response = await w.client.request('DELETE', `${w.base}/stages/${source.id}?moveTo=${target.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ moved: 2, moveTo: target.id });
    const board = await w.client.get(`${w.base}/pipelines/${w.pipeline.id}/board`);
    const column = (board.body.columns as { stage: Stage; count: number; opportunities: { id: string; version: number; status: string; stageEnteredAt: string }[] }[]).find(
      (c) => c.stage.id === target.id,
    )!;
    expect(column.count).toBe(3);
    expect(column.opportunities.map((o) => o.id)).toEqual([existing.id, a.id, b.id]);
    expect(column.opportunities.find((o) => o.id === a.id)).toMatchObject({ version: a.version + 1, status: 'open' });
    const rows = await env.DB.prepare('select opportunity_id as id, from_stage_id as fromId, to_stage_id as toId, changed_by as by, amount from stage_changes where tenant_id = ? and to_stage_id = ? and from_stage_id = ?')
      .bind(w.tenant.id, target.id, source.id)
      .all();
    expect(rows.results.map((r) => [r.id, r.by, r.amount]).sort()).toEqual([[a.id, w.user.id, 100], [b.id, w.user.id, 200]].sort());
    expect(await auditOf(w.tenant.id, source.id)).toMatchObject([{ action: 'delete', after: { movedOpportunities: 2, moveTo: target.id, moveToName: target.name } }]);
    // A card can still be moved within the target column afterwards (positions are valid keys).
    const moved = await w.client.post(`${w.base}/opportunities/${existing.id}/move`, { stageId: target.id, version: existing.version, afterId: b.id });
    expect(moved.status).toBe(200);

    // Into a won stage: status won and a closed date.
    const other = w.stage('open', 2);
    const c = await createOpportunity(w.client, w.base, other.id, 'To be won', 400);
    expect((await w.client.request('DELETE', `${w.base}/stages/${other.id}?moveTo=${w.stage('won').id}`)).status).toBe(200);
    const won = await env.DB.prepare('select status, closed_at as closedAt, stage_id as stageId from opportunities where id = ?').bind(c.id).first();
    expect(won).toMatchObject({ status: 'won', stageId: w.stage('won').id });
    expect(won!.closedAt).toBeTypeOf('number');
  });

  it('moves into a lost stage only with a lost reason (400 naming lostReasonId otherwise)', async () => {
    const w = await workspace();
    const source = w.stage('open');
    const deal = await createOpportunity(w.client, w.base, source.id, 'Doomed');
    const url = `${w.base}/stages/${source.id}?moveTo=${w.stage('lost').id}`;
    expectFields(await w.client.request('DELETE', url), ['query.lostReasonId']);
    expectFields(await w.client.request('DELETE', `${url}&lostReasonId=not-a-reason`), ['query.lostReasonId']);
    expect((await w.client.request('DELETE', `${url}&lostReasonId=${w.lostReasonId}`)).status).toBe(200);
    const row = await env.DB.prepare('select status, lost_reason_id as reason, closed_at as closedAt from opportunities where id = ?').bind(deal.id).first();
    expect(row).toMatchObject({ status: 'lost', reason: w.lostReasonId });
    expect(row!.closedAt).toBeTypeOf('number');
  });

  describe('with 5,000 opportunities', () => {
    async function seeded() {
      const w = await workspace();
      const [source, target] = [w.stage('open'), w.stage('open', 1)];
      const kept = await createOpportunity(w.client, w.base, target.id, 'Target card');
      const now = Date.now();
      // One set-based insert of 5,000 rows (ids bulk0…bulk4999, positions in that order).
      await env.DB.prepare(
        `with recursive n(i) as (select 0 union all select i + 1 from n where i < 4999)
         insert into opportunities (id, tenant_id, pipeline_id, stage_id, title, owner_id, amount, status, position, version, stage_entered_at, created_by, created_at, updated_at)
         select 'bulk' || i || '-' || ?1, ?1, ?2, ?3, 'Bulk ' || i, ?4, i, 'open', 'a0' || printf('%05d', i) || 'V', 1, ?5, ?4, ?5, ?5 from n`,
      )
        .bind(w.tenant.id, w.pipeline.id, source.id, w.user.id, now)
        .run();
      return { ...w, source, target, kept };
    }

    const inStage = (tenantId: string, stageId: string) =>
      env.DB.prepare('select count(*) as n from opportunities where tenant_id = ? and stage_id = ?').bind(tenantId, stageId).first<{ n: number }>().then((r) => r!.n);

    it('moves all of them in one request with 5,000 history rows, order kept after the target’s cards', async () => {
      const w = await seeded();
      const response = await w.client.request('DELETE', `${w.base}/stages/${w.source.id}?moveTo=${w.target.id}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ moved: 5000, moveTo: w.target.id });
      expect(await inStage(w.tenant.id, w.target.id)).toBe(5001);
      expect(await inStage(w.tenant.id, w.source.id)).toBe(0);
      const history = await env.DB.prepare('select count(*) as n, count(distinct id) as ids, min(amount) as lo, max(amount) as hi from stage_changes where tenant_id = ? and from_stage_id = ? and to_stage_id = ?')
        .bind(w.tenant.id, w.source.id, w.target.id)
        .first();
      expect(history).toEqual({ n: 5000, ids: 5000, lo: 0, hi: 4999 });
      const order = await env.DB.prepare('select id, version, status from opportunities where tenant_id = ? and stage_id = ? order by position').bind(w.tenant.id, w.target.id).all<{ id: string; version: number }>();
      expect(order.results[0]!.id).toBe(w.kept.id);
      expect(order.results.slice(1).map((r) => r.id)).toEqual(Array.from({ length: 5000 }, (_, i) => `bulk${i}-${w.tenant.id}`));
      expect(order.results.slice(1).every((r) => r.version === 2)).toBe(true);
      const pipelines = await w.pipelines();
      expect(pipelines[0]!.stages.find((s) => s.id === w.source.id)).toBeUndefined();
      expect(pipelines[0]!.stages.find((s) => s.id === w.target.id)!.count).toBe(5001);
    });

    // The history insert runs first and the audit insert last: a failure at either end must undo everything.
    it.each(['stage_changes', 'audit_log'])('an injected failure inserting into %s leaves all of them unmoved and the stage present', async (table) => {
      const w = await seeded();
      const historyRows = () => env.DB.prepare('select count(*) as n from stage_changes where tenant_id = ?').bind(w.tenant.id).first<{ n: number }>().then((r) => r!.n);
      const historyBefore = await historyRows();
      await env.DB.prepare(`create trigger fail_${table} before insert on ${table} begin select raise(abort, 'injected failure'); end`).run();
      try {
        const response = await w.client.request('DELETE', `${w.base}/stages/${w.source.id}?moveTo=${w.target.id}`);
        expect(response.status).toBe(500);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
      } finally {
        await env.DB.prepare(`drop trigger fail_${table}`).run();
      }
      expect(await inStage(w.tenant.id, w.source.id)).toBe(5000);
      expect(await inStage(w.tenant.id, w.target.id)).toBe(1);
      expect(await historyRows()).toBe(historyBefore);
      const versions = await env.DB.prepare('select max(version) as v, min(position) as first from opportunities where tenant_id = ? and stage_id = ?').bind(w.tenant.id, w.source.id).first();
      expect(versions).toEqual({ v: 1, first: 'a000000V' });
      expect((await w.pipelines())[0]!.stages.find((s) => s.id === w.source.id)!.count).toBe(5000);
      expect(await auditOf(w.tenant.id, w.source.id)).toEqual([]);
    });
  });
});

describe('roles', () => {
  it('answers 403 admin_only to members and viewers on every route, and lets an admin in', async () => {
    const w = await workspace();
    const open = w.stage('open');
    const ids = w.pipeline.stages.map((s) => s.id);
    const calls: [string, string, unknown?][] = [
      ['POST', `${w.base}/pipelines`, { name: 'Nope' }],
      ['PATCH', `${w.base}/pipelines/${w.pipeline.id}`, { name: 'Nope' }],
      ['DELETE', `${w.base}/pipelines/${w.pipeline.id}`],
      ['POST', `${w.base}/pipelines/${w.pipeline.id}/stages`, { name: 'Nope', probability: 10, kind: 'open' }],
      ['PUT', `${w.base}/pipelines/${w.pipeline.id}/stage-order`, { stageIds: ids }],
      ['PATCH', `${w.base}/stages/${open.id}`, { name: 'Nope' }],
      ['DELETE', `${w.base}/stages/${open.id}`],
    ];
    const member = await addMember(w.tenant.id, 'member');
    const viewer = await addMember(w.tenant.id, 'viewer');
    for (const person of [member, viewer]) {
      for (const [method, url, body] of calls) {
        const response = await person.client.request(method, url, body);
        expect(response.status, `${method} ${url}`).toBe(403);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(['admin_only', 'read_only']).toContain(response.body.code);
      }
    }
    // Members specifically get admin_only.
    expect((await member.client.post(`${w.base}/pipelines`, { name: 'Nope' })).body.code).toBe('admin_only');
    expect(await w.pipelines()).toEqual([w.pipeline, ...(await w.pipelines()).slice(1)]);
    expect((await w.pipelines())[0]!.stages.map((s) => s.name)).toEqual(w.pipeline.stages.map((s) => s.name));

    const admin = await addMember(w.tenant.id, 'admin');
    const response = await admin.client.request('PATCH', `${w.base}/stages/${open.id}`, { name: 'Renamed by admin' });
    expect(response.status).toBe(200);
    expect(await auditOf(w.tenant.id, open.id)).toMatchObject([{ action: 'update', actor: admin.user.id }]);
  });
});
