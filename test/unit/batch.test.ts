import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../db/client';
import { opportunities, stages } from '../../db/schema';
import { D1_MAX_BOUND_PARAMETERS, insertChunked } from '../../worker/repos/batch';

const db = createDatabase(env.DB);
const sqlOf = (statement: unknown) => (statement as { toSQL(): { params: unknown[] } }).toSQL();

const opportunity = (i: number) => ({
  id: `o${i}`, tenantId: 't', pipelineId: 'p', stageId: 's', title: `Deal ${i}`, ownerId: 'u', position: `a${i}`,
  stageEnteredAt: 0, createdBy: 'u', createdAt: 0, updatedAt: 0,
});

describe('chunked inserts', () => {
  it('keep every statement within D1’s 100 bound parameters', () => {
    const statements = insertChunked(db, opportunities, Array.from({ length: 250 }, (_, i) => opportunity(i)));
    for (const statement of statements) expect(sqlOf(statement).params.length).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
  });

  it('write every row exactly once', () => {
    const rows = Array.from({ length: 37 }, (_, i) => ({
      id: `s${i}`, tenantId: 't', pipelineId: 'p', name: `Stage ${i}`, probability: 10, kind: 'open' as const, createdAt: 0,
    }));
    const statements = insertChunked(db, stages, rows);
    const ids = statements.flatMap((s) => sqlOf(s).params.filter((p) => typeof p === 'string' && /^s\d+$/.test(p)));
    expect(ids.sort()).toEqual(rows.map((r) => r.id).sort());
  });

  it('produce no statement for no rows', () => {
    expect(insertChunked(db, stages, [])).toEqual([]);
  });
});
