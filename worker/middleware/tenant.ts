/**
 * Resolves `/api/t/:tenant/...` to a tenant the logged-in user belongs to and hands the routes
 * `tenantRepos(db, tenantId, viewer)` — their only way to tenant data. A slug that does not exist
 * and a slug the user is not a member of answer the same 404, so slugs cannot be probed.
 * Viewers get 403 on every state-changing request; finer role checks stay in the routes.
 */
import type { MiddlewareHandler } from 'hono';
import { tenantDatabase } from '../../db/client';
import type { TenantEnv } from '../env';
import { forbidden, notFound, unauthorized } from '../errors';
import { tenantRepos } from '../repos/tenant';

export function tenantScope(): MiddlewareHandler<TenantEnv> {
  return async function tenantScope(c, next) {
    const user = c.get('user');
    if (!user) throw unauthorized();
    const slug = c.req.param('tenant');
    // Usually read together with the session (middleware/session.ts); looked up only otherwise.
    const prefetched = c.get('membership');
    const membership = prefetched !== undefined ? prefetched : slug ? await c.get('identity').membershipBySlug(user.id, slug) : null;
    if (!membership) throw notFound();
    const { tenant, role } = membership;
    // Viewers read only: every state-changing tenant route is closed to them here, in one place.
    if (role === 'viewer' && !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      throw forbidden('read_only', 'Your role can view this workspace but not change it.');
    }
    c.set('tenant', tenant);
    c.set('role', role);
    c.set('repos', tenantRepos(tenantDatabase(c.env, tenant.id), tenant.id, { userId: user.id, role, ownOnly: tenant.membersSeeOwnOnly, apiTokenId: c.get('apiToken')?.id ?? null }));
    await next();
  };
}
