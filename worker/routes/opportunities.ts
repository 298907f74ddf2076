import { createRoute, z } from '@hono/zod-openapi';
import type { TenantEnv } from '../env';
import { ProblemError, badRequest, conflict, notFound } from '../errors';
import { AUTHENTICATED_ERRORS, TenantParams, Version, jsonBody, jsonResponse, newRouter, staleVersionResponse } from '../openapi';
import { ACTIVITY_KINDS, type ActivityRecord } from '../repos/activities';
import { OPPORTUNITY_SORTS, type OpportunityRecord, type WriteRefusal } from '../repos/opportunities';
import { decodeCursor } from '../repos/scope';
import { isCalendarDate } from '../services/dates';

// ---------- schemas (the public contract: field names as the issue lists them) ----------

const Id = z.string().min(1).max(64);
const CalendarDate = z.string().refine(isCalendarDate, { message: 'Use a date like 2026-12-31.' });
const Money = z.number().int({ message: 'Use whole minor units (cents / 分).' }).min(0).max(1e13);
const ShortText = (max: number) => z.string().trim().max(max);

const ProductLine = z.object({ productId: Id, quantity: z.number().int().min(1).max(1_000_000), unitPrice: Money.optional() });
const ContactLink = z.object({ contactId: Id, role: ShortText(80).nullable().optional() });

const EditableFields = z.object({
  title: ShortText(200).min(1, { message: 'Give the opportunity a title.' }),
  accountId: Id.nullable(),
  accountName: ShortText(200).min(1),
  primaryContactId: Id.nullable(),
  ownerId: Id,
  typeId: Id.nullable(),
  sourceId: Id.nullable(),
  amount: Money.nullable(),
  expectedCloseDate: CalendarDate.nullable(),
  probability: z.number().int().min(0).max(100).nullable(),
  needs: ShortText(5000).nullable(),
  notes: ShortText(5000).nullable(),
  lostReasonId: Id.nullable(),
  // ≤ 50 each: one lookup binds the ids plus the tenant, within D1's 100 parameters.
  products: z.array(ProductLine).max(50),
  contacts: z.array(ContactLink).max(50),
});

const oneAccount = (v: { accountId?: unknown; accountName?: unknown }) => !(v.accountId && v.accountName);
const ACCOUNT_CHOICE = { message: 'Pick an account or type a new name, not both.', path: ['accountName'] };

const CreateOpportunity = EditableFields.partial()
  .extend({
    title: EditableFields.shape.title, pipelineId: Id.optional(), stageId: Id.optional(),
    at: z.enum(['top', 'bottom']).optional().openapi({ description: 'Where in its column the card goes; default bottom' }),
  })
  .refine(oneAccount, ACCOUNT_CHOICE)
  .openapi('CreateOpportunity');

const PatchOpportunity = EditableFields.partial()
  .extend({ version: Version })
  .refine(oneAccount, ACCOUNT_CHOICE)
  .openapi('PatchOpportunity');

const MoveOpportunity = EditableFields.partial()
  .extend({ stageId: Id, version: Version, beforeId: Id.optional(), afterId: Id.optional() })
  .refine((v) => !(v.beforeId && v.afterId), { message: 'Give beforeId or afterId, not both.', path: ['afterId'] })
  .refine(oneAccount, ACCOUNT_CHOICE)
  .openapi('MoveOpportunity');

export const Card = z
  .object({
    id: z.string(), title: z.string(), pipelineId: z.string(), stageId: z.string(), status: z.enum(['open', 'won', 'lost']),
    amount: z.number().int().nullable(), accountId: z.string().nullable(), accountName: z.string().nullable(), primaryContactId: z.string().nullable(),
    ownerId: z.string(), ownerName: z.string().nullable(), typeId: z.string().nullable(), sourceId: z.string().nullable(), lostReasonId: z.string().nullable(),
    expectedCloseDate: z.string().nullable(), probability: z.number().int().nullable().openapi({ description: 'Override; null = the stage’s' }),
    effectiveProbability: z.number().int(), needs: z.string().nullable(), notes: z.string().nullable(), position: z.string(), version: z.number().int(),
    stageEnteredAt: z.string(), closedAt: z.string().nullable(), lastActivityAt: z.string().nullable(), nextActivityAt: z.string().nullable(),
    createdAt: z.string(), updatedAt: z.string(),
  })
  .openapi('OpportunityCard');

const Opportunity = Card.extend({
  contacts: z.array(z.object({ contactId: z.string(), role: z.string().nullable(), name: z.string(), title: z.string().nullable(), phone: z.string().nullable(), email: z.string().nullable(), wechat: z.string().nullable(), isKey: z.boolean() })),
  products: z.array(z.object({ id: z.string(), productId: z.string(), name: z.string(), quantity: z.number().int(), unitPrice: z.number().int() })),
}).openapi('Opportunity');

export const FilterQuery = z.object({
  pipelineId: Id.optional(),
  stageId: Id.optional(),
  ownerId: Id.optional().openapi({ description: 'A member id, or "me"' }),
  typeId: Id.optional(),
  sourceId: Id.optional(),
  productId: Id.optional(),
  status: z.enum(['open', 'won', 'lost']).optional(),
  closeFrom: CalendarDate.optional(),
  closeTo: CalendarDate.optional(),
  q: z.string().max(200).optional(),
});

const ListQuery = FilterQuery.extend({
  sort: z.enum(OPPORTUNITY_SORTS).default('createdAt'),
  direction: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

const OpportunityParams = TenantParams.extend({ id: Id.openapi({ param: { name: 'id', in: 'path' } }) });
const ActivityParams = OpportunityParams.extend({ activityId: Id.openapi({ param: { name: 'activityId', in: 'path' } }) });

const Activity = z
  .object({
    id: z.string(), opportunityId: z.string(), kind: z.enum(ACTIVITY_KINDS), subject: z.string(), state: z.enum(['planned', 'done']),
    dueAt: z.string().nullable(), expectedResult: z.string().nullable(), doneAt: z.string().nullable(), outcome: z.string().nullable(),
    feedback: z.string().nullable(), ownerId: z.string(), ownerName: z.string().nullable(), version: z.number().int(), createdAt: z.string(), updatedAt: z.string(),
  })
  .openapi('Activity');

const Instant = z.iso.datetime({ offset: true, message: 'Use an ISO 8601 time, e.g. 2026-12-01T09:30:00+08:00.' }).transform((v) => Date.parse(v));
const ActivityFields = z.object({
  kind: z.enum(ACTIVITY_KINDS),
  subject: ShortText(200).min(1, { message: 'Say what the follow-up is about.' }),
  dueAt: Instant.nullable(),
  expectedResult: ShortText(2000).nullable(),
  doneAt: Instant.nullable(),
  outcome: ShortText(5000).nullable(),
  feedback: ShortText(5000).nullable(),
});
const CreateActivity = ActivityFields.partial({ dueAt: true, expectedResult: true, doneAt: true, outcome: true, feedback: true })
  .refine((v) => v.dueAt != null || v.doneAt != null, { message: 'A follow-up is either planned (dueAt) or done (doneAt).', path: ['dueAt'] })
  .openapi('CreateActivity');
const PatchActivity = ActivityFields.partial().extend({ version: Version }).openapi('PatchActivity');

// ---------- helpers ----------

/** A cursor this list handed out for `sort`: [sort value, id]. */
function cursorFits(values: (string | number | null)[], sort: (typeof OPPORTUNITY_SORTS)[number]): boolean {
  const [value, id] = values;
  const numeric = sort === 'amount' || sort === 'createdAt' || sort === 'updatedAt';
  return values.length === 2 && typeof id === 'string' && (numeric ? typeof value === 'number' : typeof value === 'string');
}

/** Turns a refused write into the problem the issue specifies (404 / 400 / 409 / 422). */
function refusal(result: WriteRefusal): never {
  switch (result.kind) {
    case 'not_found':
      throw notFound();
    case 'invalid_reference':
      throw badRequest(result.paths.map((path) => ({ path, message: 'Not found in this workspace.' })));
    case 'stale_version':
      throw conflict('stale_version', 'Someone changed this opportunity meanwhile. Here is the current version.', { current: result.current });
    case 'invalid_value':
      throw badRequest(result.errors);
    case 'busy':
      throw new ProblemError(503, 'busy', 'Service unavailable', 'Many changes to this column at once. Please try again.', { retryAfter: 1 });
    case 'missing_fields':
      throw new ProblemError(422, 'missing_required_fields', 'Required fields missing', `Fill in ${result.fields.join(', ')} to enter this stage.`, {
        missingFields: result.fields,
        stageId: result.stageId,
      });
  }
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: z.any() } } });
const WRITE_ERRORS = { ...AUTHENTICATED_ERRORS, 409: staleVersionResponse(Opportunity, 'StaleOpportunity'), 422: problem('Missing fields: `missingFields` names them') } as const;

// ---------- routes ----------

export const opportunityRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'get', path: '/', tags: ['opportunities'], summary: 'List opportunities (filters, sort, cursor pagination, totals)',
      request: { params: TenantParams, query: ListQuery },
      responses: {
        200: jsonResponse(z.object({ opportunities: z.array(Card), nextCursor: z.string().nullable(), totals: z.object({ count: z.number().int(), amount: z.number().int(), weightedAmount: z.number().int() }) }), 'A page'),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const { sort, direction, limit, cursor, ...filter } = c.req.valid('query');
      const decoded = cursor ? decodeCursor(cursor) : undefined;
      if (decoded === null || (decoded && !cursorFits(decoded, sort))) {
        throw badRequest([{ path: 'cursor', message: 'This cursor is not valid; start from the first page.' }]);
      }
      if (filter.ownerId === 'me') filter.ownerId = c.get('user').id;
      return c.json(await c.get('repos').opportunities.list(filter, { sort, direction, limit, cursor: decoded }), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post', path: '/', tags: ['opportunities'], summary: 'Create an opportunity (account by id or by a new name)',
      request: { params: TenantParams, body: jsonBody(CreateOpportunity) },
      responses: { 201: jsonResponse(Opportunity, 'Created'), ...WRITE_ERRORS },
    }),
    async (c) => {
      const result = await c.get('repos').opportunities.create(c.req.valid('json'), { userId: c.get('user').id, now: c.get('now')() });
      if (!result.ok) refusal(result);
      return c.json(result.value, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get', path: '/{id}', tags: ['opportunities'], summary: 'One opportunity with contacts and product lines',
      request: { params: OpportunityParams },
      responses: { 200: jsonResponse(Opportunity, 'The opportunity'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const opportunity = await c.get('repos').opportunities.get(c.req.valid('param').id);
      if (!opportunity) throw notFound();
      return c.json(opportunity satisfies OpportunityRecord, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'patch', path: '/{id}', tags: ['opportunities'], summary: 'Change fields (with the version read); stage changes go through /move',
      request: { params: OpportunityParams, body: jsonBody(PatchOpportunity) },
      responses: { 200: jsonResponse(Opportunity, 'Updated'), ...WRITE_ERRORS },
    }),
    async (c) => {
      const { version, ...fields } = c.req.valid('json');
      const result = await c.get('repos').opportunities.update(c.req.valid('param').id, version, fields, { userId: c.get('user').id, now: c.get('now')() });
      if (!result.ok) refusal(result);
      return c.json(result.value, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete', path: '/{id}', tags: ['opportunities'], summary: 'Delete an opportunity with its follow-ups and history',
      request: { params: OpportunityParams },
      responses: { 204: { description: 'Deleted' }, ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      if (!(await c.get('repos').opportunities.remove(c.req.valid('param').id))) throw notFound();
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'post', path: '/{id}/move', tags: ['opportunities'], summary: 'Move to a stage and/or position; may carry fields the stage requires',
      request: { params: OpportunityParams, body: jsonBody(MoveOpportunity) },
      responses: { 200: jsonResponse(Opportunity, 'Moved'), ...WRITE_ERRORS },
    }),
    async (c) => {
      const { stageId, version, beforeId, afterId, ...fields } = c.req.valid('json');
      const result = await c.get('repos').opportunities.move(c.req.valid('param').id, { stageId, version, beforeId, afterId, fields }, { userId: c.get('user').id, now: c.get('now')() });
      if (!result.ok) refusal(result);
      return c.json(result.value, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get', path: '/{id}/history', tags: ['opportunities'], summary: 'Stage changes with time spent in each stage',
      request: { params: OpportunityParams },
      responses: {
        200: jsonResponse(
          z.object({
            history: z.array(z.object({
              id: z.string(), fromStageId: z.string().nullable(), fromStageName: z.string().nullable(), toStageId: z.string(), toStageName: z.string().nullable(),
              changedAt: z.string(), leftAt: z.string().nullable(), durationMs: z.number().int(), changedBy: z.string(), changedByName: z.string().nullable(), amount: z.number().int().nullable(),
            })),
          }),
          'Oldest first; the last entry is the current stage (leftAt null, duration until now)',
        ),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const history = await c.get('repos').opportunities.history(c.req.valid('param').id, c.get('now')());
      if (!history) throw notFound();
      return c.json({ history }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get', path: '/{id}/activities', tags: ['follow-ups'], summary: 'Follow-up plans and records of an opportunity',
      request: { params: OpportunityParams },
      responses: { 200: jsonResponse(z.object({ activities: z.array(Activity) }), 'Plans (by due time), then records (newest first)'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const repos = c.get('repos');
      if (!(await repos.opportunities.exists(id))) throw notFound();
      return c.json({ activities: await repos.activities.list(id) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post', path: '/{id}/activities', tags: ['follow-ups'], summary: 'Plan a follow-up (dueAt) or record one (doneAt)',
      request: { params: OpportunityParams, body: jsonBody(CreateActivity) },
      responses: { 201: jsonResponse(Activity, 'Created'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const repos = c.get('repos');
      const activity = await repos.activities.create(id, c.req.valid('json'), { userId: c.get('user').id, now: c.get('now')() });
      if (!activity) throw notFound();
      return c.json(activity satisfies ActivityRecord, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'patch', path: '/{id}/activities/{activityId}', tags: ['follow-ups'], summary: 'Change a follow-up; set doneAt (+ outcome, feedback) to complete a plan',
      request: { params: ActivityParams, body: jsonBody(PatchActivity) },
      responses: { 200: jsonResponse(Activity, 'Updated'), ...WRITE_ERRORS },
    }),
    async (c) => {
      const { id, activityId } = c.req.valid('param');
      const { version, ...fields } = c.req.valid('json');
      const repos = c.get('repos');
      if (!(await repos.opportunities.exists(id))) throw notFound();
      const result = await repos.activities.update(id, activityId, version, fields, c.get('now')());
      if (!result.ok) {
        if (result.kind === 'not_found') throw notFound();
        if (result.kind === 'neither_planned_nor_done') throw badRequest([{ path: 'dueAt', message: 'A follow-up is either planned (dueAt) or done (doneAt).' }]);
        throw conflict('stale_version', 'Someone changed this follow-up meanwhile. Here is the current version.', { current: result.current });
      }
      return c.json(result.value, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete', path: '/{id}/activities/{activityId}', tags: ['follow-ups'], summary: 'Delete a follow-up',
      request: { params: ActivityParams },
      responses: { 204: { description: 'Deleted' }, ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const { id, activityId } = c.req.valid('param');
      const repos = c.get('repos');
      if (!(await repos.opportunities.exists(id)) || !(await repos.activities.remove(id, activityId))) throw notFound();
      return c.body(null, 204);
    },
  );
