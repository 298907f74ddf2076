import { createRoute, z } from '@hono/zod-openapi';
import { TEMPLATES } from '../../db/seed/templates';
import type { AppEnv } from '../env';
import { jsonResponse, newRouter } from '../openapi';

const Text = z.object({ 'zh-CN': z.string(), en: z.string() }).openapi('LocalizedText');

const TemplateSummarySchema = z
  .object({
    id: z.string(),
    name: Text,
    description: Text,
    icon: z.string(),
    hasSampleData: z.boolean(),
    pipelines: z.array(
      z.object({
        key: z.string(),
        name: Text,
        stages: z.array(z.object({ key: z.string(), name: Text, probability: z.number().int(), kind: z.enum(['open', 'won', 'lost']) })),
      }),
    ),
    opportunityTypes: z.array(Text),
    sources: z.array(Text),
  })
  .openapi('TemplateSummary');

// Templates are static data: computed once per isolate.
const summaries = TEMPLATES.map((t) => ({
  id: t.id,
  name: t.name,
  description: t.description,
  icon: t.icon,
  hasSampleData: t.sample !== null,
  pipelines: t.pipelines.map((p) => ({
    key: p.key,
    name: p.name,
    stages: p.stages.map((s) => ({ key: s.key, name: s.name, probability: s.probability, kind: s.kind })),
  })),
  opportunityTypes: t.opportunityTypes.map((x) => x.name),
  sources: t.sources.map((x) => x.name),
}));

export const templateRoutes = newRouter<AppEnv>().openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['templates'],
    summary: 'Industry templates a workspace can start from',
    responses: { 200: jsonResponse(z.object({ templates: z.array(TemplateSummarySchema) }), 'Every template, in both languages') },
  }),
  (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.json({ templates: summaries }, 200);
  },
);
