/**
 * Reads the session cookie, validates it (auth/session.ts) and puts the user on the context.
 * Refreshes the cookie's Max-Age when the session slides forward; clears a dead cookie.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { SESSION_COOKIE, sessionMaxAgeSeconds, validateSessionToken, type StoredSession } from '../auth/session';
import type { AppEnv } from '../env';
import { unauthorized } from '../errors';

const WORKSPACE_PATH = /^\/api\/t\/([^/]+)/;

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function sessionReader(): MiddlewareHandler<AppEnv> {
  return async function sessionReader(c, next) {
    // A bearer-authenticated request (middleware/api-token.ts) is not read as a session.
    const token = c.get('apiToken') ? undefined : getCookie(c, SESSION_COOKIE);
    if (token) {
      const identity = c.get('identity');
      const now = c.get('now')();
      // Under /api/t/:slug the membership comes along with the session in the same statement.
      const slug = WORKSPACE_PATH.exec(c.req.path)?.[1];
      const store = slug ? identity.sessionsInWorkspace(safeDecode(slug)) : identity.sessions;
      const result = await validateSessionToken(store, token, now);
      const found = result.session?.user;
      if (result.session && found) {
        const { membership, ...user } = found;
        c.set('user', user);
        c.set('sessionId', result.session.id);
        if (slug) c.set('membership', membership ?? null);
        if (result.refreshed) writeSessionCookie(c, token, result.session, now);
      } else {
        clearSessionCookie(c);
      }
    }
    await next();
  };
}

export function requireUser(): MiddlewareHandler<AppEnv> {
  return async function requireUser(c, next) {
    if (!c.get('user')) throw unauthorized();
    await next();
  };
}

export function writeSessionCookie(c: Context, token: string, session: StoredSession, now: number) {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    path: '/',
    maxAge: sessionMaxAgeSeconds(session, now),
  });
}

export function clearSessionCookie(c: Context) {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
}
