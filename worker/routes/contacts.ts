// Contacts (联系人) of a tenant, optionally attached to an account; key contacts are flagged.
import { createRoute, z } from '@hono/zod-openapi';
import type { TenantEnv } from '../env';
import { badRequest, conflict, notFound } from '../errors';
import { AUTHENTICATED_ERRORS, Instant, TenantParams, jsonBody, jsonResponse, newRouter, optionalText, requiredName, staleVersionResponse, Version } from '../openapi';
import { isNameCursor } from '../repos/accounts';

/** `q`, `limit` and `cursor` of every name-ordered list. */
export const PageQuery = z.object({
  q: z.string().trim().max(200).optional().openapi({ description: 'Case-insensitive substring search' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .max(2000)
    .refine(isNameCursor, { message: 'This cursor is not one this list handed out.' })
    .optional()
    .openapi({ description: 'nextCursor of the previous page' }),
});

export const ContactSchema = z
  .object({
    id: z.string(),
    accountId: z.string().nullable(),
    name: z.string(),
    title: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    wechat: z.string().nullable(),
    isKey: z.boolean().openapi({ description: 'A key contact (关键联系人) of the account' }),
    version: z.number().int(),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .openapi('Contact');

const Email = z.string().trim().max(254).pipe(z.email({ message: 'Enter a valid email address.' }));

const ContactFields = {
  name: requiredName,
  accountId: z.string().max(64).nullable().optional().openapi({ description: 'An account of this workspace' }),
  title: optionalText(100),
  phone: optionalText(50),
  // Blank clears the address; anything else must be one.
  email: z.union([z.literal(''), Email]).nullable().optional(),
  wechat: optionalText(100),
  isKey: z.boolean().optional(),
};

const ContactCreateSchema = z.object(ContactFields).openapi('ContactCreate');
const ContactUpdateSchema = z
  .object({ ...ContactFields, name: requiredName.optional(), isKey: z.boolean().optional(), version: Version })
  .openapi('ContactUpdate');

const ContactParams = TenantParams.extend({
  contactId: z.string().openapi({ param: { name: 'contactId', in: 'path' } }),
});

const notFoundContact = () => notFound('No such contact.');
const unknownAccount = () => badRequest([{ path: 'accountId', message: 'No such account in this workspace.' }]);

export const contactRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['contacts'],
      summary: 'Contacts by name, searchable, optionally of one account; paginated',
      request: {
        params: TenantParams,
        query: PageQuery.extend({ accountId: z.string().max(64).optional().openapi({ description: 'Only this account’s contacts' }) }),
      },
      responses: {
        200: jsonResponse(z.object({ contacts: z.array(ContactSchema), nextCursor: z.string().nullable() }), 'A page of contacts'),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => c.json(await c.get('repos').contacts.list(c.req.valid('query')), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['contacts'],
      summary: 'Create a contact',
      request: { params: TenantParams, body: jsonBody(ContactCreateSchema) },
      responses: { 201: jsonResponse(ContactSchema, 'The new contact'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const contact = await c.get('repos').contacts.create(c.req.valid('json'), c.get('now')());
      if (!contact) throw unknownAccount();
      return c.json(contact, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{contactId}',
      tags: ['contacts'],
      summary: 'One contact',
      request: { params: ContactParams },
      responses: { 200: jsonResponse(ContactSchema, 'The contact'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const contact = await c.get('repos').contacts.get(c.req.valid('param').contactId);
      if (!contact) throw notFoundContact();
      return c.json(contact, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/{contactId}',
      tags: ['contacts'],
      summary: 'Change a contact (send the version you read)',
      request: { params: ContactParams, body: jsonBody(ContactUpdateSchema) },
      responses: {
        200: jsonResponse(ContactSchema, 'The contact as changed'),
        409: staleVersionResponse(ContactSchema, 'ContactConflict'),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const { version, ...fields } = c.req.valid('json');
      const result = await c.get('repos').contacts.update(c.req.valid('param').contactId, version, fields, c.get('now')());
      // Another tenant's contact answers 404 before anything is said about the account.
      if (!result) throw notFoundContact();
      if ('unknownAccount' in result) throw unknownAccount();
      if ('stale' in result) throw conflict('stale_version', 'Someone changed this contact since you read it.', { current: result.stale });
      return c.json(result.updated, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{contactId}',
      tags: ['contacts'],
      summary: 'Delete a contact, unlinking it from opportunities',
      request: { params: ContactParams },
      responses: { 204: { description: 'Deleted' }, ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      if (!(await c.get('repos').contacts.delete(c.req.valid('param').contactId, c.get('now')()))) throw notFoundContact();
      return c.body(null, 204);
    },
  );
