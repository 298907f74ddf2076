/**
 * Cross-site request forgery defence for every state-changing request.
 *
 * SameSite=Lax cookies still ride along on top-level cross-site POSTs, and hono/csrf only checks
 * form content types, so JSON bodies need this: a mutating request must prove it comes from our
 * own origin through Sec-Fetch-Site (sent by every current browser) or, failing that, Origin.
 * A request with neither header is refused — a browser always sends one of them on POST.
 * Requests authenticated by an API token (middleware/api-token.ts) carry no cookie to abuse and
 * pass; a request with a cookie and no bearer token is checked as always.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { forbidden } from '../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sameOrigin(): MiddlewareHandler<AppEnv> {
  return async function sameOrigin(c, next) {
    if (SAFE_METHODS.has(c.req.method) || c.get('apiToken')) return next();
    const site = c.req.header('sec-fetch-site');
    if (site !== undefined) {
      if (site === 'same-origin') return next();
      throw forbidden('cross_site_request', 'This request did not come from Jihui itself.');
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && origin === new URL(c.req.url).origin) return next();
    throw forbidden('cross_site_request', 'This request did not come from Jihui itself.');
  };
}
