// Accounts (客户): the companies a tenant sells to, with their contacts.
import { createRoute, z } from '@hono/zod-openapi';
import type { TenantEnv } from '../env';
import { badRequest, conflict, notFound } from '../errors';
import { AUTHENTICATED_ERRORS, Instant, ProblemSchema, TenantParams, Version, jsonBody, jsonResponse, newRouter, optionalText, requiredName, staleVersionResponse } from '../openapi';
import { ContactSchema, PageQuery } from './contacts';

const AccountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    industry: z.string().nullable(),
    city: z.string().nullable(),
    phone: z.string().nullable(),
    website: z.string().nullable(),
    notes: z.string().nullable(),
    ownerId: z.string().nullable(),
    version: z.number().int(),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .openapi('Account');

const AccountFields = {
  name: requiredName,
  industry: optionalText(100),
  city: optionalText(100),
  phone: optionalText(50),
  website: optionalText(500),
  notes: optionalText(5000),
  ownerId: z.string().max(64).nullable().optional().openapi({ description: 'A member of this workspace; defaults to you' }),
};

const AccountCreateSchema = z.object(AccountFields).openapi('AccountCreate');
const AccountUpdateSchema = z.object({ ...AccountFields, name: requiredName.optional(), version: Version }).openapi('AccountUpdate');

const AccountParams = TenantParams.extend({
  accountId: z.string().openapi({ param: { name: 'accountId', in: 'path' } }),
});

const notFoundAccount = () => notFound('No such account.');
const notAMember = () => badRequest([{ path: 'ownerId', message: 'The owner must be a member of this workspace.' }]);

export const accountRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['accounts'],
      summary: 'Accounts by name, searchable by name, city and phone; paginated',
      request: { params: TenantParams, query: PageQuery },
      responses: {
        200: jsonResponse(z.object({ accounts: z.array(AccountSchema), nextCursor: z.string().nullable() }), 'A page of accounts'),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => c.json(await c.get('repos').accounts.list(c.req.valid('query')), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['accounts'],
      summary: 'Create an account',
      request: { params: TenantParams, body: jsonBody(AccountCreateSchema) },
      responses: { 201: jsonResponse(AccountSchema, 'The new account'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const fields = c.req.valid('json');
      const repo = c.get('repos').accounts;
      const ownerId = fields.ownerId === undefined ? c.get('user').id : fields.ownerId;
      if (ownerId !== null && !(await repo.isMember(ownerId))) throw notAMember();
      return c.json(await repo.create({ ...fields, ownerId }, c.get('now')()), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{accountId}',
      tags: ['accounts'],
      summary: 'One account with its contacts and open opportunity count',
      request: { params: AccountParams },
      responses: {
        200: jsonResponse(
          z.object({ account: AccountSchema, contacts: z.array(ContactSchema), openOpportunityCount: z.number().int() }).openapi('AccountDetail'),
          'The account; key contacts first',
        ),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const detail = await c.get('repos').accounts.getWithContacts(c.req.valid('param').accountId);
      if (!detail) throw notFoundAccount();
      return c.json(detail, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/{accountId}',
      tags: ['accounts'],
      summary: 'Change an account (send the version you read)',
      request: { params: AccountParams, body: jsonBody(AccountUpdateSchema) },
      responses: {
        200: jsonResponse(AccountSchema, 'The account as changed'),
        409: staleVersionResponse(AccountSchema, 'AccountConflict'),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const { version, ...fields } = c.req.valid('json');
      const repo = c.get('repos').accounts;
      const id = c.req.valid('param').accountId;
      if (typeof fields.ownerId === 'string' && !(await repo.isMember(fields.ownerId))) {
        // Another tenant's account id must still answer 404, not reveal the member check.
        if (!(await repo.get(id))) throw notFoundAccount();
        throw notAMember();
      }
      const result = await repo.update(id, version, fields, c.get('now')());
      if (!result) throw notFoundAccount();
      if ('stale' in result) throw conflict('stale_version', 'Someone changed this account since you read it.', { current: result.stale });
      return c.json(result.updated, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{accountId}',
      tags: ['accounts'],
      summary: 'Delete an account and its contacts; refused while opportunities reference it',
      request: { params: AccountParams },
      responses: {
        204: { description: 'Deleted, with its contacts' },
        409: {
          description: 'Opportunities reference the account; `opportunityCount` says how many',
          content: { 'application/problem+json': { schema: ProblemSchema.extend({ opportunityCount: z.number().int() }).openapi('AccountInUse') } },
        },
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const result = await c.get('repos').accounts.delete(c.req.valid('param').accountId, c.get('now')());
      if (!result) throw notFoundAccount();
      if ('inUse' in result) {
        const n = result.inUse;
        throw conflict('account_in_use', `${n} ${n === 1 ? 'opportunity references' : 'opportunities reference'} this account. Move or delete ${n === 1 ? 'it' : 'them'} first.`, {
          opportunityCount: n,
        });
      }
      return c.body(null, 204);
    },
  );
