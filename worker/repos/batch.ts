// D1 limits every statement to 100 bound parameters and an invocation to 1,000 statements.
// Multi-row inserts are therefore split so each statement stays under the parameter limit, and
// all statements of one logical write go to D1 in one atomic `batch`.
import type { BatchItem } from 'drizzle-orm/batch';
import { getTableColumns, type InferInsertModel } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Database } from '../../db/client';

export const D1_MAX_BOUND_PARAMETERS = 100;
export const D1_MAX_STATEMENTS = 1_000;

export type Statement = BatchItem<'sqlite'>;

export function insertChunked<T extends SQLiteTable>(db: Database, table: T, rows: InferInsertModel<T>[]): Statement[] {
  if (rows.length === 0) return [];
  const columns = Object.keys(getTableColumns(table)).length;
  const perStatement = Math.max(1, Math.floor(D1_MAX_BOUND_PARAMETERS / columns));
  const statements: Statement[] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    statements.push(db.insert(table).values(rows.slice(i, i + perStatement) as never));
  }
  return statements;
}

/** Runs statements atomically: all succeed or none is applied. */
export async function runAtomically(db: Database, statements: Statement[]): Promise<void> {
  if (statements.length === 0) return;
  if (statements.length > D1_MAX_STATEMENTS) {
    throw new Error(`A batch of ${statements.length} statements exceeds D1's limit of ${D1_MAX_STATEMENTS}`);
  }
  await db.batch(statements as [Statement, ...Statement[]]);
}
