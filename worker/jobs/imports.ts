// The import job on Queue `jihui-imports`. One message = one step of one import:
//   prepare  parse the stored file with the committed options, create the entries it needs and
//            store the rows resolved to ids in chunks (one atomic batch; queued → running);
//   chunk n  write rows n·500 …, then the following chunks for up to 5 s (one atomic batch per
//            chunk, worker/repos/imports.ts), then send a message for the rest;
//   undo     remove up to 500 of what the import created (one atomic batch per step).
// Each step sends the next one only after its batch committed, so one import's writes run one
// after another. Every batch is guarded by the import's state, so a redelivered message writes
// nothing twice; a redelivered message (the worker died between a commit and the send) carries on
// from the import's next chunk, and a delivery that finds its chunk written by another stops. After the retries a step lands in
// `jihui-imports-dlq`, whose consumer marks the import failed (it can then be undone).
import { z } from 'zod';
import { tenantDatabase } from '../../db/client';
import { minorUnitDigits } from '../repos/settings';
import { tenantRepos, type TenantRepos } from '../repos/tenant';
import { parseCsv, type DateFormat } from '../services/import';
import { planImport } from '../services/import-plan';
import { addDays, localDate } from '../services/dates';
import { retryDelaySeconds } from './nightly';
import { RECOMPUTE_MAX_DAYS, planRecompute, startRecompute } from './recompute';
import { rootMessage } from '../errors';

export const IMPORT_QUEUE = 'jihui-imports';
export const IMPORT_DEAD_LETTER_QUEUE = 'jihui-imports-dlq';
/** Wall time one chunk message keeps writing chunks before it sends the rest on (CPU stays far below the consumer's limit). */
export const CHUNK_TIME_BUDGET_MS = 5_000;

export const ImportMessageSchema = z.object({
  tenantId: z.string().min(1),
  importId: z.string().min(1),
  step: z.enum(['prepare', 'chunk', 'undo']),
  chunk: z.number().int().min(0).optional(),
});
export type ImportMessage = z.infer<typeof ImportMessageSchema>;

export interface ImportQueue {
  send(body: ImportMessage, options?: { contentType?: 'json' }): Promise<unknown>;
}

export async function processImportBatch(batch: MessageBatch<unknown>, env: Env, now: () => number = Date.now): Promise<void> {
  for (const message of batch.messages) {
    const parsed = ImportMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      console.error(JSON.stringify({ level: 'error', job: 'import', messageId: message.id, message: 'malformed message', body: message.body }));
      message.ack();
      continue;
    }
    const body = parsed.data;
    if (batch.queue === IMPORT_DEAD_LETTER_QUEUE) {
      console.error(JSON.stringify({ level: 'error', job: 'import', deadLetter: true, ...body }));
      try {
        const repos = tenantRepos(tenantDatabase(env, body.tenantId), body.tenantId);
        if (body.step === 'undo') await repos.imports.noteUndoError(body.importId, 'The undo kept failing; undo again to resume it.', now());
        else await repos.imports.markFailed(body.importId, `The ${body.step} step kept failing; the rows written so far stay (undo removes them).`, now());
        message.ack();
      } catch (error) {
        console.error(JSON.stringify({ level: 'error', job: 'import', deadLetter: true, message: rootMessage(error) }));
        message.retry();
      }
      continue;
    }
    try {
      await runImportStep(env, env.IMPORT_QUEUE, body, now());
      message.ack();
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', job: 'import', ...body, attempts: message.attempts, message: rootMessage(error) }));
      message.retry({ delaySeconds: retryDelaySeconds(env, message.attempts) });
    }
  }
}

/** One step; throws to have the message retried. */
export async function runImportStep(env: Env, queue: ImportQueue, message: ImportMessage, now: number): Promise<void> {
  const repos = tenantRepos(tenantDatabase(env, message.tenantId), message.tenantId);
  const record = await repos.imports.get(message.importId);
  if (!record) return;
  const send = (next: Omit<ImportMessage, 'tenantId' | 'importId'>) => queue.send({ tenantId: message.tenantId, importId: message.importId, ...next }, { contentType: 'json' });

  if (message.step === 'undo') {
    if (record.status !== 'undoing') return;
    if (!(await repos.imports.undoStep(record.id, now))) await send({ step: 'undo' });
    return;
  }

  if (message.step === 'prepare') {
    if (record.status === 'running') return void (await send({ step: 'chunk', chunk: record.nextChunk }));
    if (record.status !== 'queued') return;
    const tenant = await repos.workspace.get();
    const file = await repos.imports.readFile(record.id);
    if (!tenant || !file) return;
    const refs = await repos.imports.refs();
    const plan = planImport(
      parseCsv(file, { encoding: record.encoding as never, delimiter: record.delimiter as never }),
      record.entity,
      { mapping: record.mapping, valueMap: record.valueMap, dateFormats: record.dateFormats as Record<string, DateFormat> },
      refs,
      { timezone: tenant.timezone, now, currencyDigits: minorUnitDigits(tenant.currency) },
    );
    await repos.imports.prepare(record, { ...plan, locale: tenant.locale, firstPipelineId: refs.pipelines[0]?.id ?? null }, now);
    const prepared = await repos.imports.get(record.id);
    if (prepared?.status === 'running') await send({ step: 'chunk', chunk: 0 });
    else if (prepared?.status === 'done') await finish(env, repos, prepared, now);
    return;
  }

  // Chunks: this invocation writes chunk after chunk (each its own atomic batch) for up to
  // CHUNK_TIME_BUDGET_MS, then hands the rest to a new message — fewer queue hops, bounded work.
  if (record.status !== 'running') return;
  // A later chunk than the next one cannot be due (each is sent after its predecessor committed).
  if ((message.chunk ?? 0) > record.nextChunk) return;
  // A redelivered message whose chunks were (partly) written continues from the next one.
  let chunk = record.nextChunk;
  const started = Date.now();
  for (;;) {
    // The given clock, moved on by the time this invocation has spent.
    const at = now + (Date.now() - started);
    const result = await repos.imports.writeChunk(record, chunk, at);
    if (!result) return; // another delivery wrote it and carries on
    if (result.done) return void (await finish(env, repos, (await repos.imports.get(record.id))!, at));
    chunk += 1;
    if (Date.now() - started >= CHUNK_TIME_BUDGET_MS) return void (await send({ step: 'chunk', chunk }));
  }
}

/**
 * After the last chunk: the statistics of the imported date range are recomputed (the most recent
 * RECOMPUTE_MAX_DAYS days of it that have ended), as a job started by the importing user.
 */
async function finish(env: Env, repos: TenantRepos, record: { id: string; createdBy: string; firstDate: string | null; lastDate: string | null }, now: number) {
  if (!record.firstDate || !record.lastDate) return;
  try {
    const tenant = await repos.workspace.get();
    if (!tenant) return;
    const yesterday = addDays(localDate(now, tenant.timezone), -1);
    const to = record.lastDate < yesterday ? record.lastDate : yesterday;
    const earliest = addDays(to, -(RECOMPUTE_MAX_DAYS - 1));
    const from = record.firstDate > earliest ? record.firstDate : earliest;
    if (from > to) return;
    const firstDay = (await repos.reports.firstDay(tenant.timezone)) ?? from;
    const range = planRecompute({ from, to }, yesterday, firstDay < from ? firstDay : from);
    if ('errors' in range || range.total === 0) return;
    await startRecompute(env.NIGHTLY_QUEUE, repos, range, { userId: record.createdBy, now });
  } catch (error) {
    // The import stands; the hourly schedule and a manual recompute still fill the numbers in.
    console.error(JSON.stringify({ level: 'error', job: 'import', importId: record.id, message: `recompute: ${rootMessage(error)}` }));
  }
}
