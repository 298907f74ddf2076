// The floor for the board benchmark: the very same repo code (worker/repos/opportunities.ts)
// run in Node over the local D1's SQLite file through drizzle's sqlite-proxy driver — no HTTP,
// no workerd, no session or tenant lookups. Bundled by scripts/bench.mjs with esbuild.
import { DatabaseSync } from 'node:sqlite';
import { drizzle } from 'drizzle-orm/sqlite-proxy';
import * as schema from '../../db/schema';
import { opportunityRepo } from '../../worker/repos/opportunities';
import { repoScope } from '../../worker/repos/scope';

export function openFloor(file: string) {
  const sqlite = new DatabaseSync(file, { readOnly: true });
  let statements = 0;
  const run = (query: string, params: unknown[], method: string) => {
    statements++;
    const statement = sqlite.prepare(query);
    statement.setReturnArrays(true);
    if (method === 'run') {
      statement.run(...(params as never[]));
      return { rows: [] };
    }
    const rows = statement.all(...(params as never[])) as unknown as unknown[][];
    return { rows: method === 'get' ? (rows[0] ?? undefined) : rows };
  };
  const db = drizzle(
    async (query, params, method) => run(query, params, method) as never,
    async (queries) => queries.map((q) => run(q.sql, q.params, q.method)) as never,
    { schema, casing: 'snake_case' },
  );
  return {
    board: (tenantId: string, pipelineId: string, limit = 50) =>
      opportunityRepo(repoScope(db as never, tenantId)).board(pipelineId, {}, limit),
    /** The list's first page, default sort (GET …/opportunities?limit=50). */
    list: (tenantId: string, limit = 50) =>
      opportunityRepo(repoScope(db as never, tenantId)).list({}, { sort: 'createdAt', direction: 'desc', limit }),
    takeStatementCount() {
      const n = statements;
      statements = 0;
      return n;
    },
    close: () => sqlite.close(),
  };
}
