// API tokens (owners and admins, from a logged-in session): create — the token is in this answer
// only —, list, revoke. Using one: `Authorization: Bearer <token>` (middleware/api-token.ts).
import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { API_TOKEN_ROLES, newApiToken, roleWithin } from '../auth/api-token';
import type { TenantEnv } from '../env';
import { badRequest, forbidden, notFound } from '../errors';
import { adminOnly } from '../middleware/admin';
import { AUTHENTICATED_ERRORS, Instant, TenantParams, jsonBody, jsonResponse, newRouter, requiredName } from '../openapi';

/**
 * Tokens are managed from a logged-in session only: a leaked token must not be able to mint a
 * longer-lived one for itself, nor hide its tracks by revoking others.
 */
function sessionOnly(): MiddlewareHandler<TenantEnv> {
  return async function sessionOnly(c, next) {
    if (c.get('apiToken')) throw forbidden('session_required', 'API tokens are managed from a logged-in session, not with an API token.');
    await next();
  };
}

const TokenRole = z.enum(API_TOKEN_ROLES, { message: 'Use admin, member or viewer.' });

const CreateToken = z
  .object({
    name: requiredName.max(100, { message: 'Use at most 100 characters.' }).openapi({ example: 'Website form' }),
    role: TokenRole,
    expiresAt: z.iso
      .datetime({ offset: true, message: 'Use an ISO 8601 time, e.g. 2027-06-30T00:00:00Z.' })
      .nullable()
      .optional()
      .openapi({ description: 'When the token stops working; omit or null for never' }),
  })
  .openapi('CreateApiToken');

const ApiToken = z
  .object({
    id: z.string(),
    name: z.string(),
    role: TokenRole,
    createdAt: Instant,
    expiresAt: Instant.nullable(),
    lastUsedAt: Instant.nullable().openapi({ description: 'Updated at most once a minute' }),
    createdBy: z.object({ id: z.string(), name: z.string().nullable() }),
  })
  .openapi('ApiToken');

const CreatedToken = z
  .object({
    token: z.string().openapi({ description: 'The secret token. Shown this once: only a hash of it is kept.', example: 'jihui_abc….xyz…' }),
    id: z.string(),
    name: z.string(),
    role: TokenRole,
    expiresAt: Instant.nullable(),
    createdAt: Instant,
  })
  .openapi('CreatedApiToken');

const TokenParams = TenantParams.extend({ tokenId: z.string().min(1).max(64).openapi({ param: { name: 'tokenId', in: 'path' } }) });


export const tokenRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'get', path: '/', tags: ['api tokens'], summary: 'API tokens of the workspace (never their secrets), newest first (owners and admins)',
      middleware: [adminOnly(), sessionOnly()] as const,
      request: { params: TenantParams },
      responses: { 200: jsonResponse(z.object({ tokens: z.array(ApiToken) }), 'The tokens not revoked, expired ones included'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => c.json({ tokens: await c.get('repos').apiTokens.list() }, 200),
  )
  .openapi(
    createRoute({
      method: 'post', path: '/', tags: ['api tokens'], summary: 'Create an API token with a role (at most your own) and an optional expiry; the token is shown once',
      middleware: [adminOnly(), sessionOnly()] as const,
      request: { params: TenantParams, body: jsonBody(CreateToken) },
      responses: { 201: jsonResponse(CreatedToken, 'Created: keep the token now, it cannot be shown again'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const { name, role, expiresAt } = c.req.valid('json');
      const now = c.get('now')();
      if (!roleWithin(role, c.get('role'))) throw forbidden('role_too_high', 'A token cannot have a higher role than yours.');
      const expires = expiresAt ? Date.parse(expiresAt) : null;
      if (expires !== null && expires <= now) throw badRequest([{ path: 'expiresAt', message: 'Choose a time in the future.' }]);
      const created = newApiToken();
      const record = await c.get('repos').apiTokens.create({ id: created.id, secretHash: created.secretHash, name, role, expiresAt: expires }, { userId: c.get('user').id, now });
      c.header('Cache-Control', 'no-store');
      return c.json({ token: created.token, ...record }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'delete', path: '/{tokenId}', tags: ['api tokens'], summary: 'Revoke an API token: it stops working at once (owners and admins)',
      middleware: [adminOnly(), sessionOnly()] as const,
      request: { params: TokenParams },
      responses: { 204: { description: 'Revoked' }, ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      if (!(await c.get('repos').apiTokens.revoke(c.req.valid('param').tokenId, { userId: c.get('user').id, now: c.get('now')() }))) throw notFound();
      return c.body(null, 204);
    },
  );
