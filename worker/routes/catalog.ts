// What the opportunity forms pick from, in one request: members, types, sources, lost reasons,
// products. Archived values are left out (they stay on the records that already use them).
import { createRoute, z } from '@hono/zod-openapi';
import type { TenantEnv } from '../env';
import { AUTHENTICATED_ERRORS, TenantParams, jsonResponse, newRouter } from '../openapi';

const CatalogEntrySchema = z.object({ id: z.string(), name: z.string(), position: z.number().int() }).openapi('CatalogEntry');

const CatalogSchema = z
  .object({
    members: z.array(z.object({ id: z.string(), name: z.string(), email: z.string(), role: z.enum(['owner', 'admin', 'member', 'viewer']) })),
    opportunityTypes: z.array(CatalogEntrySchema),
    sources: z.array(CatalogEntrySchema),
    lostReasons: z.array(CatalogEntrySchema),
    products: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        code: z.string().nullable(),
        unitPrice: z.number().int().openapi({ description: 'Minor units of the tenant currency' }),
        position: z.number().int(),
      }),
    ),
  })
  .openapi('Catalog');

export const catalogRoutes = newRouter<TenantEnv>().openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['catalog'],
    summary: 'Members and the active catalogs opportunities pick from (members by name, the rest by position)',
    request: { params: TenantParams },
    responses: { 200: jsonResponse(CatalogSchema, 'The pickers’ contents'), ...AUTHENTICATED_ERRORS },
  }),
  async (c) => c.json(await c.get('repos').catalog.forPickers(), 200),
);
