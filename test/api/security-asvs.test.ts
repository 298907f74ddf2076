// OWASP ASVS 5.0 (V6 authentication, V7 session management, V3 web front-end) checks that are not
// already pinned elsewhere: test/api/auth.test.ts (login, lockout, hashes at rest, logout, cookie
// attributes) and test/unit/session.test.ts (token entropy, inactivity/absolute timeouts with a fake
// clock). Here: cross-site and origin-less mutations on EVERY mutating route of the route table, and
// password changes ending every session.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app';
import { ApiClient, PASSWORD, signUp } from '../helpers/api';

/** Every state-changing route and method in the app's own route table. */
function mutatingRoutes(): string[] {
  const seen = new Set<string>();
  for (const route of createApp().routes) {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method) || !route.path.startsWith('/api/')) continue;
    seen.add(`${route.method} ${route.path}`);
  }
  return [...seen].sort();
}

describe('cross-site request forgery defence on every mutating route', () => {
  const routes = mutatingRoutes();

  it('finds the mutating routes in the route table', () => {
    expect(routes.length).toBeGreaterThan(30);
    console.log(`mutating routes checked: ${routes.length}`);
  });

  it.each(routes)('%s refuses cross-site and origin-less requests with a session cookie', async (key) => {
    const { client, tenant } = await signUp();
    const [method, template] = key.split(' ') as [string, string];
    const path = template.replace(':tenant', tenant.slug).replace(/:(\w+)/g, (_, name: string) => `x-${name}`);
    const variants: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-site' },
      {},
    ];
    for (const headers of variants) {
      const attacker = new ApiClient(headers);
      attacker.cookie = client.cookie;
      const response = await attacker.request(method, path, {});
      expect(response.status, `${key} with ${JSON.stringify(headers)}`).toBe(403);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.code).toBe('cross_site_request');
    }
  });
});

describe('password change (ASVS V6.2)', () => {
  const NEW_PASSWORD = 'a-new-long-passphrase-2026';

  it('ends every session of the account and starts a new one in this browser', async () => {
    const { client, email } = await signUp();
    const laptop = client.cookie;
    const phone = new ApiClient();
    expect((await phone.post('/api/auth/login', { email, password: PASSWORD })).status).toBe(200);
    const phoneCookie = phone.cookie;

    const response = await client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(response.status).toBe(204);
    expect(client.cookie).not.toBe(laptop);
    expect((await client.get('/api/auth/me')).status).toBe(200);

    for (const cookie of [laptop, phoneCookie]) {
      const old = new ApiClient();
      old.cookie = cookie;
      expect((await old.get('/api/auth/me')).status).toBe(401);
    }
    const user = (await client.get('/api/auth/me')).body.user.id as string;
    const rows = await env.DB.prepare('select count(*) as n from sessions where user_id = ?').bind(user).first<{ n: number }>();
    expect(rows?.n).toBe(1);

    expect((await new ApiClient().post('/api/auth/login', { email, password: PASSWORD })).status).toBe(401);
    expect((await new ApiClient().post('/api/auth/login', { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it('refuses a wrong current password, a short, a common and an email-equal new password, changing nothing', async () => {
    const { client, email } = await signUp();
    const cases: [Record<string, string>, string][] = [
      [{ currentPassword: 'not-the-password', newPassword: NEW_PASSWORD }, 'currentPassword'],
      [{ currentPassword: PASSWORD, newPassword: 'short7c' }, 'newPassword'],
      [{ currentPassword: PASSWORD, newPassword: 'password123' }, 'newPassword'],
      [{ currentPassword: PASSWORD, newPassword: email }, 'newPassword'],
    ];
    for (const [body, field] of cases) {
      const response = await client.post('/api/auth/password', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    }
    expect((await client.get('/api/auth/me')).status).toBe(200);
    expect((await new ApiClient().post('/api/auth/login', { email, password: PASSWORD })).status).toBe(200);
  });

  it('accepts a 64-character passphrase and more', async () => {
    const { client, email } = await signUp();
    const long = 'correct horse battery staple '.repeat(4).slice(0, 100);
    expect((await client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: long })).status).toBe(204);
    expect((await new ApiClient().post('/api/auth/login', { email, password: long })).status).toBe(200);
  });

  it('counts wrong current passwords like failed logins: the 11th is refused with 429', async () => {
    const { client } = await signUp();
    for (let i = 0; i < 10; i++) {
      expect((await client.post('/api/auth/password', { currentPassword: `wrong-${i}-password`, newPassword: NEW_PASSWORD })).status).toBe(400);
    }
    const blocked = await client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('needs a logged-in session', async () => {
    const response = await new ApiClient().post('/api/auth/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(response.status).toBe(401);
  });
});
