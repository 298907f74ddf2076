// CSV imports: the import record, its stored file and the prepared chunks the queue job writes.
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, tenantId, updatedAt } from './columns';

export const IMPORT_STATUSES = ['preview', 'queued', 'running', 'done', 'failed', 'undoing', 'undone'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export const imports = sqliteTable(
  'imports',
  {
    id: id(),
    tenantId: tenantId(),
    entity: text({ enum: ['opportunities', 'accounts', 'contacts'] }).notNull(),
    status: text({ enum: IMPORT_STATUSES }).notNull(),
    fileName: text().notNull(),
    fileBytes: integer().notNull(),
    // How many import_files parts hold the file.
    fileParts: integer().notNull(),
    encoding: text().notNull(),
    delimiter: text().notNull(),
    mapping: text({ mode: 'json' }).$type<Record<string, string>>().notNull(),
    valueMap: text({ mode: 'json' }).$type<Record<string, Record<string, string>>>().notNull(),
    dateFormats: text({ mode: 'json' }).$type<Record<string, string>>().notNull(),
    // The last dry run's answer (headers, sample, values, preview counts, issues), served by GET.
    preview: text({ mode: 'json' }).$type<Record<string, unknown>>(),
    rowCount: integer().notNull().default(0),
    created: integer().notNull().default(0),
    updated: integer().notNull().default(0),
    skipped: integer().notNull().default(0),
    failed: integer().notNull().default(0),
    // The job: chunks prepared, the next chunk to write (each chunk's batch advances it), rows done.
    chunkCount: integer().notNull().default(0),
    nextChunk: integer().notNull().default(0),
    progressDone: integer().notNull().default(0),
    // Catalog entries, stages and pending members the import created (undo removes them if unused).
    createdRefs: text({ mode: 'json' }).$type<{ table: string; id: string }[]>().notNull().default([]),
    // The imported date range (YYYY-MM-DD), for the statistics recompute.
    firstDate: text(),
    lastDate: text(),
    error: text(),
    createdBy: text().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: instant(),
  },
  (t) => [index('imports_tenant_idx').on(t.tenantId, t.createdAt)],
);

// The uploaded file, base64 in parts of ≤ 1 MB of text each (D1 rows are capped at 2 MB; no R2 needed
// for files ≤ 16 MB). Kept so a second dry run and the error CSV re-read the exact bytes.
export const importFiles = sqliteTable(
  'import_files',
  {
    tenantId: tenantId(),
    importId: text().notNull(),
    part: integer().notNull(),
    data: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.importId, t.part] })],
);

// Rows ready to write, resolved to ids, as JSON: one row per chunk of IMPORT_CHUNK_ROWS rows. Written
// by the job's first step and deleted when the import finishes.
export const importChunks = sqliteTable(
  'import_chunks',
  {
    tenantId: tenantId(),
    importId: text().notNull(),
    chunk: integer().notNull(),
    rows: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.importId, t.chunk] })],
);
