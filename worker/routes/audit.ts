// The audit log (owners and admins): GET /api/t/:tenant/audit, newest first, keyset-paginated.
import { createRoute, z } from '@hono/zod-openapi';
import type { TenantEnv } from '../env';
import { badRequest } from '../errors';
import { adminOnly } from '../middleware/admin';
import { AUTHENTICATED_ERRORS, Instant, TenantParams, jsonResponse, newRouter } from '../openapi';
import { addDays, isCalendarDate, localTimeToInstant } from '../services/dates';

export const AUDIT_ENTITY_TYPES = [
  'settings', 'pipeline', 'stage', 'opportunity_type', 'source', 'lost_reason', 'product', 'member', 'invitation', 'ownership', 'opportunity', 'statistics', 'api_token', 'import',
] as const;

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const dateOrInstant = z
  .string()
  .refine((value) => (INSTANT.test(value) && !Number.isNaN(Date.parse(value))) || isCalendarDate(value), {
    message: 'Use a date (2026-11-28) or an instant (2026-11-28T09:00:00Z).',
  })
  .optional();

const AuditQuery = z.object({
  entityType: z.enum(AUDIT_ENTITY_TYPES, { message: `Use one of: ${AUDIT_ENTITY_TYPES.join(', ')}.` }).optional(),
  action: z.string().trim().min(1).max(50).optional(),
  actorUserId: z.string().trim().min(1).max(64).optional(),
  from: dateOrInstant.openapi({ description: 'Inclusive; a date means its start in the workspace time zone' }),
  to: dateOrInstant.openapi({ description: 'A date includes that whole day (workspace time zone); an instant is exclusive' }),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number({ message: 'Use a whole number from 1 to 100.' }).int({ message: 'Use a whole number from 1 to 100.' }).min(1, { message: 'Use a whole number from 1 to 100.' }).max(100, { message: 'Use a whole number from 1 to 100.' }).default(50),
});

const AuditEntrySchema = z
  .object({
    id: z.string(),
    actorUserId: z.string().nullable(),
    actorName: z.string().nullable(),
    actorTokenId: z.string().nullable().openapi({ description: 'Set when the change came through an API token; the actor is its creator' }),
    actorTokenName: z.string().nullable(),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string().nullable(),
    before: z.unknown().openapi({ description: 'The changed fields before (null on create)' }),
    after: z.unknown().openapi({ description: 'The changed fields after (null on delete)' }),
    at: Instant,
  })
  .openapi('AuditEntry');

export const auditRoutes = newRouter<TenantEnv>().openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['audit'],
    summary: 'The audit log, newest first, filtered and paginated (owners and admins)',
    middleware: [adminOnly()] as const,
    request: { params: TenantParams, query: AuditQuery },
    responses: {
      200: jsonResponse(z.object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }), 'A page of entries'),
      ...AUTHENTICATED_ERRORS,
    },
  }),
  async (c) => {
    const query = c.req.valid('query');
    const timeZone = c.get('tenant').timezone;
    const from = query.from === undefined ? undefined : isCalendarDate(query.from) ? localTimeToInstant(query.from, 0, timeZone) : Date.parse(query.from);
    const to = query.to === undefined ? undefined : isCalendarDate(query.to) ? localTimeToInstant(addDays(query.to, 1), 0, timeZone) : Date.parse(query.to);
    if (from !== undefined && to !== undefined && from >= to) throw badRequest([{ path: 'query.to', message: 'Make “to” later than “from”.' }]);
    const page = await c.get('repos').audit.list({ ...query, from, to });
    if (!page) throw badRequest([{ path: 'query.cursor', message: 'This cursor is not valid; start again from the first page.' }]);
    return c.json(page, 200);
  },
);
