// The CSV import API (/api/t/:tenant/imports, owners and admins): upload → dry-run previews →
// commit → poll → undo. Typed from the Worker's routes (worker/routes/imports.ts) like the rest of the client.
import type { InferResponseType } from 'hono/client';
import { tenantApi } from './client';
import { call, callForFile } from './errors';

// The field lists and date formats come from the parsing module the Worker uses (pure code, no I/O).
import { DATE_FORMATS, type DateFormat } from '../../../../worker/services/import/dates';
import { DATE_FIELDS, IMPORT_ENTITIES, type ImportEntity, REQUIRED_FIELD, TARGET_FIELDS } from '../../../../worker/services/import/fields';

export { DATE_FORMATS, IMPORT_ENTITIES, type DateFormat, type ImportEntity };
export const IMPORT_FIELDS = TARGET_FIELDS;
export type ImportField = (typeof TARGET_FIELDS)[ImportEntity][number];
export const REQUIRED_IMPORT_FIELD: Record<ImportEntity, ImportField> = REQUIRED_FIELD;
export const DATE_IMPORT_FIELDS: readonly string[] = DATE_FIELDS;

type ImportsApi = typeof tenantApi.imports;
type OneImportApi = ImportsApi[':importId'];

/** One import as GET /imports/:id answers it: status, progress, counts, and the last dry run. */
export type ImportDetail = InferResponseType<OneImportApi['$get'], 200>;
/** An import in the list (no sample, values or issues). */
export type ImportSummary = InferResponseType<ImportsApi['$get'], 200>['items'][number];
export type ImportStatus = ImportSummary['status'];
export type ValueSuggestion = ImportDetail['values'][string][number];
export type ImportIssue = ImportDetail['issues'][number];

/** What the mapping and values screens decide; sent with each preview and the commit. */
export interface ImportChoices {
	mapping?: Record<string, string>;
	valueMap?: Record<string, Record<string, string>>;
	dateFormats?: Record<string, DateFormat>;
}

const importApi = tenantApi.imports[':importId'];

/** Uploads a file and runs the first dry run (nothing is imported yet). */
export const uploadImport = (tenant: string, file: File, entity: ImportEntity) =>
	call(() => tenantApi.imports.$post({ param: { tenant }, form: { file, entity, dryRun: 'true' } }));

/** Another dry run of the stored file with changed choices. */
export const previewImport = (tenant: string, importId: string, json: ImportChoices) => call(() => importApi.preview.$post({ param: { tenant, importId }, json }));

export const commitImport = (tenant: string, importId: string, json: ImportChoices) => call(() => importApi.commit.$post({ param: { tenant, importId }, json }));

export const fetchImport = (tenant: string, importId: string) => call(() => importApi.$get({ param: { tenant, importId } }));

export const fetchImports = (tenant: string) => call(() => tenantApi.imports.$get({ param: { tenant } }));

/** Starts the undo (status undoing, then undone). */
export const undoImport = (tenant: string, importId: string) => call(() => importApi.$delete({ param: { tenant, importId } }));

/** The rows not imported (and the warnings), as the original columns plus row and error. */
export const downloadImportErrors = (tenant: string, importId: string) => callForFile(() => importApi['errors.csv'].$get({ param: { tenant, importId } }));

export const isRunning = (status: ImportStatus) => status === 'queued' || status === 'running' || status === 'undoing';
