// CSV imports (owners and admins): upload + dry run, another dry run with changed options, commit
// (the job runs on Queue jihui-imports), list, one, the error CSV, undo. The contract is
// docs/import-api.md; what the job does, worker/jobs/imports.ts.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { TenantEnv } from '../env';
import { ProblemError, badRequest, conflict, notFound } from '../errors';
import { adminOnly } from '../middleware/admin';
import { AUTHENTICATED_ERRORS, Instant, TenantParams, jsonBody, jsonResponse, newRouter } from '../openapi';
import type { ImportRecord } from '../repos/imports';
import { minorUnitDigits } from '../repos/settings';
import { csvLine, UTF8_BOM } from '../services/export-files';
import { DATE_FORMATS, IMPORT_ENTITIES, ImportFileError, MAX_FILE_BYTES, type ImportEntity, type ParsedCsv, isTargetField, parseCsv } from '../services/import';
import { REFERENCE_FIELDS, planImport, type ImportOptions, type ImportPlan } from '../services/import-plan';
import { newId } from '../services/ids';
import type { ImportMessage } from '../jobs/imports';

/** Issues listed in an answer (all of them are in the error CSV). */
const ISSUES_SHOWN = 500;

const Mapping = z.record(z.string(), z.string()).openapi({ description: '{ "csv column": "targetField" | "" } ("" ignores the column)' });
const ValueMap = z
  .partialRecord(z.enum(REFERENCE_FIELDS), z.record(z.string(), z.string().min(1).max(200)))
  .openapi({ description: '{ field: { "csv value": "<existing id or exact name>" | "create" } }' });
const DateFormats = z.record(z.string(), z.enum(DATE_FORMATS, { message: `Use one of ${DATE_FORMATS.join(', ')}.` }));
const Options = z.object({ mapping: Mapping.optional(), valueMap: ValueMap.optional(), dateFormats: DateFormats.optional() }).openapi('ImportOptions');

const Upload = z
  .object({
    file: z.custom<File>((v) => v instanceof File, { message: 'Attach the CSV file as `file`.' }).openapi({ type: 'string', format: 'binary' }),
    entity: z.enum(IMPORT_ENTITIES, { message: 'Use opportunities, accounts or contacts.' }),
    mapping: z.string().optional().openapi({ description: 'JSON: see ImportOptions.mapping' }),
    valueMap: z.string().optional().openapi({ description: 'JSON: see ImportOptions.valueMap' }),
    dateFormats: z.string().optional().openapi({ description: 'JSON: { "csv column": DateFormat }' }),
    dryRun: z.enum(['true', 'false'], { message: 'Use true or false.' }).optional().openapi({ description: 'Default true: only the import and its file are stored until commit' }),
  })
  .openapi('ImportUpload');

const Counts = z.object({ rows: z.number().int(), created: z.number().int(), updated: z.number().int(), skipped: z.number().int(), failed: z.number().int() });
const Issue = z.object({ rowNumber: z.number().int(), column: z.string(), value: z.string(), reason: z.string(), severity: z.enum(['error', 'warning']), code: z.string() });
const ValueSummary = z.object({
  value: z.string(),
  count: z.number().int(),
  match: z.object({ id: z.string(), name: z.string(), how: z.enum(['exact', 'near', 'won', 'lost', 'open']) }).nullable(),
  action: z.enum(['map', 'create']),
});
const ImportSummary = z.object({
  id: z.string(),
  entity: z.enum(IMPORT_ENTITIES),
  status: z.enum(['preview', 'queued', 'running', 'done', 'failed', 'undoing', 'undone']),
  fileName: z.string(),
  encoding: z.string(),
  delimiter: z.string(),
  createdAt: Instant,
  createdBy: z.object({ id: z.string(), name: z.string().nullable() }),
  headers: z.array(z.string()),
  mapping: z.record(z.string(), z.string()),
  dateFormats: z.record(z.string(), z.string()),
  preset: z.enum(['hubspot', 'pipedrive', 'salesforce']).nullable(),
  preview: z.object({ rows: z.number().int(), create: z.number().int(), update: z.number().int(), skip: z.number().int(), errors: z.number().int(), warnings: z.number().int() }),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
  counts: Counts.nullable(),
  finishedAt: Instant.nullable(),
  error: z.string().nullable(),
});
const Import = ImportSummary.extend({
  sample: z.array(z.array(z.string())),
  values: z.record(z.string(), z.array(ValueSummary)),
  issues: z.array(Issue),
}).openapi('Import');

const ImportParams = TenantParams.extend({ importId: z.string().min(1).max(64).openapi({ param: { name: 'importId', in: 'path' } }) });

type StoredPreview = Pick<z.infer<typeof Import>, 'headers' | 'preset' | 'sample' | 'values' | 'issues' | 'preview'>;

function summary(record: ImportRecord) {
  const stored = (record.preview ?? {}) as Partial<StoredPreview>;
  return {
    id: record.id,
    entity: record.entity,
    status: record.status,
    fileName: record.fileName,
    encoding: record.encoding,
    delimiter: record.delimiter,
    createdAt: new Date(record.createdAt).toISOString(),
    createdBy: { id: record.createdBy, name: record.createdByName },
    headers: stored.headers ?? [],
    mapping: record.mapping,
    dateFormats: record.dateFormats,
    preset: stored.preset ?? null,
    preview: stored.preview ?? { rows: 0, create: 0, update: 0, skip: 0, errors: 0, warnings: 0 },
    progress: { done: record.progressDone, total: Math.max(0, record.rowCount - record.skipped) },
    counts: record.status === 'preview' ? null : { rows: record.rowCount, created: record.created, updated: record.updated, skipped: record.skipped, failed: record.failed },
    finishedAt: record.finishedAt === null ? null : new Date(record.finishedAt).toISOString(),
    error: record.error,
  };
}

function full(record: ImportRecord) {
  const stored = (record.preview ?? {}) as Partial<StoredPreview>;
  return { ...summary(record), sample: stored.sample ?? [], values: stored.values ?? {}, issues: stored.issues ?? [] };
}

function fileProblem(error: ImportFileError): ProblemError {
  if (error.code === 'too_large') return new ProblemError(413, 'file_too_large', 'Payload too large', error.message);
  return new ProblemError(400, `file_${error.code}`, 'Unreadable file', error.message, { errors: [{ path: 'file', message: error.message }] });
}

function readCsv(bytes: Uint8Array, stored?: { encoding: string; delimiter: string }): ParsedCsv {
  try {
    return parseCsv(bytes, stored ? { encoding: stored.encoding as never, delimiter: stored.delimiter as never } : {});
  } catch (error) {
    if (error instanceof ImportFileError) throw fileProblem(error);
    throw error;
  }
}

function parseJsonField<T extends z.ZodType>(name: string, text: string | undefined, schema: T): z.infer<T> | undefined {
  if (text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest([{ path: name, message: 'Send JSON.' }]);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => ({ path: [name, ...i.path.map(String)].join('.'), message: i.message })));
  return parsed.data;
}

function checkMapping(entity: ImportEntity, mapping: Record<string, string> | undefined) {
  const wrong = Object.entries(mapping ?? {}).filter(([, field]) => field !== '' && !isTargetField(entity, field));
  if (wrong.length) throw badRequest(wrong.map(([column, field]) => ({ path: `mapping.${column}`, message: `“${field}” is not a field of ${entity}.` })));
}

/** What the stored options would do with this file, against the workspace as it is now. */
async function planFor(c: Context<TenantEnv>, csv: ParsedCsv, entity: ImportEntity, options: ImportOptions): Promise<ImportPlan> {
  const tenant = c.get('tenant');
  const refs = await c.get('repos').imports.refs();
  if (entity === 'opportunities' && !refs.pipelines.some((p) => p.stages.length)) {
    throw conflict('no_pipeline', 'The workspace has no pipeline with stages to import opportunities into.');
  }
  return planImport(csv, entity, options, refs, { timezone: tenant.timezone, now: c.get('now')(), currencyDigits: minorUnitDigits(tenant.currency) });
}

/** The dry run: plan + how many rows would update existing records. */
async function dryRun(c: Context<TenantEnv>, csv: ParsedCsv, entity: ImportEntity, options: ImportOptions): Promise<{ plan: ImportPlan; stored: StoredPreview }> {
  const plan = await planFor(c, csv, entity, options);
  const exts = plan.rows.flatMap((r) => (r.ext ? [r.ext] : []));
  const existing = await c.get('repos').imports.countExisting(entity, exts);
  // A file naming one external id twice creates it once and then updates it.
  const seen = new Set<string>();
  let update = 0;
  for (const ext of exts) {
    if (existing.has(ext) || seen.has(ext)) update++;
    seen.add(ext);
  }
  const errors = plan.issues.filter((i) => i.severity === 'error').length;
  return {
    plan,
    stored: {
      headers: plan.headers,
      preset: plan.preset,
      sample: plan.sample,
      values: plan.values as StoredPreview['values'],
      issues: plan.issues.slice(0, ISSUES_SHOWN),
      preview: { rows: plan.rows.length + plan.skipped, create: plan.rows.length - update, update, skip: plan.skipped, errors, warnings: plan.warnings },
    },
  };
}

/** A stored import's options with a request's changes on top (a value map replaces the stored one whole). */
function withChanges(record: ImportRecord, body: z.infer<typeof Options>): Required<ImportOptions> {
  return {
    mapping: { ...record.mapping, ...body.mapping },
    valueMap: body.valueMap ?? record.valueMap,
    dateFormats: { ...(record.dateFormats as ImportOptions['dateFormats']), ...body.dateFormats },
  };
}

/** Sends the import's first job step; if the queue refuses, the import is marked failed (it was queued in D1 already). */
async function startJob(c: Context<TenantEnv>, importId: string, now: number) {
  try {
    await c.env.IMPORT_QUEUE.send({ tenantId: c.get('tenant').id, importId, step: 'prepare' } satisfies ImportMessage, { contentType: 'json' });
  } catch (error) {
    await c.get('repos').imports.markFailed(importId, 'The import could not be queued.', now);
    throw error;
  }
}

export const importRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'post', path: '/', tags: ['imports'],
      summary: `Upload a CSV (≤ ${MAX_FILE_BYTES / 1024 / 1024} MB) of opportunities, accounts or contacts: a dry run with suggested mapping, value matches and the preview (owners and admins)`,
      middleware: [adminOnly()] as const,
      request: { params: TenantParams, body: { required: true, content: { 'multipart/form-data': { schema: Upload } } } },
      responses: { 201: jsonResponse(Import, 'The import (status preview, or queued with dryRun=false)'), 409: AUTHENTICATED_ERRORS[400], 413: AUTHENTICATED_ERRORS[400], ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const form = c.req.valid('form');
      const file = form.file;
      if (file.size > MAX_FILE_BYTES) throw new ProblemError(413, 'file_too_large', 'Payload too large', `The file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB. Split it into several files.`);
      const entity = form.entity;
      const options: ImportOptions = {
        mapping: parseJsonField('mapping', form.mapping, Mapping),
        valueMap: parseJsonField('valueMap', form.valueMap, ValueMap),
        dateFormats: parseJsonField('dateFormats', form.dateFormats, DateFormats),
      };
      checkMapping(entity, options.mapping);
      const bytes = new Uint8Array(await file.arrayBuffer());
      const csv = readCsv(bytes);
      const { plan, stored } = await dryRun(c, csv, entity, options);
      const repos = c.get('repos');
      const now = c.get('now')();
      const id = newId();
      await repos.imports.create(
        {
          id, entity, status: 'preview', fileName: (file.name || 'import.csv').slice(0, 200), encoding: csv.encoding, delimiter: csv.delimiter,
          mapping: plan.mapping, valueMap: options.valueMap ?? {}, dateFormats: plan.dateFormats, preview: stored, rowCount: stored.preview.rows,
          createdBy: c.get('user').id, createdAt: now, updatedAt: now,
        },
        bytes,
      );
      if (form.dryRun === 'false') {
        await repos.imports.queue(id, { mapping: plan.mapping, valueMap: options.valueMap ?? {}, dateFormats: plan.dateFormats }, { userId: c.get('user').id, now }, { fileName: file.name, rows: stored.preview.rows });
        await startJob(c, id, now);
      }
      return c.json(full((await repos.imports.get(id))!), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get', path: '/', tags: ['imports'], summary: 'Imports of the workspace, newest first (owners and admins)',
      middleware: [adminOnly()] as const,
      request: { params: TenantParams },
      responses: { 200: jsonResponse(z.object({ items: z.array(ImportSummary) }), 'At most 100'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => c.json({ items: (await c.get('repos').imports.list()).map(summary) }, 200),
  )
  .openapi(
    createRoute({
      method: 'get', path: '/{importId}', tags: ['imports'], summary: 'One import: its preview, status, progress and counts (owners and admins)',
      middleware: [adminOnly()] as const,
      request: { params: ImportParams },
      responses: { 200: jsonResponse(Import, 'The import'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const record = await c.get('repos').imports.get(c.req.valid('param').importId);
      if (!record) throw notFound();
      return c.json(full(record), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post', path: '/{importId}/preview', tags: ['imports'], summary: 'Another dry run of the stored file with changed mapping, value map or date formats (owners and admins)',
      middleware: [adminOnly()] as const,
      request: { params: ImportParams, body: jsonBody(Options) },
      responses: { 200: jsonResponse(Import, 'The new preview'), 409: AUTHENTICATED_ERRORS[400], ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const repos = c.get('repos');
      const record = await repos.imports.get(c.req.valid('param').importId);
      if (!record) throw notFound();
      if (record.status !== 'preview') throw conflict('import_not_preview', `This import is ${record.status}; only a preview can be changed.`);
      const body = c.req.valid('json');
      checkMapping(record.entity, body.mapping);
      const options = withChanges(record, body);
      const bytes = await repos.imports.readFile(record.id);
      if (!bytes) throw notFound();
      const { plan, stored } = await dryRun(c, readCsv(bytes, record), record.entity, options);
      const saved = await repos.imports.savePreview(record.id, { mapping: plan.mapping, valueMap: options.valueMap, dateFormats: plan.dateFormats, preview: stored, rowCount: stored.preview.rows }, c.get('now')());
      if (!saved) throw conflict('import_not_preview', 'This import was committed meanwhile.');
      return c.json(full((await repos.imports.get(record.id))!), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post', path: '/{importId}/commit', tags: ['imports'], summary: 'Start the import (Queue jihui-imports); poll GET /imports/{importId} for progress (owners and admins)',
      middleware: [adminOnly()] as const,
      request: { params: ImportParams, body: { ...jsonBody(Options), required: false } },
      responses: { 202: jsonResponse(Import, 'Queued'), 409: AUTHENTICATED_ERRORS[400], ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const repos = c.get('repos');
      const record = await repos.imports.get(c.req.valid('param').importId);
      if (!record) throw notFound();
      if (record.status !== 'preview') throw conflict('import_not_preview', `This import is ${record.status} already.`);
      const body = c.req.valid('json') ?? {};
      checkMapping(record.entity, body.mapping);
      const now = c.get('now')();
      const user = c.get('user').id;
      const options = withChanges(record, body);
      const stored = (record.preview ?? {}) as Partial<StoredPreview>;
      if (!(await repos.imports.queue(record.id, options, { userId: user, now }, { fileName: record.fileName, entity: record.entity, rows: record.rowCount, preview: stored.preview }))) {
        throw conflict('import_not_preview', 'This import was committed meanwhile.');
      }
      await startJob(c, record.id, now);
      return c.json(full((await repos.imports.get(record.id))!), 202);
    },
  )
  .openapi(
    createRoute({
      method: 'get', path: '/{importId}/errors.csv', tags: ['imports'],
      summary: 'The rows not imported (error column) and the rows imported with warnings (warnings column), with their original columns (owners and admins)',
      middleware: [adminOnly()] as const,
      request: { params: ImportParams },
      responses: { 200: { description: 'CSV, UTF-8 with a BOM', content: { 'text/csv': { schema: z.string() } } }, ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const repos = c.get('repos');
      const record = await repos.imports.get(c.req.valid('param').importId);
      if (!record) throw notFound();
      const bytes = await repos.imports.readFile(record.id);
      if (!bytes) throw notFound();
      const csv = readCsv(bytes, record);
      const plan = await planFor(c, csv, record.entity, withChanges(record, {}));
      const byRow = new Map<number, { errors: string[]; warnings: string[] }>();
      for (const issue of plan.issues) {
        const entry = byRow.get(issue.rowNumber) ?? { errors: [], warnings: [] };
        const text = issue.column ? `${issue.column}: ${issue.reason}` : issue.reason;
        (issue.severity === 'error' ? entry.errors : entry.warnings).push(text);
        byRow.set(issue.rowNumber, entry);
      }
      let body = UTF8_BOM + csvLine([...csv.headers, 'row', 'error', 'warnings']);
      csv.rows.forEach((cells, index) => {
        const rowNumber = csv.rowNumbers[index]!;
        const entry = byRow.get(rowNumber);
        if (entry) body += csvLine([...cells, rowNumber, entry.errors.join('; '), entry.warnings.join('; ')]);
      });
      return c.body(body, 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="import-${record.id}-errors.csv"`,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      });
    },
  )
  .openapi(
    createRoute({
      method: 'delete', path: '/{importId}', tags: ['imports'],
      summary: 'Undo an import (again, to resume a stopped undo): removes what it created (records, their history, and entries it added that nothing else uses); records it updated keep their new values (owners and admins)',
      middleware: [adminOnly()] as const,
      request: { params: ImportParams },
      responses: { 202: jsonResponse(Import, 'Undoing; poll GET /imports/{importId} until undone'), 409: AUTHENTICATED_ERRORS[400], ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const repos = c.get('repos');
      const record = await repos.imports.get(c.req.valid('param').importId);
      if (!record) throw notFound();
      // 'undoing' again: resumes an undo whose step kept failing (a second chain is harmless: every step is idempotent).
      if (record.status !== 'done' && record.status !== 'failed' && record.status !== 'undoing') throw conflict('import_not_finished', `This import is ${record.status}; only a finished import can be undone.`);
      const now = c.get('now')();
      if (!(await repos.imports.startUndo(record.id, { userId: c.get('user').id, now }, { fileName: record.fileName, created: record.created, updated: record.updated }))) {
        throw conflict('import_not_finished', 'This import changed meanwhile.');
      }
      await c.env.IMPORT_QUEUE.send({ tenantId: c.get('tenant').id, importId: record.id, step: 'undo' } satisfies ImportMessage, { contentType: 'json' });
      return c.json(full((await repos.imports.get(record.id))!), 202);
    },
  );
