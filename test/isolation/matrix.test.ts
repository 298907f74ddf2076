// The cross-tenant matrix: every /api/t/:tenant route and method in the app's own route table,
// called by tenant B against tenant A, must answer 404 and leak nothing of A. A route that is
// not listed here fails the suite, so new routes cannot skip the check.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app';
import { ApiClient, PASSWORD, addMember, signUp } from '../helpers/api';
import { importForm, waitForImport } from '../helpers/imports';

interface Fixture {
  slugA: string;
  /** Ids of tenant A's resources, by path parameter name. */
  idsA: Record<string, string>;
}

interface MatrixEntry {
  /** A body that would be valid for tenant A's own owner (so a 404 is not a validation error). */
  body?: (f: Fixture) => unknown;
  /** Creates what the route needs in tenant A (as A's owner) and records the ids in `f.idsA`. */
  setup?: (ownerA: ApiClient, f: Fixture) => Promise<void>;
}

/** A fresh account of tenant A, no opportunity pointing at it (so A itself may delete it). */
async function accountOfA(ownerA: ApiClient, f: Fixture) {
  const response = await ownerA.post(`/api/t/${f.slugA}/accounts`, { name: 'Alpha Matrix Account' });
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${response.text}`);
  f.idsA.accountId = response.body.id;
}

async function contactOfA(ownerA: ApiClient, f: Fixture) {
  const response = await ownerA.post(`/api/t/${f.slugA}/contacts`, { name: 'Alpha Matrix Contact' });
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${response.text}`);
  f.idsA.contactId = response.body.id;
}

/** A fresh opportunity of tenant A (in its first stage); records id, stageId and pipelineId. */
async function opportunityOfA(ownerA: ApiClient, f: Fixture) {
  const response = await ownerA.post(`/api/t/${f.slugA}/opportunities`, { title: 'Alpha Matrix Deal', accountName: 'Alpha Matrix Buyer', amount: 1000 });
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${response.text}`);
  Object.assign(f.idsA, { id: response.body.id, stageId: response.body.stageId, pipelineId: response.body.pipelineId });
}

/** A second person joins tenant A through an invitation; records their id as userId. */
async function memberOfA(ownerA: ApiClient, f: Fixture) {
  await invitationOfA(ownerA, f);
  const person = new ApiClient();
  const accepted = await person.post(`/api/invitations/${f.idsA.token}/accept`, { name: 'Alpha Matrix Member', password: PASSWORD });
  if (accepted.status !== 201) throw new Error(`setup failed: ${accepted.status} ${accepted.text}`);
  f.idsA.userId = (await person.get('/api/auth/me')).body.user.id;
}

async function invitationOfA(ownerA: ApiClient, f: Fixture) {
  const response = await ownerA.post(`/api/t/${f.slugA}/invitations`, { email: `alpha-matrix-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`, role: 'member' });
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${response.text}`);
  f.idsA.invitationId = response.body.invitation.id;
  f.idsA.token = response.body.acceptUrl.split('/invite/')[1];
}

/** A recompute job of tenant A (the default range), started by its owner. */
async function statsJobOfA(ownerA: ApiClient, f: Fixture) {
  const response = await ownerA.post(`/api/t/${f.slugA}/stats/recompute`, {});
  if (response.status !== 202) throw new Error(`setup failed: ${response.status} ${response.text}`);
  f.idsA.jobId = response.body.jobId;
}

async function followUpOfA(ownerA: ApiClient, f: Fixture) {
  await opportunityOfA(ownerA, f);
  const response = await ownerA.post(`/api/t/${f.slugA}/opportunities/${f.idsA.id}/activities`, { kind: 'call', subject: 'Alpha call', dueAt: '2030-01-01T09:00:00Z' });
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${response.text}`);
  f.idsA.activityId = response.body.id;
}

/** An API token of tenant A, created by its owner. */
async function tokenOfA(ownerA: ApiClient, f: Fixture) {
  const response = await ownerA.post(`/api/t/${f.slugA}/tokens`, { name: 'Alpha Matrix Token', role: 'viewer' });
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${response.text}`);
  f.idsA.tokenId = response.body.id;
}

const MATRIX_CSV = 'Title,Amount\r\nAlpha Matrix Import,100\r\n';

/** An import of tenant A in preview (a dry run). */
async function importOfA(ownerA: ApiClient, f: Fixture) {
  const response = await ownerA.post(`/api/t/${f.slugA}/imports`, importForm(MATRIX_CSV));
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${response.text}`);
  f.idsA.importId = response.body.id;
}

/** A finished import of tenant A (so it can be undone). */
async function finishedImportOfA(ownerA: ApiClient, f: Fixture) {
  const response = await ownerA.post(`/api/t/${f.slugA}/imports`, importForm(MATRIX_CSV, { dryRun: false }));
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${response.text}`);
  f.idsA.importId = response.body.id;
  await waitForImport(ownerA, f.slugA, response.body.id);
}

/** Tenant A's first pipeline and its stage ids in order; and a fresh empty open stage of it (deletable). */
async function pipelineOfA(ownerA: ApiClient, f: Fixture) {
  const response = await ownerA.get(`/api/t/${f.slugA}/pipelines`);
  if (response.status !== 200) throw new Error(`setup failed: ${response.status} ${response.text}`);
  const pipeline = response.body.pipelines[0] as { id: string; stages: { id: string }[] };
  f.idsA.pipelineId = pipeline.id;
  f.idsA.stageIds = JSON.stringify(pipeline.stages.map((s) => s.id));
}

async function stageOfA(ownerA: ApiClient, f: Fixture) {
  await pipelineOfA(ownerA, f);
  const response = await ownerA.post(`/api/t/${f.slugA}/pipelines/${f.idsA.pipelineId}/stages`, { name: 'Alpha Matrix Stage', probability: 40, kind: 'open' });
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${response.text}`);
  f.idsA.stageId = response.body.id;
}

/** A fresh, unused entry of tenant A's catalog `kind` (so A itself may delete it). */
const catalogEntryOfA = (kind: string) => async (ownerA: ApiClient, f: Fixture) => {
  const response = await ownerA.post(`/api/t/${f.slugA}/catalog/${kind}`, { name: `Alpha Matrix ${kind}` });
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${response.text}`);
  f.idsA.entryId = response.body.id;
};

/** Admin routes of the four catalogs: list, add, reorder (with all of A's ids), edit, delete. */
function catalogAdminMatrix(): Record<string, MatrixEntry> {
  const entries: Record<string, MatrixEntry> = {};
  for (const kind of ['opportunity-types', 'sources', 'lost-reasons', 'products']) {
    const base = `/api/t/:tenant/catalog/${kind}`;
    entries[`GET ${base}`] = {};
    entries[`POST ${base}`] = { body: () => ({ name: `Matrix ${kind}` }) };
    entries[`PUT ${base}/order`] = {
      setup: async (ownerA, f) => {
        const list = await ownerA.get(`/api/t/${f.slugA}/catalog/${kind}`);
        f.idsA.order = JSON.stringify(list.body.entries.map((e: { id: string }) => e.id).reverse());
      },
      body: (f) => ({ ids: JSON.parse(f.idsA.order ?? '[]') }),
    };
    entries[`PATCH ${base}/:entryId`] = { setup: catalogEntryOfA(kind), body: () => ({ name: 'Matrix renamed' }) };
    entries[`DELETE ${base}/:entryId`] = { setup: catalogEntryOfA(kind) };
  }
  return entries;
}

const MATRIX: Record<string, MatrixEntry> = {
  'GET /api/t/:tenant': {},
  'GET /api/t/:tenant/pipelines': {},
  'GET /api/t/:tenant/catalog': {},
  'GET /api/t/:tenant/accounts': {},
  'POST /api/t/:tenant/accounts': { body: () => ({ name: 'Matrix Trading', city: 'Suzhou' }) },
  'GET /api/t/:tenant/accounts/:accountId': { setup: accountOfA },
  'PATCH /api/t/:tenant/accounts/:accountId': { setup: accountOfA, body: () => ({ version: 1, city: 'Wuxi' }) },
  'DELETE /api/t/:tenant/accounts/:accountId': { setup: accountOfA },
  'GET /api/t/:tenant/contacts': {},
  'POST /api/t/:tenant/contacts': { setup: accountOfA, body: (f) => ({ name: 'Matrix Person', accountId: f.idsA.accountId, isKey: true }) },
  'GET /api/t/:tenant/contacts/:contactId': { setup: contactOfA },
  'PATCH /api/t/:tenant/contacts/:contactId': { setup: contactOfA, body: () => ({ version: 1, title: 'Buyer' }) },
  'DELETE /api/t/:tenant/contacts/:contactId': { setup: contactOfA },
  'GET /api/t/:tenant/pipelines/:pipelineId/board': { setup: opportunityOfA },
  'POST /api/t/:tenant/pipelines': { body: () => ({ name: 'Matrix pipeline' }) },
  'PATCH /api/t/:tenant/pipelines/:pipelineId': { setup: pipelineOfA, body: () => ({ name: 'Renamed pipeline', position: 1 }) },
  'DELETE /api/t/:tenant/pipelines/:pipelineId': { setup: pipelineOfA },
  'POST /api/t/:tenant/pipelines/:pipelineId/stages': { setup: pipelineOfA, body: () => ({ name: 'Matrix stage', probability: 50, kind: 'open' }) },
  'PUT /api/t/:tenant/pipelines/:pipelineId/stage-order': { setup: pipelineOfA, body: (f) => ({ stageIds: (JSON.parse(f.idsA.stageIds!) as string[]).reverse() }) },
  'PATCH /api/t/:tenant/stages/:stageId': { setup: stageOfA, body: () => ({ name: 'Renamed stage', probability: 45 }) },
  'DELETE /api/t/:tenant/stages/:stageId': { setup: stageOfA },
  'GET /api/t/:tenant/opportunities': {},
  'POST /api/t/:tenant/opportunities': { body: () => ({ title: 'Matrix deal', accountName: 'Matrix Buyer' }) },
  'GET /api/t/:tenant/opportunities/:id': { setup: opportunityOfA },
  'PATCH /api/t/:tenant/opportunities/:id': { setup: opportunityOfA, body: () => ({ version: 1, title: 'Renamed deal' }) },
  'DELETE /api/t/:tenant/opportunities/:id': { setup: opportunityOfA },
  'POST /api/t/:tenant/opportunities/:id/move': { setup: opportunityOfA, body: (f) => ({ stageId: f.idsA.stageId, version: 1 }) },
  'GET /api/t/:tenant/opportunities/:id/history': { setup: opportunityOfA },
  'GET /api/t/:tenant/opportunities/:id/activities': { setup: opportunityOfA },
  'POST /api/t/:tenant/opportunities/:id/activities': { setup: opportunityOfA, body: () => ({ kind: 'visit', subject: 'Matrix visit', doneAt: '2026-11-01T09:00:00Z' }) },
  'PATCH /api/t/:tenant/opportunities/:id/activities/:activityId': { setup: followUpOfA, body: () => ({ version: 1, subject: 'Renamed call' }) },
  'DELETE /api/t/:tenant/opportunities/:id/activities/:activityId': { setup: followUpOfA },
  ...catalogAdminMatrix(),
  'GET /api/t/:tenant/settings': {},
  'PATCH /api/t/:tenant/settings': { body: () => ({ name: 'Matrix Renamed Co', fiscalYearStartMonth: 4 }) },
  'GET /api/t/:tenant/audit': {},
  'GET /api/t/:tenant/members': {},
  'PATCH /api/t/:tenant/members/:userId': { setup: memberOfA, body: () => ({ role: 'viewer' }) },
  'DELETE /api/t/:tenant/members/:userId': { setup: memberOfA },
  'GET /api/t/:tenant/invitations': {},
  'POST /api/t/:tenant/invitations': { body: () => ({ email: `matrix-${Math.random().toString(36).slice(2)}@example.com`, role: 'viewer' }) },
  'DELETE /api/t/:tenant/invitations/:invitationId': { setup: invitationOfA },
  'GET /api/t/:tenant/stats': {},
  'GET /api/t/:tenant/stats/series': {},
  'POST /api/t/:tenant/stats/recompute': { body: () => ({}) },
  'GET /api/t/:tenant/stats/jobs/:jobId': { setup: statsJobOfA },
  'GET /api/t/:tenant/forecast': {},
  'GET /api/t/:tenant/forecast/backtest': {},
  'GET /api/t/:tenant/tokens': {},
  'POST /api/t/:tenant/tokens': { body: () => ({ name: 'Matrix token', role: 'viewer' }) },
  'DELETE /api/t/:tenant/tokens/:tokenId': { setup: tokenOfA },
  'GET /api/t/:tenant/exports/opportunities.csv': {},
  'GET /api/t/:tenant/exports/accounts.csv': {},
  'GET /api/t/:tenant/exports/contacts.csv': {},
  'GET /api/t/:tenant/exports/activities.csv': {},
  'GET /api/t/:tenant/exports/workspace.zip': {},
  'GET /api/t/:tenant/imports': {},
  'POST /api/t/:tenant/imports': { body: () => importForm(MATRIX_CSV) },
  'GET /api/t/:tenant/imports/:importId': { setup: importOfA },
  'POST /api/t/:tenant/imports/:importId/preview': { setup: importOfA, body: () => ({ mapping: { Amount: '' } }) },
  'POST /api/t/:tenant/imports/:importId/commit': { setup: importOfA, body: () => ({}) },
  'GET /api/t/:tenant/imports/:importId/errors.csv': { setup: importOfA },
  'DELETE /api/t/:tenant/imports/:importId': { setup: finishedImportOfA },
};

function tenantRoutes(): string[] {
  const seen = new Set<string>();
  for (const route of createApp().routes) {
    if (route.method === 'ALL' || !route.path.startsWith('/api/t/:tenant')) continue;
    seen.add(`${route.method} ${route.path}`);
  }
  return [...seen].sort();
}

describe('cross-tenant isolation matrix', () => {
  it('covers every tenant route in the route table', () => {
    const routes = tenantRoutes();
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.filter((r) => !(r in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it.each(tenantRoutes())('%s answers 404 to another tenant and leaks nothing', async (key) => {
    const a = await signUp({ workspaceName: 'Secret Alpha Trading', template: 'b2b-general', sampleData: true });
    const b = await signUp({ workspaceName: 'Beta Other Co', template: 'saas' });
    const fixture: Fixture = { slugA: a.tenant.slug, idsA: {} };
    const [method, path] = key.split(' ') as [string, string];
    const entry = MATRIX[key]!;
    await entry.setup?.(a.client, fixture);
    const url = path.replace(':tenant', fixture.slugA).replace(/:(\w+)/g, (_, name: string) => fixture.idsA[name] ?? `missing-${name}`);
    const response = await b.client.request(method, url, entry.body?.(fixture));
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    for (const secret of [a.tenant.id, 'Secret Alpha Trading', a.user.id]) expect(response.text).not.toContain(secret);
    // B inside its own workspace, addressing A's records by id: not found either.
    if (/:(?!tenant)\w+/.test(path)) {
      const ownSlug = url.replace(`/api/t/${fixture.slugA}`, `/api/t/${b.tenant.slug}`);
      const probe = await b.client.request(method, ownSlug, entry.body?.(fixture));
      expect(probe.status).toBe(404);
      for (const secret of ['Alpha Matrix', a.tenant.id]) expect(probe.text).not.toContain(secret);
    }
    // And tenant A's owner reaches the same route (the 404 above is isolation, not a broken route).
    const own = await a.client.request(method, url, entry.body?.(fixture));
    expect(own.status).toBeLessThan(400);
  });
});

// Workspace administration is for owners and admins. The rule below is the contract (the issue's
// settings routes); every tenant route is either admin-only — members and viewers get 403 — or
// open to members, who then get through. A new route lands in one class or this suite fails.
const ADMIN_ONLY = [
  /^POST \/api\/t\/:tenant\/pipelines$/,
  /^(PATCH|DELETE) \/api\/t\/:tenant\/pipelines\/:pipelineId$/,
  /^POST \/api\/t\/:tenant\/pipelines\/:pipelineId\/stages$/,
  /^PUT \/api\/t\/:tenant\/pipelines\/:pipelineId\/stage-order$/,
  /^\w+ \/api\/t\/:tenant\/(stages|settings|audit|members|invitations|tokens|imports)(\/|$)/,
  /^\w+ \/api\/t\/:tenant\/catalog\/[\w-]+/,
  /^POST \/api\/t\/:tenant\/stats\/recompute$/,
  /^GET \/api\/t\/:tenant\/exports\/workspace\.zip$/,
];
const isAdminOnly = (key: string) => ADMIN_ONLY.some((rule) => rule.test(key));
const READS = new Set(['GET', 'HEAD']);

/** Tenant A with a member and a viewer, the route's setup run by A's owner, and the call to make. */
async function withRoles(key: string) {
  const a = await signUp({ workspaceName: 'Roles Alpha', template: 'b2b-general' });
  const member = await addMember(a.tenant.id, 'member');
  const viewer = await addMember(a.tenant.id, 'viewer');
  const fixture: Fixture = { slugA: a.tenant.slug, idsA: {} };
  const [method, path] = key.split(' ') as [string, string];
  const entry = MATRIX[key]!;
  await entry.setup?.(a.client, fixture);
  const url = path.replace(':tenant', fixture.slugA).replace(/:(\w+)/g, (_, name: string) => fixture.idsA[name] ?? `missing-${name}`);
  return { a, member, viewer, method, url, body: entry.body?.(fixture) };
}

describe('roles on every tenant route', () => {
  const routes = tenantRoutes();

  it('classifies the settings routes of the contract as admin-only', () => {
    const admin = routes.filter(isAdminOnly);
    for (const key of ['GET /api/t/:tenant/settings', 'PATCH /api/t/:tenant/settings', 'GET /api/t/:tenant/audit', 'GET /api/t/:tenant/members', 'POST /api/t/:tenant/invitations', 'DELETE /api/t/:tenant/stages/:stageId', 'PUT /api/t/:tenant/pipelines/:pipelineId/stage-order']) {
      expect(admin).toContain(key);
    }
    expect(routes.filter((r) => !isAdminOnly(r))).toContain('GET /api/t/:tenant/pipelines');
  });

  it.each(routes.filter(isAdminOnly))('%s refuses members and viewers with 403', async (key) => {
    const { a, member, viewer, method, url, body } = await withRoles(key);
    for (const [role, person] of [['member', member], ['viewer', viewer]] as const) {
      const response = await person.client.request(method, url, body);
      expect(response.status, `${key} as ${role}`).toBe(403);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    // The owner gets through: the 403s are about the role.
    expect((await a.client.request(method, url, body)).status).toBeLessThan(400);
  });

  it.each(routes.filter((r) => !isAdminOnly(r)))('%s is open to members; viewers only read', async (key) => {
    const { member, viewer, method, url, body } = await withRoles(key);
    const asViewer = await viewer.client.request(method, url, body);
    expect(asViewer.status, `${key} as viewer`).toBe(READS.has(method) ? 200 : 403);
    const asMember = await member.client.request(method, url, body);
    expect(asMember.status, `${key} as member: ${asMember.text}`).toBeLessThan(400);
  });
});
