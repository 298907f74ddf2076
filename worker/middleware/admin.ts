/**
 * Workspace administration (pipelines and stages, catalogs, team, settings, audit) is for owners
 * and admins: members and viewers get 403 here, before any route code runs.
 */
import type { MiddlewareHandler } from 'hono';
import type { TenantEnv } from '../env';
import { forbidden } from '../errors';

export const isAdmin = (role: string) => role === 'owner' || role === 'admin';

export function adminOnly(): MiddlewareHandler<TenantEnv> {
  return async function adminOnly(c, next) {
    if (!isAdmin(c.get('role'))) throw forbidden('admin_only', 'Only owners and admins of this workspace can do this.');
    await next();
  };
}

/**
 * Team reports (statistics, forecasts) show everyone's deals. In a workspace whose members see only
 * their own opportunities, members and viewers get 403 `reports_restricted`; owners and admins read on.
 */
export function reportsAccess(): MiddlewareHandler<TenantEnv> {
  return async function reportsAccess(c, next) {
    if (c.get('tenant').membersSeeOwnOnly && !isAdmin(c.get('role'))) {
      throw forbidden('reports_restricted', 'In this workspace members see only their own opportunities, so team reports and forecasts are for owners and admins.');
    }
    await next();
  };
}
