// Behaviour that needs a moved clock or a failing database: the app is built with an injected
// clock and called directly (app.request) with real or faulty bindings.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ABSOLUTE_TIMEOUT_MS, ACTIVITY_CHECK_INTERVAL_MS, INACTIVITY_TIMEOUT_MS } from '../../worker/auth/session';
import { createApp } from '../../worker/app';
import { ORIGIN, PASSWORD, uniqueEmail } from '../helpers/api';

const HOUR = 3_600_000;

function clockedApp(start = Date.now()) {
  const clock = { now: start };
  const app = createApp({ now: () => clock.now });
  const call = (path: string, init: RequestInit = {}, bindings: Env = env) => app.request(`${ORIGIN}${path}`, init, bindings);
  return { clock, call };
}

async function signUpWith(call: ReturnType<typeof clockedApp>['call']) {
  const response = await call('/api/auth/signup', {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/json', 'cf-connecting-ip': '192.0.2.10' },
    body: JSON.stringify({ email: uniqueEmail(), password: PASSWORD, name: 'Clock', workspaceName: 'Clockwork', template: 'blank' }),
  });
  expect(response.status).toBe(201);
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

describe('session expiry over HTTP', () => {
  it('slides the cookie forward when used after the activity interval', async () => {
    const { clock, call } = clockedApp();
    const cookie = await signUpWith(call);
    clock.now += ACTIVITY_CHECK_INTERVAL_MS + 1;
    const response = await call('/api/auth/me', { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toMatch(new RegExp(`Max-Age=${INACTIVITY_TIMEOUT_MS / 1000}`));
  });

  it('ends a session left unused for the inactivity timeout', async () => {
    const { clock, call } = clockedApp();
    const cookie = await signUpWith(call);
    clock.now += INACTIVITY_TIMEOUT_MS;
    const response = await call('/api/auth/me', { headers: { cookie } });
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });

  it('ends a session at the absolute timeout even when used daily', async () => {
    const { clock, call } = clockedApp();
    const cookie = await signUpWith(call);
    const start = clock.now;
    while (clock.now + 24 * HOUR < start + ABSOLUTE_TIMEOUT_MS) {
      clock.now += 24 * HOUR;
      expect((await call('/api/auth/me', { headers: { cookie } })).status).toBe(200);
    }
    clock.now = start + ABSOLUTE_TIMEOUT_MS;
    expect((await call('/api/auth/me', { headers: { cookie } })).status).toBe(401);
  });
});

describe('database failures', () => {
  const failing = (message: string) =>
    ({
      ...env,
      DB: new Proxy(env.DB, {
        get(target, property) {
          if (property === 'prepare' || property === 'batch' || property === 'exec') return () => { throw new Error(message); };
          return Reflect.get(target, property);
        },
      }),
    }) as Env;

  it('answer a retryable D1 error with 503 problem+json and a retry hint, without SQL', async () => {
    const { call } = clockedApp();
    const response = await call('/api/auth/login', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ email: uniqueEmail(), password: 'whatever it is' }),
    }, failing('D1_ERROR: Network connection lost.'));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const text = await response.text();
    expect(text).not.toMatch(/select|insert|login_attempts|D1_ERROR/i);
  });

  it('answer any other failure with a 500 problem that reveals nothing internal', async () => {
    const { call } = clockedApp();
    const response = await call('/api/auth/login', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ email: uniqueEmail(), password: 'whatever it is' }),
    }, failing('SQLITE_CORRUPT: database disk image is malformed'));
    expect(response.status).toBe(500);
    const body = await response.json<Record<string, unknown>>();
    expect(body).toMatchObject({ status: 500, code: 'internal', requestId: expect.any(String) });
    expect(JSON.stringify(body)).not.toMatch(/SQLITE|malformed|at .*\.ts/);
  });

  it('report the database down on the health check with 503', async () => {
    const { call } = clockedApp();
    const response = await call('/api/health', {}, failing('D1_ERROR: Network connection lost.'));
    expect(response.status).toBe(503);
  });
});

describe('statements per request', () => {
  it('reads the session, its user and the workspace membership in one D1 statement', async () => {
    const { call } = clockedApp();
    const cookie = await signUpWith(call);
    const me = await call('/api/auth/me', { headers: { cookie } });
    const { workspaces } = await me.json<{ workspaces: { slug: string }[] }>();
    let prepared = 0;
    const counting = {
      ...env,
      DB: new Proxy(env.DB, {
        get(target, property) {
          if (property === 'prepare') return (query: string) => (prepared++, target.prepare(query));
          const value = Reflect.get(target, property);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
    } as Env;
    const response = await call(`/api/t/${workspaces[0]!.slug}`, { headers: { cookie } }, counting);
    expect(response.status).toBe(200);
    expect(prepared).toBe(1);
  });

  it('still tells a stranger’s workspace (404) from a missing session (401)', async () => {
    const { call } = clockedApp();
    const cookie = await signUpWith(call);
    expect((await call('/api/t/somebody-elses', { headers: { cookie } })).status).toBe(404);
    expect((await call('/api/t/somebody-elses', {})).status).toBe(401);
    expect((await call('/api/t/%E0%A4%A', { headers: { cookie } })).status).toBe(404);
  });
});
