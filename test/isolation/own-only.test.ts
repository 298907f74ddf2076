// "Members see only their own opportunities": with the workspace setting on, members and viewers
// must not see, count, find, touch or anchor on anyone else's opportunity through any route;
// owners and admins still see everything.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { addMember, signUp, type ApiClient } from '../helpers/api';

const SECRET = 'Zebra secret deal';

async function restrictedWorkspace() {
  const owner = await signUp({ workspaceName: 'Own Only Co' });
  const base = `/api/t/${owner.tenant.slug}`;
  const create = async (client: ApiClient, body: Record<string, unknown>) => {
    const response = await client.post(`${base}/opportunities`, body);
    if (response.status !== 201) throw new Error(`${response.status} ${response.text}`);
    return response.body as { id: string; stageId: string; pipelineId: string; accountId: string };
  };
  const member = await addMember(owner.tenant.id, 'member', 'Mo Member');
  const viewer = await addMember(owner.tenant.id, 'viewer', 'Vi Viewer');
  const admin = await addMember(owner.tenant.id, 'admin', 'Al Admin');
  const secret = await create(owner.client, { title: SECRET, accountName: 'Zebra Buyer', amount: 7000 });
  const secretFollowUp = (await owner.client.post(`${base}/opportunities/${secret.id}/activities`, { kind: 'call', subject: 'Zebra call', dueAt: '2030-01-01T09:00:00Z' })).body as { id: string };
  const mine = await create(member.client, { title: 'Mo deal', accountId: secret.accountId, amount: 300 });
  // The viewer owns one too (given to them by the admin).
  const viewers = await create(admin.client, { title: 'Vi deal', amount: 50, ownerId: viewer.user.id });
  await env.DB.prepare('update tenants set members_see_own_only = 1 where id = ?').bind(owner.tenant.id).run();
  return { owner, member, viewer, admin, base, secret, secretFollowUp, mine, viewers };
}

const totalCount = (pipelines: { stages: { count: number; amount: number }[] }[]) =>
  pipelines.flatMap((p) => p.stages).reduce((sum, s) => ({ count: sum.count + s.count, amount: sum.amount + s.amount }), { count: 0, amount: 0 });

describe('members see only their own opportunities', () => {
  it('list, totals, board, per-stage counts and search show members and viewers only their own', async () => {
    const w = await restrictedWorkspace();
    for (const [client, own] of [[w.member.client, { title: 'Mo deal', amount: 300 }], [w.viewer.client, { title: 'Vi deal', amount: 50 }]] as const) {
      const list = await client.get(`${w.base}/opportunities`);
      expect(list.status).toBe(200);
      expect(list.body.opportunities.map((o: { title: string }) => o.title)).toEqual([own.title]);
      expect(list.body.totals).toMatchObject({ count: 1, amount: own.amount });

      const board = await client.get(`${w.base}/pipelines/${w.secret.pipelineId}/board`);
      expect(board.status).toBe(200);
      const columns = board.body.columns as { count: number; amount: number; opportunities: { title: string }[] }[];
      expect(columns.reduce((n, c) => n + c.count, 0)).toBe(1);
      expect(columns.reduce((n, c) => n + c.amount, 0)).toBe(own.amount);
      expect(columns.flatMap((c) => c.opportunities.map((o) => o.title))).toEqual([own.title]);
      expect(board.text).not.toContain(SECRET);

      const pipelines = await client.get(`${w.base}/pipelines`);
      expect(totalCount(pipelines.body.pipelines)).toEqual({ count: 1, amount: own.amount });

      for (const q of ['secret', 'Zebra%20secret']) {
        const found = await client.get(`${w.base}/opportunities?q=${q}`);
        expect(found.body.opportunities).toEqual([]);
        expect(found.body.totals.count).toBe(0);
        const searchedBoard = await client.get(`${w.base}/pipelines/${w.secret.pipelineId}/board?q=${q}`);
        expect(searchedBoard.text).not.toContain(SECRET);
        expect((searchedBoard.body.columns as { count: number }[]).reduce((n, c) => n + c.count, 0)).toBe(0);
      }
      // Even filtering by the other owner's id.
      const byOwner = await client.get(`${w.base}/opportunities?ownerId=${w.owner.user.id}`);
      expect(byOwner.body.totals.count).toBe(0);
    }
    // The shared account's open-opportunity count does not give the other deal away.
    const account = await w.member.client.get(`${w.base}/accounts/${w.secret.accountId}`);
    expect(account.text).not.toContain(SECRET);
    expect(JSON.stringify(account.body)).toMatch(/"open\w*":1\b/);
  });

  it('another’s opportunity is 404 for read, change, delete, move, history and follow-ups', async () => {
    const w = await restrictedWorkspace();
    const id = w.secret.id;
    const member = w.member.client;
    const calls: [string, string, unknown?][] = [
      ['GET', `${w.base}/opportunities/${id}`],
      ['PATCH', `${w.base}/opportunities/${id}`, { version: 1, title: 'Taken over' }],
      ['POST', `${w.base}/opportunities/${id}/move`, { stageId: w.secret.stageId, version: 1 }],
      ['GET', `${w.base}/opportunities/${id}/history`],
      ['GET', `${w.base}/opportunities/${id}/activities`],
      ['POST', `${w.base}/opportunities/${id}/activities`, { kind: 'visit', subject: 'Sneaky visit', doneAt: '2026-11-01T09:00:00Z' }],
      ['PATCH', `${w.base}/opportunities/${id}/activities/${w.secretFollowUp.id}`, { version: 1, subject: 'Sneaky' }],
      ['DELETE', `${w.base}/opportunities/${id}/activities/${w.secretFollowUp.id}`],
      ['DELETE', `${w.base}/opportunities/${id}`],
    ];
    for (const [method, path, body] of calls) {
      const response = await member.request(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.text).not.toContain(SECRET);
    }
    // Viewers read nothing of it either.
    for (const [method, path] of calls.filter(([m]) => m === 'GET')) {
      expect((await w.viewer.client.request(method, path)).status).toBe(404);
    }
    // Nothing changed underneath.
    const still = await env.DB.prepare('select title, version from opportunities where id = ?').bind(id).first<{ title: string; version: number }>();
    expect(still).toEqual({ title: SECRET, version: 1 });
    expect(await env.DB.prepare('select count(*) as n from activities where opportunity_id = ?').bind(id).first('n')).toBe(1);
    expect(await env.DB.prepare('select subject from activities where id = ?').bind(w.secretFollowUp.id).first('subject')).toBe('Zebra call');
  });

  it('another’s card cannot serve as a move anchor', async () => {
    const w = await restrictedWorkspace();
    for (const anchor of ['beforeId', 'afterId']) {
      const response = await w.member.client.post(`${w.base}/opportunities/${w.mine.id}/move`, { stageId: w.secret.stageId, version: 1, [anchor]: w.secret.id });
      expect(response.status).toBe(400);
      expect(response.text).not.toContain(SECRET);
    }
    // The same move anchored on one's own view of the column works.
    const plain = await w.member.client.post(`${w.base}/opportunities/${w.mine.id}/move`, { stageId: w.secret.stageId, version: 1 });
    expect(plain.status).toBe(200);
  });

  it('owners and admins still see and reach everything', async () => {
    const w = await restrictedWorkspace();
    for (const client of [w.owner.client, w.admin.client]) {
      const list = await client.get(`${w.base}/opportunities`);
      expect(list.body.totals).toMatchObject({ count: 3, amount: 7350 });
      const board = await client.get(`${w.base}/pipelines/${w.secret.pipelineId}/board`);
      expect(board.text).toContain(SECRET);
      expect(totalCount((await client.get(`${w.base}/pipelines`)).body.pipelines).count).toBe(3);
      expect((await client.get(`${w.base}/opportunities/${w.mine.id}`)).status).toBe(200);
      expect((await client.get(`${w.base}/opportunities?q=secret`)).body.totals.count).toBe(1);
    }
  });

  it('with the setting off, members see everyone’s opportunities', async () => {
    const w = await restrictedWorkspace();
    await env.DB.prepare('update tenants set members_see_own_only = 0 where id = ?').bind(w.owner.tenant.id).run();
    expect((await w.member.client.get(`${w.base}/opportunities`)).body.totals.count).toBe(3);
    expect((await w.member.client.get(`${w.base}/opportunities/${w.secret.id}`)).status).toBe(200);
  });
});
