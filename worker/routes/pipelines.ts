// Pipeline and stage administration (owners and admins): create, rename, reorder and archive
// pipelines; add, edit, reorder and delete stages. Reading is GET /pipelines (workspace.ts).
import { createRoute, z } from '@hono/zod-openapi';
import { REQUIRABLE_FIELDS } from '../../db/seed/templates/types';
import type { TenantEnv } from '../env';
import { badRequest } from '../errors';
import { adminOnly } from '../middleware/admin';
import { AUTHENTICATED_ERRORS, ProblemSchema, TenantParams, jsonBody, jsonResponse, newRouter, text } from '../openapi';
import { KIND_RULE, defaultStages, kindsComplete, type StageInput } from '../repos/pipelines';

const conflictResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });

const name = text(100).min(1, { message: 'Enter a name.' });
const probability = z.number({ message: 'Enter a whole number from 0 to 100.' }).int({ message: 'Enter a whole number from 0 to 100.' }).min(0, { message: 'Enter a whole number from 0 to 100.' }).max(100, { message: 'Enter a whole number from 0 to 100.' });
const kind = z.enum(['open', 'won', 'lost']);
const staleAfterDays = z
  .number({ message: 'Enter a number of days from 1 to 3650, or nothing.' })
  .int({ message: 'Enter a number of days from 1 to 3650, or nothing.' })
  .min(1, { message: 'Enter a number of days from 1 to 3650, or nothing.' })
  .max(3650, { message: 'Enter a number of days from 1 to 3650, or nothing.' })
  .nullable();
const requiredFields = z
  .array(z.enum(REQUIRABLE_FIELDS))
  .max(REQUIRABLE_FIELDS.length)
  .transform((fields) => [...new Set(fields)])
  .openapi({ description: `Fields an opportunity needs to enter the stage: ${REQUIRABLE_FIELDS.join(', ')}` });
const position = z.number().int().min(0).openapi({ description: '0-based place in the list' });

export const StageSchema = z
  .object({
    id: z.string(),
    pipelineId: z.string(),
    name: z.string(),
    position: z.number().int(),
    probability: z.number().int(),
    kind,
    staleAfterDays: z.number().int().nullable(),
    requiredFields: z.array(z.string()),
  })
  .openapi('Stage');

const PipelineSchema = z.object({ id: z.string(), name: z.string(), position: z.number().int(), stages: z.array(StageSchema) }).openapi('Pipeline');

const StageCreateSchema = z
  .object({ name, probability, kind, staleAfterDays: staleAfterDays.optional(), requiredFields: requiredFields.optional(), position: position.optional() })
  .openapi('StageCreate');
const StageUpdateSchema = z
  .object({ name: name.optional(), probability: probability.optional(), kind: kind.optional(), staleAfterDays: staleAfterDays.optional(), requiredFields: requiredFields.optional() })
  .openapi('StageUpdate');
const PipelineCreateSchema = z
  .object({
    name,
    stages: z
      .array(StageCreateSchema.omit({ position: true }))
      .min(3, { message: KIND_RULE })
      .max(30)
      .optional()
      .openapi({ description: 'Initial stages in order; without them a default set (open stages, one won, one lost) is created' }),
  })
  .openapi('PipelineCreate');
const PipelineUpdateSchema = z.object({ name: name.optional(), position: position.optional() }).openapi('PipelineUpdate');

const PipelineParams = TenantParams.extend({ pipelineId: z.string().min(1).max(64).openapi({ param: { name: 'pipelineId', in: 'path' } }) });
const StageParams = TenantParams.extend({ stageId: z.string().min(1).max(64).openapi({ param: { name: 'stageId', in: 'path' } }) });
const DeleteStageQuery = z.object({
  moveTo: z.string().min(1).max(64).optional().openapi({ description: 'Required when the stage holds opportunities: another stage of the same pipeline' }),
  lostReasonId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: 'Required when moveTo is a lost stage (unless the deleted stage is lost too: then each keeps its reason)' }),
});

const actor = (c: { get: (key: 'user') => { id: string } } & { get: (key: 'now') => () => number }) => ({ userId: c.get('user').id, now: c.get('now')() });

export const pipelineAdminRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'post',
      path: '/pipelines',
      tags: ['pipelines'],
      summary: 'Create a pipeline (admins)',
      middleware: [adminOnly()] as const,
      request: { params: TenantParams, body: jsonBody(PipelineCreateSchema) },
      responses: { 201: jsonResponse(PipelineSchema, 'The new pipeline, last in order'), 409: conflictResponse('Too many pipelines'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const initial: StageInput[] = body.stages ?? defaultStages(c.get('tenant').locale);
      if (!kindsComplete(initial.map((s) => s.kind))) throw badRequest([{ path: 'stages', message: KIND_RULE }]);
      return c.json(await c.get('repos').pipelineAdmin.createPipeline(body.name, initial, actor(c)), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/pipelines/{pipelineId}',
      tags: ['pipelines'],
      summary: 'Rename a pipeline or move it in the order (admins)',
      middleware: [adminOnly()] as const,
      request: { params: PipelineParams, body: jsonBody(PipelineUpdateSchema) },
      responses: { 200: jsonResponse(PipelineSchema, 'The pipeline'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => c.json(await c.get('repos').pipelineAdmin.updatePipeline(c.req.valid('param').pipelineId, c.req.valid('json'), actor(c)), 200),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/pipelines/{pipelineId}',
      tags: ['pipelines'],
      summary: 'Archive a pipeline (admins): it leaves the pipeline list and its board',
      middleware: [adminOnly()] as const,
      request: { params: PipelineParams },
      responses: { 204: { description: 'Archived' }, 409: conflictResponse('The last active pipeline (`last_pipeline`)'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      await c.get('repos').pipelineAdmin.archivePipeline(c.req.valid('param').pipelineId, actor(c));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/pipelines/{pipelineId}/stages',
      tags: ['pipelines'],
      summary: 'Add a stage (admins); by default before the won/lost stages',
      middleware: [adminOnly()] as const,
      request: { params: PipelineParams, body: jsonBody(StageCreateSchema) },
      responses: { 201: jsonResponse(StageSchema, 'The new stage'), 409: conflictResponse('Too many stages'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => c.json(await c.get('repos').pipelineAdmin.addStage(c.req.valid('param').pipelineId, c.req.valid('json'), actor(c)), 201),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/pipelines/{pipelineId}/stage-order',
      tags: ['pipelines'],
      summary: 'Reorder the stages of a pipeline (admins)',
      middleware: [adminOnly()] as const,
      request: {
        params: PipelineParams,
        body: jsonBody(z.object({ stageIds: z.array(z.string().min(1).max(64)).min(1).max(100).openapi({ description: 'Exactly the pipeline’s stages, in the new order' }) })),
      },
      responses: { 200: jsonResponse(z.object({ stages: z.array(StageSchema) }), 'The stages in their new order'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => c.json({ stages: await c.get('repos').pipelineAdmin.reorderStages(c.req.valid('param').pipelineId, c.req.valid('json').stageIds, actor(c)) }, 200),
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/stages/{stageId}',
      tags: ['pipelines'],
      summary: 'Edit a stage (admins): name, probability, kind, stale days, required fields',
      description: 'A new probability applies from now on: stage history and past daily snapshots are not rewritten. The kind of a stage holding opportunities cannot change (409 `stage_not_empty`); a change leaving no open, won or lost stage answers 409 `stage_kind_required`.',
      middleware: [adminOnly()] as const,
      request: { params: StageParams, body: jsonBody(StageUpdateSchema) },
      responses: { 200: jsonResponse(StageSchema, 'The stage'), 409: conflictResponse('`stage_kind_required` or `stage_not_empty`'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => c.json(await c.get('repos').pipelineAdmin.updateStage(c.req.valid('param').stageId, c.req.valid('json'), actor(c)), 200),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/stages/{stageId}',
      tags: ['pipelines'],
      summary: 'Delete a stage (admins), moving its opportunities to `moveTo`',
      description:
        'Opportunities move after the target’s cards in their order, each with one stage-history row; status and closed date follow the target’s kind. Moving into a lost stage needs `lostReasonId`. Required fields of the target are not checked for this bulk move. 409 `stage_kind_required` for the pipeline’s only open, won or lost stage.',
      middleware: [adminOnly()] as const,
      request: { params: StageParams, query: DeleteStageQuery },
      responses: {
        200: jsonResponse(z.object({ moved: z.number().int(), moveTo: z.string().nullable() }), 'Deleted; `moved` opportunities went to `moveTo`'),
        409: conflictResponse('`stage_kind_required` or `stage_not_empty`'),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => c.json(await c.get('repos').pipelineAdmin.deleteStage(c.req.valid('param').stageId, c.req.valid('query'), actor(c)), 200),
  );
