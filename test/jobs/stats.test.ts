// Nightly statistics on small hand-built histories; every expected number is worked out by hand
// in the comments. Tenant in UTC with a fiscal year starting in April, snapshot date 2026-05-20:
// day = 05-20, month to date from 05-01, fiscal quarter to date from 04-01, trailing 90 days
// from 02-20.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import worker from '../../worker';
import { createDatabase } from '../../db/client';
import { tenantRepos } from '../../worker/repos/tenant';
import { STATS_STATEMENTS_PER_RUN, fiscalQuarterStart } from '../../worker/repos/stats';
import { signUp } from '../helpers/api';

const D = '2026-05-20';
const at = (month: number, day: number, hour = 10) => Date.UTC(2026, month - 1, day, hour);

async function run(messages: { id: string; body: unknown }[]) {
  const batch = createMessageBatch<unknown>('jihui-nightly', messages.map((m) => ({ id: m.id, body: m.body, attempts: 1, timestamp: Date.now() })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

/** A tenant with pipeline P (stages a 20 %, b 50 %, won, lost) and hand-built history. */
async function history() {
  const { tenant, user } = await signUp({ locale: 'en' });
  const t = tenant.id;
  const p = `${t}-P`;
  const s = (k: string) => `${t}-${k}`;
  const reason = await env.DB.prepare('select id from lost_reasons where tenant_id = ? limit 1').bind(t).first<{ id: string }>();
  const db = env.DB;
  const stmts = [
    db.prepare("update tenants set timezone = 'UTC', fiscal_year_start_month = 4 where id = ?").bind(t),
    db.prepare('insert into pipelines (id, tenant_id, name, position, created_at) values (?, ?, ?, 99, 0)').bind(p, t, 'P'),
    ...([['a', 20, 'open'], ['b', 50, 'open'], ['won', 100, 'won'], ['lost', 0, 'lost']] as const).map(([k, prob, kind], i) =>
      db.prepare('insert into stages (id, tenant_id, pipeline_id, name, position, probability, kind, created_at) values (?, ?, ?, ?, ?, ?, ?, 0)').bind(s(k), t, p, k, i, prob, kind)),
  ];
  let n = 0;
  const opp = (id: string, created: number, stage: string, changes: [string, number, number][], extra: { override?: number; lostReason?: string } = {}) => {
    stmts.push(
      db.prepare('insert into opportunities (id, tenant_id, pipeline_id, stage_id, title, owner_id, position, stage_entered_at, created_by, created_at, updated_at, probability_override, lost_reason_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .bind(s(id), t, p, s(stage), id, user.id, `a${id}`, created, user.id, created, created, extra.override ?? null, extra.lostReason ?? null),
      ...changes.map(([to, when, amount]) =>
        db.prepare('insert into stage_changes (id, tenant_id, opportunity_id, pipeline_id, to_stage_id, changed_at, changed_by, amount) values (?, ?, ?, ?, ?, ?, ?, ?)')
          .bind(`${t}-sc${n++}`, t, s(id), p, s(to), when, user.id, amount)),
    );
  };
  // o1: open in a since 03-10, 1,000 → weighted 200.
  opp('o1', at(3, 10), 'a', [['a', at(3, 10), 1000]]);
  // o2: created 04-05 in a (2,000), to b with 3,000 on 05-10, won on 05-21 (AFTER the date):
  // open in b at the date, 3,000, weighted 1,500; not won.
  opp('o2', at(4, 5), 'won', [['a', at(4, 5), 2000], ['b', at(5, 10), 3000], ['won', at(5, 21), 3000]]);
  // o3: created 05-02 (500), won 05-15 with 600: created and won in the month and the quarter.
  opp('o3', at(5, 2), 'won', [['a', at(5, 2), 500], ['won', at(5, 15), 600]]);
  // o4: created 01-05 (700), lost 04-02 with 800 for a reason: lost in the quarter, not the month.
  opp('o4', at(1, 5), 'lost', [['a', at(1, 5), 700], ['lost', at(4, 2), 800]], { lostReason: reason!.id });
  // o5: created 05-21, after the date: does not exist yet.
  opp('o5', at(5, 21), 'a', [['a', at(5, 21), 9000]]);
  // o6: created on the date at 09:00 with 100 and a 50 % override → weighted 50.
  opp('o6', at(5, 20, 9), 'a', [['a', at(5, 20, 9), 100]], { override: 50 });
  // Products: o1 has two lines of X and one of Y, o3 one line of X.
  stmts.push(
    ...['X', 'Y'].map((k) => db.prepare('insert into products (id, tenant_id, name, created_at) values (?, ?, ?, 0)').bind(s(k), t, k)),
    ...([['o1', 'X'], ['o1', 'X'], ['o1', 'Y'], ['o3', 'X']] as const).map(([o, k], i) =>
      db.prepare('insert into opportunity_products (id, tenant_id, opportunity_id, product_id, quantity, unit_price) values (?, ?, ?, ?, 1, 10)').bind(`${t}-line${i}`, t, s(o), s(k))),
  );
  await db.batch(stmts);
  return { tenant, user, p, s, reason: reason!.id, repos: tenantRepos(createDatabase(env.DB), t) };
}

const strip = <T extends { computedAt: number }>(rows: T[]) => rows.map(({ computedAt: _c, ...r }) => r);

describe('nightly statistics', () => {
  it('fiscal quarters start from the fiscal year’s first month', () => {
    expect(fiscalQuarterStart('2026-05-20', 4)).toBe('2026-04-01');
    expect(fiscalQuarterStart('2026-03-31', 4)).toBe('2026-01-01');
    expect(fiscalQuarterStart('2026-02-10', 11)).toBe('2026-02-01');
    expect(fiscalQuarterStart('2026-01-10', 11)).toBe('2025-11-01');
    expect(fiscalQuarterStart('2026-12-31', 1)).toBe('2026-10-01');
  });

  it('computes the hand-built history as it stood at the end of the date', async () => {
    const { tenant, p, s, reason, user, repos } = await history();
    const result = await run([{ id: 'm1', body: { tenantId: tenant.id, date: D } }]);
    expect(result.explicitAcks).toEqual(['m1']);
    const rows = await repos.snapshots.rows(D);
    const row = (pipelineId: string, dimension: string, key: string) => rows.find((r) => r.pipelineId === pipelineId && r.dimension === dimension && r.dimensionKey === key)?.metrics;
    const total = row(p, 'total', '')!;
    expect(total).toMatchObject({
      openCount: 3, openAmount: 4100, weightedAmount: 1750,
      createdCountDay: 1, createdAmountDay: 100, createdCountMtd: 2, createdAmountMtd: 700, createdCountQtd: 3, createdAmountQtd: 3700,
      wonCountDay: 0, wonCountMtd: 1, wonAmountMtd: 600, wonCountQtd: 1, wonAmountQtd: 600,
      lostCountDay: 0, lostCountMtd: 0, lostCountQtd: 1, lostAmountQtd: 800,
      wonCount90: 1, lostCount90: 1, winRate90: 0.5, wonCountAll: 1, lostCountAll: 1, lostAmountAll: 800, winRateAll: 0.5,
    });
    // The signup's template has no opportunities: the overall rows equal P's.
    expect(row('', 'total', '')).toEqual(total);
    expect(row(p, 'stage', s('b'))).toMatchObject({ openCount: 1, openAmount: 3000, weightedAmount: 1500 });
    expect(row(p, 'stage', s('a'))).toMatchObject({ openCount: 2, openAmount: 1100, weightedAmount: 250 });
    expect(row(p, 'stage', s('won'))).toMatchObject({ openCount: 0, wonCountAll: 1, wonAmountAll: 600 });
    expect(row(p, 'owner', user.id)).toEqual(total);
    expect(row(p, 'lost_reason', reason)).toMatchObject({ lostCountQtd: 1, lostAmountQtd: 800, lostCountAll: 1, lostAmountAll: 800 });
    expect(row(p, 'type', '')).toMatchObject({ openCount: 3 });
    expect(rows.filter((r) => r.dimension === 'lost_reason')).toHaveLength(2);
    // An opportunity counts once, with its whole amount, in each of its products' rows.
    expect(row(p, 'product', s('X'))).toMatchObject({ openCount: 1, openAmount: 1000, wonCountMtd: 1, wonAmountMtd: 600, createdCountMtd: 1 });
    expect(row(p, 'product', s('Y'))).toMatchObject({ openCount: 1, openAmount: 1000, weightedAmount: 200, wonCountAll: 0 });
    expect(row('', 'product', s('Y'))).toEqual(row(p, 'product', s('Y')));
  });

  it('gives identical rows for messages delivered twice in shuffled order across two dates', async () => {
    const { tenant, repos } = await history();
    const m = (id: string, date: string) => ({ id, body: { tenantId: tenant.id, date } });
    await run([m('a', D), m('b', '2026-05-21')]);
    const first = [strip(await repos.snapshots.rows(D)), strip(await repos.snapshots.rows('2026-05-21'))];
    await run([m('c', '2026-05-21'), m('d', D), m('e', '2026-05-21')]);
    expect([strip(await repos.snapshots.rows(D)), strip(await repos.snapshots.rows('2026-05-21'))]).toEqual(first);
    // The next day sees o2 won and o5 created.
    expect(first[1]!.find((r) => r.dimension === 'total' && r.pipelineId === '')!.metrics).toMatchObject({ openCount: 3, wonCountDay: 1, wonAmountDay: 3000, createdCountDay: 1 });
  });

  it('leaves the previous rows and no run marker when the write fails, and a retry completes', async () => {
    const { tenant, repos } = await history();
    await run([{ id: 'm1', body: { tenantId: tenant.id, date: D } }]);
    const before = await repos.snapshots.rows(D);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    await env.DB.prepare("create trigger stats_boom before insert on daily_stats begin select raise(abort, 'injected'); end").run();
    try {
      const failed = await run([{ id: 'm2', body: { tenantId: tenant.id, date: D } }, { id: 'm3', body: { tenantId: tenant.id, date: '2026-05-19' } }]);
      expect(failed.retryMessages.map((r) => r.msgId).sort()).toEqual(['m2', 'm3']);
    } finally {
      await env.DB.prepare('drop trigger stats_boom').run();
      error.mockRestore();
    }
    expect(await repos.snapshots.rows(D)).toEqual(before);
    expect(await repos.snapshots.rows('2026-05-19')).toEqual([]);
    expect(await env.DB.prepare("select count(*) as n from nightly_runs where tenant_id = ? and as_of_date = '2026-05-19'").bind(tenant.id).first<{ n: number }>()).toEqual({ n: 0 });
    const retried = await run([{ id: 'm4', body: { tenantId: tenant.id, date: '2026-05-19' } }]);
    expect(retried.explicitAcks).toEqual(['m4']);
    expect((await repos.snapshots.rows('2026-05-19')).length).toBeGreaterThan(0);
    expect(await env.DB.prepare("select status from nightly_runs where tenant_id = ? and as_of_date = '2026-05-19'").bind(tenant.id).first()).toEqual({ status: 'done' });
  });

  it(`uses ${STATS_STATEMENTS_PER_RUN} statements per tenant for 10 and for 500 opportunities`, async () => {
    const counts: number[] = [];
    for (const size of [10, 500]) {
      const { tenant, user, p, s } = await history();
      const stmts = [];
      for (let i = 0; i < size; i++) {
        stmts.push(
          env.DB.prepare('insert into opportunities (id, tenant_id, pipeline_id, stage_id, title, owner_id, position, stage_entered_at, created_by, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
            .bind(`${tenant.id}-x${i}`, tenant.id, p, s('a'), `x${i}`, user.id, `x${i}`, at(3, 1), user.id, at(3, 1), at(3, 1)),
          env.DB.prepare('insert into stage_changes (id, tenant_id, opportunity_id, pipeline_id, to_stage_id, changed_at, changed_by, amount) values (?, ?, ?, ?, ?, ?, ?, ?)')
            .bind(`${tenant.id}-xs${i}`, tenant.id, `${tenant.id}-x${i}`, p, s(i % 2 ? 'a' : 'b'), at(3, 1), user.id, i),
        );
      }
      await env.DB.batch(stmts);
      let prepared = 0;
      const counting = new Proxy(env.DB, {
        get(target, key) {
          if (key === 'prepare') return (query: string) => { prepared++; return target.prepare(query); };
          const value = Reflect.get(target, key) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const rowCount = await tenantRepos(createDatabase(counting), tenant.id).snapshots.writeSnapshot(D, { timezone: 'UTC', fiscalYearStartMonth: 4 }, 1);
      expect(rowCount).toBeGreaterThan(0);
      counts.push(prepared);
      const total = (await tenantRepos(createDatabase(env.DB), tenant.id).snapshots.rows(D)).find((r) => r.pipelineId === '' && r.dimension === 'total')!;
      expect(total.metrics.openCount).toBe(3 + size);
    }
    expect(counts).toEqual([STATS_STATEMENTS_PER_RUN, STATS_STATEMENTS_PER_RUN]);
  });
});
