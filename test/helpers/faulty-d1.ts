// A D1 binding that fails on purpose: a chosen statement (counting every execution — a prepared
// statement's run/all/first/raw, or one whole batch) or a seeded random fraction of them, with D1's
// own retryable error text. `after: true` fails AFTER the statement ran (the write happened, the
// caller sees an error — what a lost connection looks like), to prove retries are idempotent.
export const D1_RETRYABLE = 'D1_ERROR: Network connection lost.';

// Writes made on purpose before (and apart from) the work: attempt counters, session refreshes.
const BOOKKEEPING = /login_attempts|update\s+"?sessions"?\s+set\s+"?last_verified_at/i;

export interface FaultPlan {
  /** 0-based executions to fail. */
  failAt?: number[];
  /** Fraction of executions to fail, drawn from `seed`. */
  rate?: number;
  seed?: number;
  after?: boolean;
  message?: string;
}

export function faultyD1(target: D1Database, plan: FaultPlan = {}) {
  /** One entry per execution: whether it wrote (ignoring bookkeeping) and whether it was failed. */
  const log: { write: boolean; failed: boolean }[] = [];
  const state = { executions: 0, failures: 0, log };
  const sqlOf = new WeakMap<object, string>();
  const writes = (sql: string) => /^\s*(insert|update|delete|replace)\b/i.test(sql) && !BOOKKEEPING.test(sql);
  let seed = (plan.seed ?? 1) >>> 0;
  const random = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const shouldFail = (write: boolean) => {
    const index = state.executions++;
    const fail = (plan.failAt?.includes(index) ?? false) || (plan.rate !== undefined && random() < plan.rate);
    if (fail) state.failures++;
    log.push({ write, failed: fail });
    return fail;
  };
  const error = () => new Error(plan.message ?? D1_RETRYABLE);
  const real = new WeakMap<object, D1PreparedStatement>();

  async function execute<T>(write: boolean, work: () => Promise<T>): Promise<T> {
    if (!shouldFail(write)) return work();
    if (plan.after) await work();
    throw error();
  }

  function wrap(statement: D1PreparedStatement, sql: string): D1PreparedStatement {
    const proxy = new Proxy(statement, {
      get(target, property) {
        if (property === 'bind') return (...values: unknown[]) => wrap(target.bind(...values), sql);
        if (property === 'run' || property === 'all' || property === 'first' || property === 'raw') {
          return (...args: unknown[]) => execute(writes(sql), () => (target[property] as (...a: unknown[]) => Promise<unknown>).apply(target, args));
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    real.set(proxy, statement);
    sqlOf.set(proxy, sql);
    return proxy;
  }

  const binding = new Proxy(target, {
    get(t, property) {
      if (property === 'prepare') return (query: string) => wrap(t.prepare(query), query);
      if (property === 'batch') {
        return (statements: D1PreparedStatement[]) => execute(statements.some((s) => writes(sqlOf.get(s) ?? '')), () => t.batch(statements.map((s) => real.get(s) ?? s)));
      }
      if (property === 'exec') return (query: string) => execute(writes(query), () => t.exec(query));
      const value = Reflect.get(t, property);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
  return { binding, state };
}

/** Every row of every app table (bookkeeping that is written on purpose before the work is left out), for before/after comparison. */
export async function databaseDigest(db: D1Database, skip: string[] = ['login_attempts']): Promise<string> {
  const { results } = await db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_cf_%' and name not like 'd1_%' order by name").all<{ name: string }>();
  const parts: string[] = [];
  for (const { name } of results) {
    if (skip.includes(name)) continue;
    const rows = await db.prepare(`select * from "${name}" order by rowid`).raw();
    parts.push(`${name}:${JSON.stringify(rows)}`);
  }
  return parts.join('\n');
}

/** The rows that differ between two digests (for failure messages). */
export function digestDiff(before: string, after: string): string {
  const tables = (digest: string) => new Map(digest.split('\n').map((line) => [line.slice(0, line.indexOf(':')), JSON.parse(line.slice(line.indexOf(':') + 1)) as unknown[][]]));
  const a = tables(before);
  const b = tables(after);
  const out: string[] = [];
  for (const [name, rows] of b) {
    const old = new Set((a.get(name) ?? []).map((r) => JSON.stringify(r)));
    const now = new Set(rows.map((r) => JSON.stringify(r)));
    for (const r of now) if (!old.has(r)) out.push(`${name} + ${r}`);
    for (const r of old) if (!now.has(r)) out.push(`${name} - ${r}`);
  }
  return out.join('\n').slice(0, 3000);
}
