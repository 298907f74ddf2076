// Catalog administration for owners and admins: one router per kind, mounted at
// /catalog/opportunity-types, /catalog/sources, /catalog/lost-reasons and /catalog/products.
// Lists include archived entries; the pickers (GET /catalog) show active ones only.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { TenantEnv } from '../env';
import { badRequest, conflict, notFound } from '../errors';
import { adminOnly } from '../middleware/admin';
import { AUTHENTICATED_ERRORS, Instant, ProblemSchema, TenantParams, jsonBody, jsonResponse, newRouter, text } from '../openapi';
import type { AdminCatalogEntry, CatalogKind, CatalogRefusal } from '../repos/catalog-admin';

export const MAX_UNIT_PRICE = 10_000_000_000_000;

const AdminCatalogEntrySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    position: z.number().int(),
    archived: z.boolean(),
    archivedAt: Instant.nullable(),
    code: z.string().nullable().optional().openapi({ description: 'Products only' }),
    unitPrice: z.number().int().optional().openapi({ description: 'Products only: minor units of the tenant currency' }),
  })
  .openapi('AdminCatalogEntry');

const name = text(100).min(1, { message: 'Enter a name.' });
const code = text(50).nullable().optional().openapi({ description: 'Products only; empty or null clears it' });
const unitPrice = z
  .number({ message: 'Enter the price in minor units (a whole number).' })
  .int({ message: 'Enter the price in minor units (a whole number).' })
  .min(0, { message: 'The price cannot be negative.' })
  .max(MAX_UNIT_PRICE, { message: 'The price is too large.' })
  .optional()
  .openapi({ description: 'Products only: minor units of the tenant currency' });

const CatalogEntryCreateSchema = z.object({ name, code, unitPrice }).openapi('CatalogEntryCreate');
const CatalogEntryUpdateSchema = z
  .object({ name: name.optional(), code, unitPrice, archived: z.boolean().optional().openapi({ description: 'Archive (true) or bring back (false)' }) })
  .openapi('CatalogEntryUpdate');
const CatalogOrderSchema = z
  .object({ ids: z.array(z.string().max(64)).max(1000).openapi({ description: 'Every entry of the kind, archived ones included, in the new order' }) })
  .openapi('CatalogOrder');

const EntryParams = TenantParams.extend({ entryId: z.string().max(64).openapi({ param: { name: 'entryId', in: 'path' } }) });

const ADMIN_ERRORS = AUTHENTICATED_ERRORS;

const duplicateResponse = {
  description: 'An active entry of this kind already has that name',
  content: { 'application/problem+json': { schema: ProblemSchema.extend({ existingId: z.string() }).openapi('CatalogDuplicateName') } },
};

const LABEL: Record<CatalogKind, { one: string; tag: string }> = {
  'opportunity-types': { one: 'opportunity type', tag: 'opportunity types' },
  sources: { one: 'source', tag: 'sources' },
  'lost-reasons': { one: 'lost reason', tag: 'lost reasons' },
  products: { one: 'product', tag: 'products' },
};

function refuse(kind: CatalogKind, refusal: CatalogRefusal): never {
  switch (refusal.kind) {
    case 'not_found':
      throw notFound(`No such ${LABEL[kind].one}.`);
    case 'duplicate_name':
      throw conflict('duplicate_name', `An active ${LABEL[kind].one} already has this name.`, { existingId: refusal.existingId });
    case 'in_use': {
      const n = refusal.uses;
      const what = kind === 'products' ? (n === 1 ? 'opportunity product line uses' : 'opportunity product lines use') : n === 1 ? 'opportunity uses' : 'opportunities use';
      throw conflict('in_use', `${n} ${what} this ${LABEL[kind].one}, so it cannot be deleted. Archive it instead: it stays on those records and leaves the pickers.`, {
        uses: n,
      });
    }
    case 'ids_mismatch':
      throw badRequest([{ path: 'ids', message: `List every ${LABEL[kind].one} of this workspace exactly once, archived ones included.` }]);
  }
}

/** Product fields sent for another kind are a mistake worth telling. */
function rejectProductFields(kind: CatalogKind, body: { code?: unknown; unitPrice?: unknown }) {
  if (kind === 'products') return;
  const errors = (['code', 'unitPrice'] as const).filter((key) => body[key] !== undefined).map((path) => ({ path, message: 'Only products have this field.' }));
  if (errors.length) throw badRequest(errors);
}

const isRefusal = (result: AdminCatalogEntry | CatalogRefusal): result is CatalogRefusal => 'kind' in result;
const actor = (c: Context<TenantEnv>) => ({ userId: c.get('user').id, now: c.get('now')() });

export function catalogKindRoutes(kind: CatalogKind) {
  const tags = [`catalog: ${LABEL[kind].tag}`];
  return newRouter<TenantEnv>()
    .openapi(
      createRoute({
        method: 'get',
        path: '/',
        tags,
        summary: `All ${LABEL[kind].tag} in order, archived ones included (owners and admins)`,
        middleware: [adminOnly()] as const,
        request: { params: TenantParams },
        responses: { 200: jsonResponse(z.object({ entries: z.array(AdminCatalogEntrySchema) }), `The ${LABEL[kind].tag}`), ...ADMIN_ERRORS },
      }),
      async (c) => c.json({ entries: await c.get('repos').catalogAdmin.list(kind) }, 200),
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/',
        tags,
        summary: `Add a ${LABEL[kind].one} at the end (owners and admins)`,
        middleware: [adminOnly()] as const,
        request: { params: TenantParams, body: jsonBody(CatalogEntryCreateSchema) },
        responses: { 201: jsonResponse(AdminCatalogEntrySchema, 'Created'), 409: duplicateResponse, ...ADMIN_ERRORS },
      }),
      async (c) => {
        const body = c.req.valid('json');
        rejectProductFields(kind, body);
        const result = await c.get('repos').catalogAdmin.create(kind, { ...body, code: body.code || null }, actor(c));
        if (isRefusal(result)) refuse(kind, result);
        return c.json(result, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'put',
        path: '/order',
        tags,
        summary: `Reorder the ${LABEL[kind].tag}: positions are rewritten 0, 1, 2, … (owners and admins)`,
        middleware: [adminOnly()] as const,
        request: { params: TenantParams, body: jsonBody(CatalogOrderSchema) },
        responses: { 200: jsonResponse(z.object({ entries: z.array(AdminCatalogEntrySchema) }), 'The entries in their new order'), ...ADMIN_ERRORS },
      }),
      async (c) => {
        const result = await c.get('repos').catalogAdmin.reorder(kind, c.req.valid('json').ids, actor(c));
        if (!Array.isArray(result)) refuse(kind, result);
        return c.json({ entries: result }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'patch',
        path: '/{entryId}',
        tags,
        summary: `Rename, edit, archive or bring back a ${LABEL[kind].one} (owners and admins)`,
        middleware: [adminOnly()] as const,
        request: { params: EntryParams, body: jsonBody(CatalogEntryUpdateSchema) },
        responses: { 200: jsonResponse(AdminCatalogEntrySchema, 'The entry as it is now'), 409: duplicateResponse, ...ADMIN_ERRORS },
      }),
      async (c) => {
        const body = c.req.valid('json');
        rejectProductFields(kind, body);
        const result = await c.get('repos').catalogAdmin.update(kind, c.req.valid('param').entryId, { ...body, ...(body.code !== undefined ? { code: body.code || null } : {}) }, actor(c));
        if (isRefusal(result)) refuse(kind, result);
        return c.json(result, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'delete',
        path: '/{entryId}',
        tags,
        summary: `Delete a ${LABEL[kind].one} nothing uses; a used one answers 409 in_use (archive it instead)`,
        middleware: [adminOnly()] as const,
        request: { params: EntryParams },
        responses: {
          204: { description: 'Deleted' },
          409: {
            description: 'Records use the entry; `uses` says how many. Archive it instead.',
            content: { 'application/problem+json': { schema: ProblemSchema.extend({ uses: z.number().int() }).openapi('CatalogEntryInUse') } },
          },
          ...ADMIN_ERRORS,
        },
      }),
      async (c) => {
        const result = await c.get('repos').catalogAdmin.remove(kind, c.req.valid('param').entryId, actor(c));
        if ('kind' in result) refuse(kind, result);
        return c.body(null, 204);
      },
    );
}
