// The import job on Queue `jihui-imports`. One message = one step of one import:
//   prepare  parse the stored file with the committed options, create the entries it needs and
//            store the rows resolved to ids in chunks (one atomic batch; queued → running);
//   chunk n  write rows n·500 … (one atomic batch per chunk, worker/repos/imports.ts);
//   undo     remove up to 500 of what the import created (one atomic batch per step).
// Each step sends the next one only after its batch committed, so one import's writes run one
// after another. Every batch is guarded by the import's state, so a redelivered message writes
// nothing twice; a message whose successor may have been lost (the worker died between the commit
// and the send) sends it again — duplicates are no-ops. After the retries a step lands in
// `jihui-imports-dlq`, whose consumer marks the import failed (it can then be undone).
import { z } from 'zod';
import { createDatabase } from '../../db/client';
import { minorUnitDigits } from '../repos/settings';
import { tenantRepos, type TenantRepos } from '../repos/tenant';
import { parseCsv, type DateFormat } from '../services/import';
import { planImport } from '../services/import-plan';
import { addDays, localDate } from '../services/dates';
import { retryDelaySeconds } from './nightly';
import { RECOMPUTE_MAX_DAYS, planRecompute, startRecompute } from './recompute';

export const IMPORT_QUEUE = 'jihui-imports';
export const IMPORT_DEAD_LETTER_QUEUE = 'jihui-imports-dlq';

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
  const db = createDatabase(env.DB);
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
        await tenantRepos(db, body.tenantId).imports.markFailed(body.importId, `The ${body.step} step kept failing; the rows written so far stay (undo removes them).`, now());
        message.ack();
      } catch (error) {
        console.error(JSON.stringify({ level: 'error', job: 'import', deadLetter: true, message: String(error) }));
        message.retry();
      }
      continue;
    }
    try {
      await runImportStep(env, env.IMPORT_QUEUE, body, now());
      message.ack();
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', job: 'import', ...body, attempts: message.attempts, message: String(error) }));
      message.retry({ delaySeconds: retryDelaySeconds(env, message.attempts) });
    }
  }
}

/** One step; throws to have the message retried. */
export async function runImportStep(env: Env, queue: ImportQueue, message: ImportMessage, now: number): Promise<void> {
  const repos = tenantRepos(createDatabase(env.DB), message.tenantId);
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
    await repos.imports.prepare(record, { ...plan, locale: tenant.locale }, now);
    const prepared = await repos.imports.get(record.id);
    if (prepared?.status === 'running') await send({ step: 'chunk', chunk: 0 });
    else if (prepared?.status === 'done') await finish(env, repos, prepared, now);
    return;
  }

  // A chunk.
  const chunk = message.chunk ?? 0;
  if (record.status !== 'running') return;
  if (chunk < record.nextChunk) {
    // Written before; make sure its successor was sent (a duplicate is a no-op).
    if (chunk + 1 === record.nextChunk) await send({ step: 'chunk', chunk: record.nextChunk });
    return;
  }
  if (chunk > record.nextChunk) return; // not its turn: the chain sends it again
  const result = await repos.imports.writeChunk(record, chunk, now);
  if (!result) return;
  if (result.done) await finish(env, repos, (await repos.imports.get(record.id))!, now);
  else await send({ step: 'chunk', chunk: chunk + 1 });
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
    console.error(JSON.stringify({ level: 'error', job: 'import', importId: record.id, message: `recompute: ${String(error)}` }));
  }
}
