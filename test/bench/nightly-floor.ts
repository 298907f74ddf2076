// The floor for the nightly benchmark: the very same queue consumer (worker/jobs/nightly.ts), run
// in Node over the local D1's SQLite file through a minimal D1Database written on node:sqlite —
// no workerd, no D1 Durable Object in between. Counts statements and samples the JS heap at every
// statement (an approximate peak of what one message's computation holds). Bundled by
// scripts/bench-nightly.mjs with esbuild.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { processNightlyBatch } from '../../worker/jobs/nightly';

interface Counters { statements: number; peakHeap: number }

function d1OnSqlite(sqlite: DatabaseSync, counters: Counters, trace: boolean, measureHeap: boolean) {
  // With a collector exposed (scripts/bench-nightly.mjs does), the heap is measured live — what
  // the message holds before each statement and with each statement's result — not garbage
  // awaiting collection.
  const sampleHeap = () => {
    if (!measureHeap) return;
    (globalThis as { gc?: () => void }).gc?.();
    counters.peakHeap = Math.max(counters.peakHeap, process.memoryUsage().heapUsed);
  };
  const sample = () => {
    counters.statements++;
    sampleHeap();
  };
  const bound = (statement: StatementSync, params: unknown[], query = '') => {
    const values = params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? Number(p) : p)) as never[];
    return {
      all: async () => {
        sample();
        const t0 = performance.now();
        const results = statement.all(...values);
        // BENCH_TRACE=1: each statement's time, to find the slow one.
        sampleHeap();
        if (trace) console.log(`  ${(performance.now() - t0).toFixed(0).padStart(6)} ms  ${query.replace(/\s+/g, ' ').slice(0, 110)}`);
        return { results, success: true, meta: {} };
      },
      raw: async () => {
        sample();
        statement.setReturnArrays(true);
        try {
          const rows = statement.all(...values);
          sampleHeap();
          return rows;
        } finally {
          statement.setReturnArrays(false);
        }
      },
      first: async () => {
        sample();
        return statement.all(...values)[0] ?? null;
      },
      run: async () => {
        sample();
        statement.run(...values);
        return { success: true, meta: {} };
      },
    };
  };
  const prepare = (query: string) => {
    const statement = sqlite.prepare(query);
    return { bind: (...params: unknown[]) => bound(statement, params, query), ...bound(statement, [], query) };
  };
  return {
    prepare,
    async batch(statements: ReturnType<typeof bound>[]) {
      sqlite.exec('begin');
      try {
        const results = [];
        for (const statement of statements) results.push(await statement.all());
        sqlite.exec('commit');
        return results;
      } catch (error) {
        sqlite.exec('rollback');
        throw error;
      }
    },
  };
}

/**
 * Runs one nightly message for (tenantId, date) through the consumer: time and statements, or
 * (measureHeap: a collection before every reading, which would distort the time) the live heap.
 */
export async function runFloor(file: string, tenantId: string, date: string, now: number, { trace = false, measureHeap = false } = {}) {
  const sqlite = new DatabaseSync(file);
  const counters: Counters = { statements: 0, peakHeap: 0 };
  if (measureHeap) (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().heapUsed;
  let outcome = 'none';
  const message = {
    id: 'bench', timestamp: new Date(now), attempts: 1, body: { tenantId, date },
    ack: () => { outcome = 'ack'; },
    retry: () => { outcome = 'retry'; },
  };
  const batch = { queue: 'jihui-nightly', messages: [message], ackAll() {}, retryAll() {} };
  const t0 = performance.now();
  await processNightlyBatch(batch as never, { DB: d1OnSqlite(sqlite, counters, trace, measureHeap) } as never, now);
  const ms = performance.now() - t0;
  sqlite.close();
  if (outcome !== 'ack') throw new Error(`nightly floor run for ${tenantId} ${date} ended in ${outcome}`);
  return { ms, statements: counters.statements, heapGrowth: Math.max(0, counters.peakHeap - before) };
}
