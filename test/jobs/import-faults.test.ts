// An import whose database fails mid-way — batches refused before they run, and batches that ran
// but whose worker "died" before acknowledging — still ends with every row written exactly once,
// and replaying every message again changes nothing.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../../worker';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../db/client';
import { runImportStep, type ImportMessage } from '../../worker/jobs/imports';
import { tenantRepos } from '../../worker/repos/tenant';
import { signUp } from '../helpers/api';
import { upload, waitForImport } from '../helpers/imports';

const ROWS = 1_700; // 4 chunks of 500

/** A D1 binding whose batch calls fail on a schedule: 'before' = nothing applied; 'after' = applied, then the caller sees an error. */
function faultyD1(real: D1Database, fault: (call: number) => 'before' | 'after' | null) {
  let calls = 0;
  return new Proxy(real, {
    get(target, property) {
      if (property === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          const mode = fault(++calls);
          if (mode === 'before') throw new Error('D1_ERROR: Network connection lost.');
          const result = await target.batch(statements);
          if (mode === 'after') throw new Error('D1_ERROR: Network connection lost.');
          return result;
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('an import under injected D1 failures', () => {
  it('resumes without loss or duplication, and a replay of every message writes nothing more', async () => {
    const { client, tenant, user } = await signUp();
    // Half the rows carry an external id; the other half are deduplicated by import and row number.
    const lines = ['External ID,Title,Company,Stage,Amount'];
    for (let i = 1; i <= ROWS; i++) lines.push([i % 2 ? `F-${i}` : '', `Fault deal ${i}`, `Fault Co ${i % 37}`, i % 5 === 0 ? 'Won' : 'Qualified', String(i)].join(','));
    const preview = await upload(client, tenant.slug, lines.join('\r\n'));
    expect(preview.status).toBe(201);
    const repos = tenantRepos(createDatabase(env.DB), tenant.id);
    const now = Date.now();
    expect(await repos.imports.queue(preview.body.id, { mapping: preview.body.mapping, valueMap: {}, dateFormats: preview.body.dateFormats }, { userId: user.id, now }, {})).toBe(true);

    const pending: ImportMessage[] = [{ tenantId: tenant.id, importId: preview.body.id, step: 'prepare' }];
    const processed: ImportMessage[] = [];
    const queue = { send: async (body: ImportMessage) => void pending.push(body) };
    // Every third batch fails: alternately before it runs and after it ran.
    const faultyEnv = { ...env, DB: faultyD1(env.DB, (n) => (n % 3 === 0 ? (n % 6 === 0 ? 'after' : 'before') : null)), NIGHTLY_QUEUE: { sendBatch: async () => undefined } } as unknown as Env;
    let failures = 0;
    for (let steps = 0; pending.length && steps < 100; steps++) {
      const message = pending.shift()!;
      try {
        await runImportStep(faultyEnv, queue, message, Date.now());
        processed.push(message);
      } catch {
        failures++;
        pending.push(message); // the queue redelivers it
      }
    }
    expect(failures).toBeGreaterThan(1);
    expect(pending).toEqual([]);

    const count = async () => (await env.DB.prepare('select count(*) as n, count(distinct title) as titles from opportunities where tenant_id = ?').bind(tenant.id).first<{ n: number; titles: number }>())!;
    const record = await client.get(`/api/t/${tenant.slug}/imports/${preview.body.id}`);
    expect(record.body.status).toBe('done');
    expect(record.body.counts).toEqual({ rows: ROWS, created: ROWS, updated: 0, skipped: 0, failed: 0 });
    expect(await count()).toEqual({ n: ROWS, titles: ROWS });
    const history = await env.DB.prepare('select count(*) as n from stage_changes where tenant_id = ?').bind(tenant.id).first<{ n: number }>();
    // Neither Qualified nor Won is the pipeline's first stage: each row enters the first stage, then moves on.
    expect(history!.n).toBe(2 * ROWS);
    const accounts = await env.DB.prepare('select count(*) as n from accounts where tenant_id = ?').bind(tenant.id).first<{ n: number }>();
    expect(accounts!.n).toBe(37);

    // Every message delivered once more, in reverse order: nothing changes.
    const sent: ImportMessage[] = [];
    for (const message of processed.reverse()) await runImportStep(env, { send: async (body) => void sent.push(body) }, message, Date.now());
    expect(await count()).toEqual({ n: ROWS, titles: ROWS });
    const again = await client.get(`/api/t/${tenant.slug}/imports/${preview.body.id}`);
    expect(again.body.counts).toEqual(record.body.counts);
  });

  it('marks an import failed when a step lands in the dead letter queue, counting the rows not written, and it can be undone', async () => {
    const { client, tenant, user } = await signUp();
    const lines = ['Title,Amount'];
    for (let i = 1; i <= 1_200; i++) lines.push(`Poison deal ${i},${i}`);
    const preview = await upload(client, tenant.slug, lines.join('\r\n'));
    const repos = tenantRepos(createDatabase(env.DB), tenant.id);
    await repos.imports.queue(preview.body.id, { mapping: preview.body.mapping, valueMap: {}, dateFormats: preview.body.dateFormats }, { userId: user.id, now: Date.now() }, {});
    // Prepare, then one chunk written by hand (a budget of one chunk: the next message is not run).
    const sent: ImportMessage[] = [];
    const queue = { send: async (body: ImportMessage) => void sent.push(body) };
    await runImportStep(env, queue, { tenantId: tenant.id, importId: preview.body.id, step: 'prepare' }, Date.now());
    await repos.imports.writeChunk((await repos.imports.get(preview.body.id))!, 0, Date.now());
    // The next chunk's message kept failing: the dead letter queue's consumer gets it.
    const batch = createMessageBatch<unknown>('jihui-imports-dlq', [{ id: 'dead-1', body: { tenantId: tenant.id, importId: preview.body.id, step: 'chunk', chunk: 1 }, attempts: 1, timestamp: new Date() }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['dead-1']);
    const failed = await client.get(`/api/t/${tenant.slug}/imports/${preview.body.id}`);
    expect(failed.body.status).toBe('failed');
    expect(failed.body.error).toContain('kept failing');
    expect(failed.body.counts).toEqual({ rows: 1_200, created: 500, updated: 0, skipped: 0, failed: 700 });
    expect(failed.body.counts.created + failed.body.counts.failed).toBe(1_200);
    // Undo removes the 500 written.
    expect((await client.request('DELETE', `/api/t/${tenant.slug}/imports/${preview.body.id}`)).status).toBe(202);
    await waitForImport(client, tenant.slug, preview.body.id, ['undone']);
    const left = await env.DB.prepare('select count(*) as n from opportunities where tenant_id = ?').bind(tenant.id).first<{ n: number }>();
    expect(left!.n).toBe(0);
  });
});
