// Uploading CSV files to the import routes and waiting for the import job, as the UI does.
import type { ApiClient } from './api';

export interface UploadOptions {
  entity?: string;
  mapping?: Record<string, string>;
  valueMap?: Record<string, Record<string, string>>;
  dateFormats?: Record<string, string>;
  dryRun?: boolean;
  fileName?: string;
}

export function importForm(file: string | Uint8Array, options: UploadOptions = {}): FormData {
  const form = new FormData();
  form.set('file', new Blob([typeof file === 'string' ? new TextEncoder().encode(file) : file], { type: 'text/csv' }), options.fileName ?? 'deals.csv');
  form.set('entity', options.entity ?? 'opportunities');
  if (options.mapping) form.set('mapping', JSON.stringify(options.mapping));
  if (options.valueMap) form.set('valueMap', JSON.stringify(options.valueMap));
  if (options.dateFormats) form.set('dateFormats', JSON.stringify(options.dateFormats));
  if (options.dryRun !== undefined) form.set('dryRun', String(options.dryRun));
  return form;
}

export async function upload(client: ApiClient, slug: string, file: string | Uint8Array, options: UploadOptions = {}) {
  return client.post(`/api/t/${slug}/imports`, importForm(file, options));
}

/** Polls the import until its status is one of `until` (the queue runs in the background). */
export async function waitForImport(client: ApiClient, slug: string, id: string, until: string[] = ['done', 'failed'], timeoutMs = 60_000) {
  const started = Date.now();
  for (;;) {
    const response = await client.get(`/api/t/${slug}/imports/${id}`);
    if (response.status !== 200) throw new Error(`import ${id}: ${response.status} ${response.text}`);
    if (until.includes(response.body.status)) return response.body;
    if (Date.now() - started > timeoutMs) throw new Error(`import ${id} still ${response.body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Uploads, commits and waits until done. */
export async function importFile(client: ApiClient, slug: string, file: string | Uint8Array, options: UploadOptions = {}, timeoutMs = 60_000) {
  const preview = await upload(client, slug, file, options);
  if (preview.status !== 201) throw new Error(`upload: ${preview.status} ${preview.text}`);
  const commit = await client.post(`/api/t/${slug}/imports/${preview.body.id}/commit`, {});
  if (commit.status !== 202) throw new Error(`commit: ${commit.status} ${commit.text}`);
  return { preview: preview.body, result: await waitForImport(client, slug, preview.body.id, ['done', 'failed'], timeoutMs) };
}
