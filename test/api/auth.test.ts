import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../worker';
import { ApiClient, ORIGIN, PASSWORD, signUp, uniqueEmail } from '../helpers/api';

const signupBody = (overrides: Record<string, unknown> = {}) => ({
  email: uniqueEmail(),
  password: PASSWORD,
  name: 'Li Na',
  workspaceName: 'Hengda Machinery',
  template: 'b2b-general',
  locale: 'zh-CN',
  ...overrides,
});

describe('POST /api/auth/signup', () => {
  it('creates the user and workspace and answers 201 with both', async () => {
    const client = new ApiClient();
    const response = await client.post('/api/auth/signup', signupBody({ workspaceName: 'Hengda Machinery' }));
    expect(response.status).toBe(201);
    expect(response.body.user).toMatchObject({ name: 'Li Na', locale: 'zh-CN' });
    expect(response.body.tenant).toMatchObject({ name: 'Hengda Machinery' });
    expect(response.body.tenant.slug).toMatch(/^hengda-machinery(-[a-z0-9]+)?$/);
  });

  it('sets an HttpOnly, Secure, SameSite=Lax session cookie for the whole site', async () => {
    const response = await new ApiClient().post('/api/auth/signup', signupBody());
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^__Host-jihui_session=[a-z0-9]+\.[a-z0-9]+;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).toMatch(/Max-Age=\d+/);
  });

  it('gives a Chinese workspace name a neutral unique slug', async () => {
    const a = await new ApiClient().post('/api/auth/signup', signupBody({ workspaceName: '恒达机械' }));
    const b = await new ApiClient().post('/api/auth/signup', signupBody({ workspaceName: '恒达机械' }));
    expect(a.body.tenant.slug).toMatch(/^ws-[a-z0-9]+$/);
    expect(b.body.tenant.slug).not.toBe(a.body.tenant.slug);
  });

  it('defaults the currency and timezone from the locale', async () => {
    const zh = await signUp({ locale: 'zh-CN' });
    const en = await signUp({ locale: 'en' });
    expect((await zh.client.get(`/api/t/${zh.tenant.slug}`)).body.tenant).toMatchObject({ locale: 'zh-CN', currency: 'CNY', timezone: 'Asia/Shanghai' });
    expect((await en.client.get(`/api/t/${en.tenant.slug}`)).body.tenant).toMatchObject({ locale: 'en', currency: 'USD', timezone: 'UTC' });
  });

  it('keeps the time zone the browser sends', async () => {
    const client = new ApiClient();
    const response = await client.post('/api/auth/signup', signupBody({ timezone: 'Europe/Berlin', locale: 'en' }));
    expect((await client.get(`/api/t/${response.body.tenant.slug}`)).body.tenant.timezone).toBe('Europe/Berlin');
  });

  it('answers 400 with one error per invalid field', async () => {
    const response = await new ApiClient().post('/api/auth/signup', signupBody({ email: 'not-an-email', password: 'short', template: 'nope', timezone: 'Mars/Base' }));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const paths = response.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['email', 'password', 'template', 'timezone']);
    for (const error of response.body.errors) expect(error.message).toEqual(expect.any(String));
  });

  it('limits signups from one address to 20 an hour', async () => {
    const client = new ApiClient();
    await env.DB.prepare('insert into login_attempts (key, window_start, count) values (?, ?, 20)').bind(`signup-ip:${client.address}`, Date.now()).run();
    const response = await client.post('/api/auth/signup', signupBody());
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('lets exactly one of two concurrent signups with the same email through, leaving no orphan workspace', async () => {
    const email = uniqueEmail('twin');
    const [a, b] = await Promise.all([
      new ApiClient().post('/api/auth/signup', signupBody({ email, workspaceName: 'Twin One' })),
      new ApiClient().post('/api/auth/signup', signupBody({ email, workspaceName: 'Twin Two' })),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const tenants = await env.DB.prepare(`select count(*) as n from tenants where name in ('Twin One', 'Twin Two')`).first<{ n: number }>();
    expect(tenants!.n).toBe(1);
  });

  it('answers 413 problem+json to a body over 1 MB', async () => {
    const response = await new ApiClient().post('/api/auth/signup', signupBody({ name: 'x'.repeat(1_100_000) }));
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses a common password and one equal to the email', async () => {
    const common = await new ApiClient().post('/api/auth/signup', signupBody({ password: 'Password123' }));
    expect(common.status).toBe(400);
    expect(common.body.errors).toEqual([{ path: 'password', message: expect.stringMatching(/easy to guess/) }]);
    const email = uniqueEmail();
    const same = await new ApiClient().post('/api/auth/signup', signupBody({ email, password: email }));
    expect(same.status).toBe(400);
  });

  it('accepts a 64-character passphrase', async () => {
    const response = await new ApiClient().post('/api/auth/signup', signupBody({ password: '长城'.repeat(8) + 'x'.repeat(48) }));
    expect(response.status).toBe(201);
  });

  it('gives concurrent workspaces with the same name different slugs', async () => {
    const [a, b] = await Promise.all([
      new ApiClient().post('/api/auth/signup', signupBody({ workspaceName: 'Race Condition Co' })),
      new ApiClient().post('/api/auth/signup', signupBody({ workspaceName: 'Race Condition Co' })),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.tenant.slug).not.toBe(b.body.tenant.slug);
  });

  it('answers 400 problem+json to a body that is not JSON', async () => {
    const response = await new ApiClient().post('/api/auth/signup', '{"email": ', { 'content-type': 'application/json' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.text).not.toMatch(/at \w+ \(|SyntaxError|stack/i);
  });

  it('refuses a second account with the same email, whatever its case', async () => {
    const email = uniqueEmail();
    await new ApiClient().post('/api/auth/signup', signupBody({ email }));
    const response = await new ApiClient().post('/api/auth/signup', signupBody({ email: email.toUpperCase() }));
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('email_taken');
  });

  it('stores only a hash of the password, with the Argon2id parameters OWASP lists', async () => {
    // The app as deployed: without the test servers' PASSWORD_KDF variable (see vitest.config.ts).
    const { PASSWORD_KDF: _weak, ...production } = env as typeof env & { PASSWORD_KDF?: string };
    const body = signupBody();
    const response = await worker.fetch(
      new Request(`${ORIGIN}/api/auth/signup`, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      production as typeof env, createExecutionContext(),
    );
    expect(response.status).toBe(201);
    const row = await env.DB.prepare('select password_hash from users where email = ?').bind(body.email).first<{ password_hash: string }>();
    expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row?.password_hash).not.toContain(PASSWORD);
    // The suite's own sign-ups use the cheap test parameters, and only because the variable says so.
    const { email } = await signUp();
    const weak = await env.DB.prepare('select password_hash from users where email = ?').bind(email).first<{ password_hash: string }>();
    expect(weak?.password_hash).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/);
  });
});

describe('POST /api/auth/login', () => {
  it('logs in with the right password and lists the workspaces', async () => {
    const { email, tenant } = await signUp();
    const client = new ApiClient();
    const response = await client.post('/api/auth/login', { email, password: PASSWORD });
    expect(response.status).toBe(200);
    expect(response.body.workspaces).toEqual([{ id: tenant.id, slug: tenant.slug, name: tenant.name, role: 'owner' }]);
    expect((await client.get('/api/auth/me')).status).toBe(200);
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const { email } = await signUp();
    const wrong = await new ApiClient().post('/api/auth/login', { email, password: 'wrong password!' });
    const unknown = await new ApiClient().post('/api/auth/login', { email: uniqueEmail('ghost'), password: 'wrong password!' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = ({ requestId: _r, ...rest }: Record<string, unknown>) => rest;
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(wrong.body.code).toBe('invalid_credentials');
  });

  it('starts a new session on every login', async () => {
    const { client, email } = await signUp();
    const before = client.cookie;
    await client.post('/api/auth/login', { email, password: PASSWORD });
    expect(client.cookie).not.toBe(before);
    const old = new ApiClient();
    old.cookie = before;
    expect((await old.get('/api/auth/me')).status).toBe(401);
  });

  it('blocks an account after 10 failed attempts, even with the right password, and says when to retry', async () => {
    const { email } = await signUp();
    for (let i = 0; i < 10; i++) {
      expect((await new ApiClient().post('/api/auth/login', { email, password: `wrong-${i}-password` })).status).toBe(401);
    }
    const blocked = await new ApiClient().post('/api/auth/login', { email, password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.body.code).toBe('rate_limited');
  });

  it('cannot be outrun by parallel attempts', async () => {
    const { email } = await signUp();
    const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => new ApiClient().post('/api/auth/login', { email, password: `parallel-wrong-${i}` })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
  });

  it('counts one account whatever the case and spacing of its email', async () => {
    const { email } = await signUp();
    for (const variant of [email.toUpperCase(), ` ${email} `, email]) {
      await new ApiClient().post('/api/auth/login', { email: variant, password: 'definitely wrong' });
    }
    const row = await env.DB.prepare('select count from login_attempts where key = ?').bind(`login-account:${email}`).first<{ count: number }>();
    expect(row?.count).toBe(3);
  });

  it('does not charge a successful login to its address', async () => {
    const { email } = await signUp();
    const client = new ApiClient();
    await client.post('/api/auth/login', { email, password: PASSWORD });
    const row = await env.DB.prepare('select count from login_attempts where key = ?').bind(`login-ip:${client.address}`).first<{ count: number }>();
    expect(row?.count ?? 0).toBe(0);
  });

  it('keeps the failure count in D1, not in memory', async () => {
    const email = uniqueEmail('counted');
    await new ApiClient().post('/api/auth/login', { email, password: 'wrong password 1' });
    await new ApiClient().post('/api/auth/login', { email, password: 'wrong password 2' });
    const row = await env.DB.prepare('select count from login_attempts where key = ?').bind(`login-account:${email}`).first<{ count: number }>();
    expect(row?.count).toBe(2);
  });

  it('blocks a client address after 100 failed attempts across accounts', async () => {
    const ip = '203.0.113.77';
    await env.DB.prepare('insert into login_attempts (key, window_start, count) values (?, ?, 100)').bind(`login-ip:${ip}`, Date.now()).run();
    const { email } = await signUp();
    const response = await new ApiClient().post('/api/auth/login', { email, password: PASSWORD }, { 'cf-connecting-ip': ip });
    expect(response.status).toBe(429);
  });
});

describe('sessions', () => {
  it('stores only the SHA-256 of the token secret, never the token', async () => {
    const { client } = await signUp();
    const token = client.cookie!.split('=')[1]!;
    const [id, secret] = token.split('.');
    expect(secret!.length * 5).toBeGreaterThanOrEqual(128);
    const row = await env.DB.prepare('select * from sessions where id = ?').bind(id).first<Record<string, unknown>>();
    expect(row).not.toBeNull();
    expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it('refuses a token whose secret does not match', async () => {
    const { client } = await signUp();
    const [name, token] = client.cookie!.split('=');
    const [id] = token!.split('.');
    const forged = new ApiClient();
    forged.cookie = `${name}=${id}.${'a'.repeat(32)}`;
    expect((await forged.get('/api/auth/me')).status).toBe(401);
  });

  it('ends the session on logout', async () => {
    const { client } = await signUp();
    const cookie = client.cookie;
    const response = await client.post('/api/auth/logout');
    expect(response.status).toBe(204);
    expect(response.headers.get('set-cookie')).toMatch(/jihui_session=;.*Max-Age=0/);
    const replay = new ApiClient();
    replay.cookie = cookie;
    expect((await replay.get('/api/auth/me')).status).toBe(401);
  });

  it('answers /me with 401 problem+json when not logged in', async () => {
    const response = await new ApiClient().get('/api/auth/me');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('same-origin check on state-changing requests', () => {
  it('refuses a mutation with neither Sec-Fetch-Site nor Origin', async () => {
    const response = await new ApiClient({}).post('/api/auth/signup', signupBody());
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('cross_site_request');
  });

  it('refuses a cross-site mutation', async () => {
    const response = await new ApiClient({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }).post('/api/auth/signup', signupBody());
    expect(response.status).toBe(403);
  });

  it('refuses a same-site (sibling subdomain) mutation', async () => {
    const response = await new ApiClient({ 'sec-fetch-site': 'same-site' }).post('/api/auth/signup', signupBody());
    expect(response.status).toBe(403);
  });

  it('refuses an Origin from another host when Sec-Fetch-Site is absent', async () => {
    const response = await new ApiClient({ origin: 'http://localhost.evil.example' }).post('/api/auth/logout');
    expect(response.status).toBe(403);
  });

  it('accepts Sec-Fetch-Site: same-origin without an Origin header', async () => {
    const response = await new ApiClient({ 'sec-fetch-site': 'same-origin' }).post('/api/auth/signup', signupBody());
    expect(response.status).toBe(201);
  });

  it('lets reads through without proof of origin', async () => {
    expect((await new ApiClient({}).get('/api/templates')).status).toBe(200);
  });
});
