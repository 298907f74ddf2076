import { createRoute, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { ProblemError } from '../errors';
import { jsonResponse, newRouter } from '../openapi';

const HealthSchema = z.object({ status: z.literal('ok'), database: z.literal('ok') }).openapi('Health');

export const healthRoutes = newRouter<AppEnv>().openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['system'],
    summary: 'Liveness and database check',
    responses: { 200: jsonResponse(HealthSchema, 'The Worker runs and D1 answers') },
  }),
  async (c) => {
    const ok = await c.get('identity').ping();
    if (!ok) throw new ProblemError(503, 'database_unavailable', 'Service unavailable', 'The database did not answer.');
    return c.json({ status: 'ok' as const, database: 'ok' as const }, 200);
  },
);
