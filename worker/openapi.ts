// Route building blocks: every router validates with zod through the same hook, so a bad body,
// query or path parameter always becomes one 400 problem with per-field errors.
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { badRequest } from './errors';

export function newRouter<E extends Env>() {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) {
        throw badRequest(
          result.error.issues.map((issue) => ({
            path: [result.target === 'json' ? null : result.target, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)',
            message: issue.message,
          })),
        );
      }
    },
  });
}

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .openapi('Problem');

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** Error responses every route can give, for the OpenAPI document. */
export const COMMON_ERRORS = {
  400: problem('Invalid input: `errors` lists each field'),
  403: problem('Forbidden (e.g. a cross-site request)'),
  500: problem('Unexpected error'),
} as const;

export const AUTHENTICATED_ERRORS = {
  ...COMMON_ERRORS,
  401: problem('Not logged in'),
  404: problem('Not found — also for another tenant’s data'),
} as const;

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const TenantParams = z.object({
  tenant: z.string().min(1).max(64).openapi({ param: { name: 'tenant', in: 'path' }, example: 'acme' }),
});

export const text = (max: number) => z.string().trim().max(max, { message: `Use at most ${max} characters.` });
/** Optional text on create; on update, null (or an empty string) clears it. */
export const optionalText = (max: number) => text(max).nullable().optional();
export const requiredName = text(200).min(1, { message: 'Enter a name.' });
export const Version = z.number({ message: 'Send the version you read.' }).int().min(1).openapi({ description: 'The version you read; a stale one answers 409' });

export const Instant = z.string().openapi({ format: 'date-time' });

/** 409 for a stale version: the problem carries the record as it is now. */
export const staleVersionResponse = <T extends z.ZodType>(record: T, name: string) => ({
  description: 'Stale version: someone changed the record since you read it; `current` is how it is now',
  content: { 'application/problem+json': { schema: ProblemSchema.extend({ current: record }).openapi(name) } },
});
