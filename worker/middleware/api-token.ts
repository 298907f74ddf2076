/**
 * `Authorization: Bearer <API token>` on /api/t/:tenant/... (auth/api-token.ts has the security
 * model). Runs before the same-origin check and the session reader: a valid token puts its
 * creator and the membership it grants on the context, and both of those then stand aside. On
 * any other path a bearer header is ignored — a token is not a session.
 *
 * Answers: a malformed, unknown, revoked or expired token → 401; a token of another tenant → 404
 * (exactly like any workspace the caller does not belong to); over the per-token rate → 429.
 */
import type { MiddlewareHandler } from 'hono';
import {
  API_TOKEN_LAST_USED_INTERVAL_MS, API_TOKEN_RATE_WINDOW_MS, lesserRole, parseApiToken, rateLimitFrom, secretMatches,
} from '../auth/api-token';
import type { AppEnv } from '../env';
import { ProblemError, notFound } from '../errors';

const WORKSPACE_PATH = /^\/api\/t\/([^/]+)/;
const BEARER = /^Bearer[ \t]+([^ \t]+)[ \t]*$/i;

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const invalidToken = () =>
  new ProblemError(401, 'invalid_token', 'Unauthorized', 'This API token is not valid: it may be mistyped, revoked or expired.');

const tokenRateLimited = (retryAfter: number) =>
  new ProblemError(429, 'rate_limited', 'Too many requests', `This API token made too many requests. Try again in ${retryAfter} seconds.`, { retryAfter });

/** True when the request carries an Authorization header with the Bearer scheme. */
export const hasBearer = (header: string | undefined) => header !== undefined && /^Bearer\b/i.test(header.trimStart());

export function bearerAuth(): MiddlewareHandler<AppEnv> {
  return async function bearerAuth(c, next) {
    const header = c.req.header('authorization');
    const slug = WORKSPACE_PATH.exec(c.req.path)?.[1];
    if (!slug || !hasBearer(header)) return next();
    const parsed = parseApiToken(BEARER.exec(header!.trim())?.[1] ?? '');
    if (!parsed) throw invalidToken();
    const identity = c.get('identity');
    const now = c.get('now')();
    const grant = await identity.findApiToken(parsed.id);
    if (!grant || !secretMatches(parsed.secret, grant.secretHash)) throw invalidToken();
    if (grant.revokedAt !== null || (grant.expiresAt !== null && grant.expiresAt <= now) || grant.creatorRole === null) throw invalidToken();
    // A token works in its own workspace only; anywhere else it is "no such workspace".
    if (grant.tenant.slug !== safeDecode(slug)) throw notFound();
    const wait = await identity.useApiToken(grant.id, now, rateLimitFrom(c.env.API_TOKEN_RATE_LIMIT), API_TOKEN_RATE_WINDOW_MS, API_TOKEN_LAST_USED_INTERVAL_MS);
    if (wait > 0) throw tokenRateLimited(wait);
    c.set('user', grant.creator);
    c.set('membership', { tenant: grant.tenant, role: lesserRole(grant.role, grant.creatorRole) });
    c.set('apiToken', { id: grant.id, name: grant.name });
    await next();
  };
}
