// Workspace settings (owners and admins): GET and PATCH /api/t/:tenant/settings.
import { createRoute, z } from '@hono/zod-openapi';
import type { TenantEnv } from '../env';
import { conflict, notFound } from '../errors';
import { adminOnly } from '../middleware/admin';
import { AUTHENTICATED_ERRORS, ProblemSchema, TenantParams, jsonBody, jsonResponse, newRouter, text } from '../openapi';
import { minorUnitDigits } from '../repos/settings';
import { isValidTimeZone } from '../services/dates';

/** ISO 4217 codes Intl knows (workerd has Intl.supportedValuesOf); a short list if it does not. */
const CURRENCIES: ReadonlySet<string> = new Set(
  typeof Intl.supportedValuesOf === 'function'
    ? Intl.supportedValuesOf('currency')
    : ['CNY', 'HKD', 'TWD', 'JPY', 'KRW', 'SGD', 'USD', 'EUR', 'GBP', 'AUD', 'CAD', 'CHF', 'NZD', 'INR', 'MYR', 'THB', 'VND', 'IDR', 'PHP', 'KWD', 'BHD'],
);

export const isSupportedCurrency = (code: string) => CURRENCIES.has(code);

export const SettingsSchema = z
  .object({
    name: z.string(),
    slug: z.string(),
    locale: z.enum(['zh-CN', 'en']).openapi({ description: 'The workspace’s default language (each user keeps their own UI language)' }),
    currency: z.string().openapi({ description: 'ISO 4217 code; amounts are stored in its minor units', example: 'CNY' }),
    timezone: z.string().openapi({ description: 'IANA time zone', example: 'Asia/Shanghai' }),
    fiscalYearStartMonth: z.number().int().min(1).max(12),
    membersSeeOwnOnly: z.boolean().openapi({ description: 'Members and viewers see only the opportunities they own' }),
    salesTargetMonthly: z.number().int().nullable().openapi({ description: 'Sales target per month, minor units of the currency; null: none' }),
    salesTargetQuarterly: z.number().int().nullable().openapi({ description: 'Sales target per fiscal quarter, minor units; null: none' }),
  })
  .openapi('WorkspaceSettings');

// Minor units as an integer; above 2^53 an amount would lose precision in JSON numbers.
const salesTarget = z
  .number({ message: 'Enter a whole amount of at least 0, or nothing.' })
  .int({ message: 'Enter a whole amount of at least 0, or nothing.' })
  .min(0, { message: 'Enter a whole amount of at least 0, or nothing.' })
  .max(Number.MAX_SAFE_INTEGER, { message: 'This amount is too large.' })
  .nullable()
  .optional()
  .openapi({ description: 'Minor units; null removes the target' });

const SettingsUpdateSchema = z
  .object({
    name: text(100).min(1, { message: 'Enter a name.' }).optional(),
    locale: z.enum(['zh-CN', 'en'], { message: 'Choose zh-CN or en.' }).optional(),
    currency: z
      .string()
      .trim()
      .toUpperCase()
      .refine(isSupportedCurrency, { message: 'Use an ISO 4217 currency code such as CNY or USD.' })
      .optional(),
    timezone: z.string().trim().max(64).refine((tz) => tz.length > 0 && isValidTimeZone(tz), { message: 'Use an IANA time zone such as Asia/Shanghai.' }).optional(),
    fiscalYearStartMonth: z.number({ message: 'Choose a month from 1 to 12.' }).int({ message: 'Choose a month from 1 to 12.' }).min(1, { message: 'Choose a month from 1 to 12.' }).max(12, { message: 'Choose a month from 1 to 12.' }).optional(),
    membersSeeOwnOnly: z.boolean({ message: 'Send true or false.' }).optional(),
    salesTargetMonthly: salesTarget,
    salesTargetQuarterly: salesTarget,
  })
  .openapi('WorkspaceSettingsUpdate');

export const settingsRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['settings'],
      summary: 'The workspace’s settings (owners and admins)',
      middleware: [adminOnly()] as const,
      request: { params: TenantParams },
      responses: { 200: jsonResponse(SettingsSchema, 'The settings'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const settings = await c.get('repos').settings.get();
      if (!settings) throw notFound();
      return c.json(settings, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/',
      tags: ['settings'],
      summary: 'Change any of the settings; one audit entry records the changed fields (owners and admins)',
      middleware: [adminOnly()] as const,
      request: { params: TenantParams, body: jsonBody(SettingsUpdateSchema) },
      responses: {
        200: jsonResponse(SettingsSchema, 'The settings as they are now'),
        409: {
          description: 'currency_has_amounts: the new currency has another number of minor-unit digits and amounts exist',
          content: {
            'application/problem+json': {
              schema: ProblemSchema.extend({ opportunities: z.number().int(), products: z.number().int() }).openapi('CurrencyHasAmounts'),
            },
          },
        },
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const patch = c.req.valid('json');
      const result = await c.get('repos').settings.update(patch, { userId: c.get('user').id, now: c.get('now')() });
      if ('kind' in result) {
        if (result.kind === 'not_found') throw notFound();
        const from = c.get('tenant').currency;
        const to = patch.currency!;
        throw conflict(
          'currency_has_amounts',
          `Amounts are stored in minor units: ${from} has ${minorUnitDigits(from)} decimal digits and ${to} has ${minorUnitDigits(to)}, so switching would change every amount ` +
            `(${result.opportunities} opportunities have an amount, ${result.products} products have a price). Choose a currency with ${minorUnitDigits(from)} decimal digits.`,
          { opportunities: result.opportunities, products: result.products },
        );
      }
      return c.json(result, 200);
    },
  );
