// The CSV import API (/api/t/:tenant/imports, owners and admins): upload → dry-run previews →
// commit → poll → undo. The shapes follow the agreed interface (/work/prompts/import-interface.md).
// Uploads are multipart, so these calls go through fetch with the same error handling as call().
import type { ClientResponse } from 'hono/client';
import { call, callForFile } from './errors';

// The field lists and date formats come from the parsing module the Worker uses (pure code, no I/O).
import { DATE_FORMATS, type DateFormat } from '../../../../worker/services/import/dates';
import { DATE_FIELDS, IMPORT_ENTITIES, type ImportEntity, REQUIRED_FIELD, TARGET_FIELDS } from '../../../../worker/services/import/fields';

export { DATE_FORMATS, IMPORT_ENTITIES, type DateFormat, type ImportEntity };
export const IMPORT_FIELDS = TARGET_FIELDS;
export type ImportField = (typeof TARGET_FIELDS)[ImportEntity][number];
export const REQUIRED_IMPORT_FIELD: Record<ImportEntity, ImportField> = REQUIRED_FIELD;
export const DATE_IMPORT_FIELDS: readonly string[] = DATE_FIELDS;

export type ImportStatus = 'preview' | 'queued' | 'running' | 'done' | 'failed' | 'undoing' | 'undone';

/** Reference fields whose file values are mapped to existing entries or created. */
export type ValueField = 'stage' | 'owner' | 'type' | 'source' | 'product' | 'lostReason' | 'pipeline';
export const VALUE_FIELDS: readonly ValueField[] = ['pipeline', 'stage', 'owner', 'type', 'source', 'product', 'lostReason'];

export interface ValueSuggestion {
	value: string;
	count: number;
	match: { id: string; name: string; how: 'exact' | 'near' | 'won' | 'lost' | 'open' } | null;
	action: 'map' | 'create';
}

export interface ImportIssue {
	rowNumber: number;
	column: string;
	value: string;
	reason: string;
	severity: 'error' | 'warning';
	code: string;
}

export interface ImportCounts {
	rows: number;
	created: number;
	updated: number;
	skipped: number;
	failed: number;
}

export interface ImportSummary {
	id: string;
	entity: ImportEntity;
	status: ImportStatus;
	fileName: string;
	encoding: string;
	delimiter: string;
	createdAt: string;
	createdBy: { id: string; name: string };
	headers: string[];
	mapping: Record<string, string>;
	dateFormats: Record<string, DateFormat>;
	preset: 'hubspot' | 'pipedrive' | 'salesforce' | null;
	preview: { rows: number; create: number; update: number; skip: number; errors: number; warnings: number };
	progress: { done: number; total: number };
	counts: ImportCounts | null;
	finishedAt: string | null;
}

export interface ImportDetail extends ImportSummary {
	sample: string[][];
	values: Partial<Record<string, ValueSuggestion[]>>;
	issues: ImportIssue[];
}

/** What the mapping and values screens decide; sent with each preview and the commit. */
export interface ImportChoices {
	mapping?: Record<string, string>;
	valueMap?: Record<string, Record<string, string>>;
	dateFormats?: Record<string, DateFormat>;
}

const base = (tenant: string) => `/api/t/${encodeURIComponent(tenant)}/imports`;

function json<T>(request: () => Promise<Response>) {
	return call(request as unknown as () => Promise<ClientResponse<T, 200, 'json'>>);
}

function send(url: string, method: string, body?: unknown): Promise<Response> {
	return fetch(url, {
		method,
		credentials: 'same-origin',
		headers: body === undefined ? {} : { 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
}

/** Uploads a file and runs the first dry run (nothing is imported yet). */
export function uploadImport(tenant: string, file: File, entity: ImportEntity, choices: ImportChoices = {}) {
	const form = new FormData();
	form.set('file', file, file.name);
	form.set('entity', entity);
	form.set('dryRun', 'true');
	if (choices.mapping) form.set('mapping', JSON.stringify(choices.mapping));
	if (choices.valueMap) form.set('valueMap', JSON.stringify(choices.valueMap));
	if (choices.dateFormats) form.set('dateFormats', JSON.stringify(choices.dateFormats));
	return json<ImportDetail>(() => fetch(base(tenant), { method: 'POST', credentials: 'same-origin', body: form }));
}

/** Another dry run of the stored file with changed choices. */
export const previewImport = (tenant: string, id: string, choices: ImportChoices) =>
	json<ImportDetail>(() => send(`${base(tenant)}/${encodeURIComponent(id)}/preview`, 'POST', choices));

export const commitImport = (tenant: string, id: string, choices: ImportChoices) =>
	json<ImportDetail>(() => send(`${base(tenant)}/${encodeURIComponent(id)}/commit`, 'POST', choices));

export const fetchImport = (tenant: string, id: string) => json<ImportDetail>(() => send(`${base(tenant)}/${encodeURIComponent(id)}`, 'GET'));

export const fetchImports = (tenant: string) => json<{ items: ImportSummary[] }>(() => send(base(tenant), 'GET'));

export const undoImport = (tenant: string, id: string) => json<ImportSummary>(() => send(`${base(tenant)}/${encodeURIComponent(id)}`, 'DELETE'));

/** The rows not imported (and the warnings), as the original columns plus row and error. */
export const downloadImportErrors = (tenant: string, id: string) => callForFile(() => send(`${base(tenant)}/${encodeURIComponent(id)}/errors.csv`, 'GET'));

export const isFinished = (status: ImportStatus) => status === 'done' || status === 'failed' || status === 'undone';
export const isRunning = (status: ImportStatus) => status === 'queued' || status === 'running' || status === 'undoing';
