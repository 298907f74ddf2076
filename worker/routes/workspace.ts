import { createRoute, z } from '@hono/zod-openapi';
import type { TenantEnv } from '../env';
import { AUTHENTICATED_ERRORS, TenantParams, jsonResponse, newRouter } from '../openapi';

const TenantSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    locale: z.enum(['zh-CN', 'en']),
    currency: z.string(),
    timezone: z.string(),
    fiscalYearStartMonth: z.number().int(),
    templateId: z.string(),
    membersSeeOwnOnly: z.boolean().openapi({ description: 'Members and viewers see only the opportunities they own' }),
  })
  .openapi('Tenant');

const StageSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    position: z.number().int(),
    probability: z.number().int(),
    kind: z.enum(['open', 'won', 'lost']),
    staleAfterDays: z.number().int().nullable(),
    requiredFields: z.array(z.string()),
    count: z.number().int().openapi({ description: 'Opportunities in the stage (机会数)' }),
    amount: z.number().int().openapi({ description: 'Sum of amounts, minor units of the tenant currency' }),
    weightedAmount: z.number().int(),
  })
  .openapi('StageSummary');

const PipelineSummarySchema = z
  .object({ id: z.string(), name: z.string(), position: z.number().int(), stages: z.array(StageSummarySchema) })
  .openapi('PipelineSummary');

export const workspaceRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['workspace'],
      summary: 'The workspace and your role in it',
      request: { params: TenantParams },
      responses: {
        200: jsonResponse(z.object({ tenant: TenantSchema, role: z.enum(['owner', 'admin', 'member', 'viewer']) }), 'The workspace'),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    (c) => {
      const { id, slug, name, locale, currency, timezone, fiscalYearStartMonth, templateId, membersSeeOwnOnly } = c.get('tenant');
      return c.json(
        {
          tenant: { id, slug, name, locale: locale === 'zh-CN' ? ('zh-CN' as const) : ('en' as const), currency, timezone, fiscalYearStartMonth, templateId, membersSeeOwnOnly },
          role: c.get('role'),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/pipelines',
      tags: ['pipelines'],
      summary: 'Pipelines with their stages and opportunity counts per stage',
      request: { params: TenantParams },
      responses: { 200: jsonResponse(z.object({ pipelines: z.array(PipelineSummarySchema) }), 'Active pipelines in order'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => c.json({ pipelines: await c.get('repos').pipelines.listWithStageTotals() }, 200),
  );
