// Exports: CSV files of opportunities (the list's filters), accounts, contacts and follow-ups for
// everyone who may read them ("own only" applies), and the whole workspace as a ZIP for owners
// and admins. Streamed page by page (repos/exports.ts, services/export-files.ts).
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { TenantEnv } from '../env';
import { notFound, rootMessage } from '../errors';
import { adminOnly } from '../middleware/admin';
import { AUTHENTICATED_ERRORS, TenantParams, newRouter } from '../openapi';
import { EXPORT_COLUMNS, type ExportEntity, type ExportPage } from '../repos/exports';
import { minorUnitDigits } from '../repos/settings';
import { localDate } from '../services/dates';
import { csvChunks, responseStream, zipChunks } from '../services/export-files';
import { FilterQuery } from './opportunities';

const csvResponse = (description: string) => ({
  description: `${description}. UTF-8 with a BOM, comma-separated, a header row of the import's field names.`,
  content: { 'text/csv': { schema: z.string() } },
});

/** `jihui-acme-opportunities-2026-11-28.csv`: the workspace, what, and the day in its time zone. */
function fileName(c: Context<TenantEnv>, what: string, extension: string) {
  const tenant = c.get('tenant');
  return `jihui-${tenant.slug}-${what}-${localDate(c.get('now')(), tenant.timezone)}.${extension}`;
}

async function download(c: Context<TenantEnv>, chunks: AsyncGenerator<Uint8Array>, name: string, contentType: string) {
  const body = await responseStream(chunks, (error) => {
    console.error(JSON.stringify({ level: 'error', requestId: c.get('requestId'), path: c.req.path, message: `export stopped: ${rootMessage(error)}` }));
  });
  return c.body(body, 200, {
    'Content-Type': contentType,
    // The slug is ASCII (services/slug.ts), so the plain filename parameter is enough.
    'Content-Disposition': `attachment; filename="${name}"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
}

const csv = (entity: ExportEntity, pages: AsyncIterable<ExportPage>) => csvChunks(EXPORT_COLUMNS[entity], pages);

function currencyOf(c: Context<TenantEnv>) {
  const code = c.get('tenant').currency;
  return { code, digits: minorUnitDigits(code) };
}

const simpleExport = (entity: Exclude<ExportEntity, 'opportunities'>, summary: string) =>
  createRoute({
    method: 'get', path: `/${entity}.csv`, tags: ['exports'], summary,
    request: { params: TenantParams },
    responses: { 200: csvResponse(summary), ...AUTHENTICATED_ERRORS },
  });

export const exportRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'get', path: '/opportunities.csv', tags: ['exports'],
      summary: 'Opportunities as CSV, with the same filters as GET /opportunities (members who see only their own get only theirs)',
      request: { params: TenantParams, query: FilterQuery },
      responses: { 200: csvResponse('The matching opportunities, oldest first'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const filter = c.req.valid('query');
      if (filter.ownerId === 'me') filter.ownerId = c.get('user').id;
      const pages = c.get('repos').exports.opportunities(filter, currencyOf(c));
      return download(c, csv('opportunities', pages), fileName(c, 'opportunities', 'csv'), 'text/csv; charset=utf-8');
    },
  )
  .openapi(simpleExport('accounts', 'Accounts as CSV'), async (c) =>
    download(c, csv('accounts', c.get('repos').exports.accounts()), fileName(c, 'accounts', 'csv'), 'text/csv; charset=utf-8'),
  )
  .openapi(simpleExport('contacts', 'Contacts as CSV'), async (c) =>
    download(c, csv('contacts', c.get('repos').exports.contacts()), fileName(c, 'contacts', 'csv'), 'text/csv; charset=utf-8'),
  )
  .openapi(simpleExport('activities', 'Follow-ups as CSV (of the opportunities you may see)'), async (c) =>
    download(c, csv('activities', c.get('repos').exports.activities()), fileName(c, 'activities', 'csv'), 'text/csv; charset=utf-8'),
  )
  .openapi(
    createRoute({
      method: 'get', path: '/workspace.zip', tags: ['exports'],
      summary: 'The whole workspace as a ZIP: workspace.json (settings, pipelines and stages, catalogs, members) and the four CSV files (owners and admins)',
      middleware: [adminOnly()] as const,
      request: { params: TenantParams },
      responses: { 200: { description: 'A ZIP archive', content: { 'application/zip': { schema: z.string().openapi({ format: 'binary' }) } } }, ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const exports = c.get('repos').exports;
      const workspace = await exports.workspace();
      if (!workspace) throw notFound();
      const now = c.get('now')();
      const json = new TextEncoder().encode(`${JSON.stringify({ format: 'jihui-workspace', version: 1, exportedAt: new Date(now).toISOString(), ...workspace }, null, 2)}\n`);
      const chunks = zipChunks(
        [
          { name: 'workspace.json', content: json },
          { name: 'opportunities.csv', content: csv('opportunities', exports.opportunities({}, currencyOf(c))) },
          { name: 'accounts.csv', content: csv('accounts', exports.accounts()) },
          { name: 'contacts.csv', content: csv('contacts', exports.contacts()) },
          { name: 'activities.csv', content: csv('activities', exports.activities()) },
        ],
        new Date(now),
      );
      return download(c, chunks, fileName(c, 'workspace', 'zip'), 'application/zip');
    },
  );
