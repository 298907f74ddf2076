// API tokens: created once by an admin, stored hashed, used as `Authorization: Bearer` on the
// tenant routes of their own workspace with their role, revoked, expired and rate-limited.
import { SELF } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeHexLowerCase } from '@oslojs/encoding';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app';
import { ORIGIN, PASSWORD, addMember, signUp, uniqueEmail, type ApiClient } from '../helpers/api';

interface Created {
  token: string;
  id: string;
  name: string;
  role: string;
  expiresAt: string | null;
  createdAt: string;
}

async function createToken(client: ApiClient, slug: string, body: Record<string, unknown> = {}): Promise<Created> {
  const response = await client.post(`/api/t/${slug}/tokens`, { name: 'Integration', role: 'member', ...body });
  if (response.status !== 201) throw new Error(`token: ${response.status} ${response.text}`);
  return response.body as Created;
}

/** A request with the token and nothing else: no cookie, no Origin, no Sec-Fetch-Site. */
async function bearer(token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await SELF.fetch(`${ORIGIN}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

describe('creating and listing API tokens', () => {
  it('shows the token once and lists it afterwards without any secret', async () => {
    const o = await signUp({ workspaceName: 'Token Co' });
    const created = await createToken(o.client, o.tenant.slug, { name: 'Website form', role: 'viewer' });
    expect(created).toEqual({ token: expect.stringMatching(/^jihui_[a-z2-7]+\.[a-z2-7]+$/), id: expect.any(String), name: 'Website form', role: 'viewer', expiresAt: null, createdAt: expect.any(String) });
    const list = await o.client.get(`/api/t/${o.tenant.slug}/tokens`);
    expect(list.status).toBe(200);
    expect(list.body.tokens).toEqual([
      { id: created.id, name: 'Website form', role: 'viewer', createdAt: created.createdAt, expiresAt: null, lastUsedAt: null, createdBy: { id: o.user.id, name: 'Test Owner' } },
    ]);
    const secret = created.token.split('.')[1]!;
    expect(list.text).not.toContain(secret);
  });

  it('stores only the SHA-256 of the secret', async () => {
    const o = await signUp();
    const created = await createToken(o.client, o.tenant.slug);
    const row = await env.DB.prepare('select * from api_tokens where id = ?').bind(created.id).first<Record<string, unknown>>();
    const secret = created.token.split('.')[1]!;
    expect(row!.secret_hash).toBe(encodeHexLowerCase(sha256(new TextEncoder().encode(secret))));
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row).toMatchObject({ tenant_id: o.tenant.id, created_by: o.user.id, role: 'member', revoked_at: null });
  });

  it('writes audit rows for create and revoke', async () => {
    const o = await signUp();
    const created = await createToken(o.client, o.tenant.slug, { name: 'Zapier' });
    expect((await o.client.request('DELETE', `/api/t/${o.tenant.slug}/tokens/${created.id}`)).status).toBe(204);
    const audit = await o.client.get(`/api/t/${o.tenant.slug}/audit?entityType=api_token`);
    expect(audit.body.entries.map((e: { action: string; entityId: string; actorUserId: string }) => [e.action, e.entityId, e.actorUserId])).toEqual([
      ['revoke', created.id, o.user.id],
      ['create', created.id, o.user.id],
    ]);
    expect(audit.body.entries[1].after).toEqual({ name: 'Zapier', role: 'member', expiresAt: null });
    expect(audit.text).not.toContain(created.token.split('.')[1]!);
  });

  it('refuses bad input: no name, the owner role, a past expiry', async () => {
    const o = await signUp();
    const url = `/api/t/${o.tenant.slug}/tokens`;
    for (const body of [{ name: '', role: 'member' }, { name: 'x', role: 'owner' }, { name: 'x', role: 'member', expiresAt: 'tomorrow' }, { name: 'x', role: 'member', expiresAt: '2001-01-01T00:00:00Z' }]) {
      const response = await o.client.post(url, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('is for owners and admins: members and viewers get 403, an admin may create an admin token', async () => {
    const o = await signUp();
    const admin = await addMember(o.tenant.id, 'admin');
    const member = await addMember(o.tenant.id, 'member');
    expect((await member.client.post(`/api/t/${o.tenant.slug}/tokens`, { name: 'm', role: 'viewer' })).status).toBe(403);
    const adminToken = await createToken(admin.client, o.tenant.slug, { role: 'admin' });
    expect(adminToken.role).toBe('admin');
  });

  it('answers 404 when revoking a token that does not exist or is already revoked', async () => {
    const o = await signUp();
    const created = await createToken(o.client, o.tenant.slug);
    const url = `/api/t/${o.tenant.slug}/tokens/${created.id}`;
    expect((await o.client.request('DELETE', url)).status).toBe(204);
    expect((await o.client.request('DELETE', url)).status).toBe(404);
    expect((await o.client.request('DELETE', `/api/t/${o.tenant.slug}/tokens/nope`)).status).toBe(404);
    expect((await o.client.get(`/api/t/${o.tenant.slug}/tokens`)).body.tokens).toEqual([]);
  });
});

describe('Authorization: Bearer', () => {
  it('reads and writes on the tenant routes, as the token’s creator, without Origin', async () => {
    const o = await signUp({ workspaceName: 'Bearer Co' });
    const { token } = await createToken(o.client, o.tenant.slug, { role: 'member' });
    const created = await bearer(token, 'POST', `/api/t/${o.tenant.slug}/opportunities`, { title: 'From the API', accountName: 'API Buyer', amount: 4200 });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ title: 'From the API', ownerId: o.user.id });
    expect(created.headers.get('set-cookie')).toBeNull();
    const list = await bearer(token, 'GET', `/api/t/${o.tenant.slug}/opportunities`);
    expect(list.status).toBe(200);
    expect(list.body.opportunities.map((x: { title: string }) => x.title)).toContain('From the API');
  });

  it('records changes made with a token under its creator, naming the token', async () => {
    const o = await signUp();
    const { token, id } = await createToken(o.client, o.tenant.slug, { role: 'admin', name: 'Sync job' });
    expect((await bearer(token, 'PATCH', `/api/t/${o.tenant.slug}/settings`, { name: 'Renamed by API' })).status).toBe(200);
    const audit = await o.client.get(`/api/t/${o.tenant.slug}/audit?entityType=settings`);
    expect(audit.body.entries[0]).toMatchObject({ actorUserId: o.user.id, actorTokenId: id, actorTokenName: 'Sync job', after: { name: 'Renamed by API' } });
  });

  it('lets a bearer request without Origin through while a cookie request without Origin still gets 403', async () => {
    const o = await signUp();
    const { token } = await createToken(o.client, o.tenant.slug);
    const url = `/api/t/${o.tenant.slug}/accounts`;
    expect((await bearer(token, 'POST', url, { name: 'Bearer Account' })).status).toBe(201);
    const cookieOnly = await o.client.post(url, { name: 'Cookie Account' }, { origin: '' });
    // An empty Origin is not ours; so is a request with no Origin at all:
    expect(cookieOnly.status).toBe(403);
    const noHeaders = await SELF.fetch(`${ORIGIN}${url}`, { method: 'POST', headers: { cookie: o.client.cookie!, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Cookie Account' }) });
    expect(noHeaders.status).toBe(403);
    expect((await noHeaders.json<{ code: string }>()).code).toBe('cross_site_request');
  });

  it('answers 401 problem+json for a revoked token', async () => {
    const o = await signUp();
    const created = await createToken(o.client, o.tenant.slug);
    const url = `/api/t/${o.tenant.slug}/opportunities`;
    expect((await bearer(created.token, 'GET', url)).status).toBe(200);
    await o.client.request('DELETE', `/api/t/${o.tenant.slug}/tokens/${created.id}`);
    const after = await bearer(created.token, 'GET', url);
    expect(after.status).toBe(401);
    expect(after.headers.get('content-type')).toContain('application/problem+json');
    expect(after.headers.get('www-authenticate')).toContain('invalid_token');
    expect(after.body.code).toBe('invalid_token');
  });

  it('answers 401 for malformed, unknown and tampered tokens — even with a valid session cookie alongside', async () => {
    const o = await signUp();
    const { token } = await createToken(o.client, o.tenant.slug);
    const url = `/api/t/${o.tenant.slug}/opportunities`;
    const [id] = token.split('.');
    for (const bad of ['nonsense', `${id}.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`, 'jihui_aaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', `${token}x`, '']) {
      const response = await bearer(bad, 'GET', url, undefined, { cookie: o.client.cookie! });
      expect(response.status, bad).toBe(401);
      expect(response.text).not.toMatch(/select|sqlite|at \w+ \(/i);
    }
  });

  it('works only in its own workspace: another tenant answers 404, like any workspace you are not in', async () => {
    const a = await signUp({ workspaceName: 'Alpha Bearer' });
    const b = await signUp({ workspaceName: 'Beta Bearer' });
    const { token } = await createToken(a.client, a.tenant.slug, { role: 'admin' });
    for (const [method, path] of [['GET', `/api/t/${b.tenant.slug}/opportunities`], ['POST', `/api/t/${b.tenant.slug}/accounts`], ['GET', '/api/t/no-such-workspace']] as const) {
      const response = await bearer(token, method, path, method === 'POST' ? { name: 'Sneaky' } : undefined);
      expect(response.status, path).toBe(404);
      expect(response.text).not.toContain('Beta Bearer');
    }
    const count = await env.DB.prepare("select count(*) as n from accounts where tenant_id = ? and name = 'Sneaky'").bind(b.tenant.id).first<{ n: number }>();
    expect(count!.n).toBe(0);
  });

  it('enforces the token’s role: a viewer token cannot write, a member token cannot reach admin routes', async () => {
    const o = await signUp();
    const viewer = await createToken(o.client, o.tenant.slug, { role: 'viewer' });
    const member = await createToken(o.client, o.tenant.slug, { role: 'member' });
    const admin = await createToken(o.client, o.tenant.slug, { role: 'admin' });
    const base = `/api/t/${o.tenant.slug}`;
    expect((await bearer(viewer.token, 'GET', `${base}/opportunities`)).status).toBe(200);
    expect((await bearer(viewer.token, 'POST', `${base}/opportunities`, { title: 'No' })).status).toBe(403);
    expect((await bearer(member.token, 'POST', `${base}/opportunities`, { title: 'Yes' })).status).toBe(201);
    expect((await bearer(member.token, 'GET', `${base}/settings`)).status).toBe(403);
    expect((await bearer(member.token, 'GET', `${base}/exports/workspace.zip`)).status).toBe(403);
    expect((await bearer(admin.token, 'GET', `${base}/settings`)).status).toBe(200);
  });

  it('cannot create, list or revoke tokens, whatever its role', async () => {
    const o = await signUp();
    const admin = await createToken(o.client, o.tenant.slug, { role: 'admin' });
    const base = `/api/t/${o.tenant.slug}/tokens`;
    expect((await bearer(admin.token, 'POST', base, { name: 'Child', role: 'admin' })).status).toBe(403);
    expect((await bearer(admin.token, 'GET', base)).status).toBe(403);
    expect((await bearer(admin.token, 'DELETE', `${base}/${admin.id}`)).status).toBe(403);
  });

  it('acts with no more than its creator’s current role, and stops when the creator leaves', async () => {
    const o = await signUp();
    const person = await addMember(o.tenant.id, 'admin', 'Ada Admin');
    const created = await createToken(person.client, o.tenant.slug, { role: 'admin' });
    const settings = `/api/t/${o.tenant.slug}/settings`;
    expect((await bearer(created.token, 'GET', settings)).status).toBe(200);
    await env.DB.prepare("update memberships set role = 'member' where tenant_id = ? and user_id = ?").bind(o.tenant.id, person.user.id).run();
    expect((await bearer(created.token, 'GET', settings)).status).toBe(403);
    await env.DB.prepare('delete from memberships where tenant_id = ? and user_id = ?').bind(o.tenant.id, person.user.id).run();
    expect((await bearer(created.token, 'GET', `/api/t/${o.tenant.slug}/opportunities`)).status).toBe(401);
  });

  it('is not a session outside the tenant routes', async () => {
    const o = await signUp();
    const { token } = await createToken(o.client, o.tenant.slug);
    expect((await bearer(token, 'GET', '/api/auth/me')).status).toBe(401);
    // Signing up with a bearer header is still a browser form: it needs our origin.
    const signup = await bearer(token, 'POST', '/api/auth/signup', { email: uniqueEmail(), password: PASSWORD, name: 'X', workspaceName: 'X', template: 'blank' });
    expect(signup.status).toBe(403);
  });

  it('records when the token was last used', async () => {
    const o = await signUp();
    const { token, id } = await createToken(o.client, o.tenant.slug);
    expect((await bearer(token, 'GET', `/api/t/${o.tenant.slug}/pipelines`)).status).toBe(200);
    const listed = (await o.client.get(`/api/t/${o.tenant.slug}/tokens`)).body.tokens.find((t: { id: string }) => t.id === id);
    expect(Date.parse(listed.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('API tokens over time (injected clock)', () => {
  function clockedApp(bindings: Partial<Record<keyof Env, unknown>> = {}) {
    const clock = { now: Date.now() };
    const app = createApp({ now: () => clock.now });
    const call = (path: string, init: RequestInit = {}) => app.request(`${ORIGIN}${path}`, init, { ...env, ...bindings } as Env);
    return { clock, call };
  }

  it('answers 401 once the token has expired', async () => {
    const o = await signUp();
    const { clock, call } = clockedApp();
    const expiresAt = new Date(clock.now + 24 * 3_600_000).toISOString();
    const created = await createToken(o.client, o.tenant.slug, { expiresAt });
    expect(created.expiresAt).toBe(expiresAt);
    const url = `/api/t/${o.tenant.slug}/opportunities`;
    const auth = { headers: { authorization: `Bearer ${created.token}` } };
    expect((await call(url, auth)).status).toBe(200);
    clock.now += 24 * 3_600_000 - 1_000;
    expect((await call(url, auth)).status).toBe(200);
    clock.now += 1_000;
    const expired = await call(url, auth);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('content-type')).toContain('application/problem+json');
  });

  it('rate-limits each token per minute with 429 and Retry-After, then lets it through again', async () => {
    const o = await signUp();
    const { clock, call } = clockedApp({ API_TOKEN_RATE_LIMIT: '3' });
    const first = await createToken(o.client, o.tenant.slug);
    const second = await createToken(o.client, o.tenant.slug);
    const url = `/api/t/${o.tenant.slug}/pipelines`;
    const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 3; i++) expect((await call(url, as(first.token))).status).toBe(200);
    clock.now += 10_000;
    const limited = await call(url, as(first.token));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('50');
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    // Per token: the other one is not affected.
    expect((await call(url, as(second.token))).status).toBe(200);
    clock.now += 50_000;
    expect((await call(url, as(first.token))).status).toBe(200);
  });
});
