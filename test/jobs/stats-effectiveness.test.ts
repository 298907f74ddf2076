// Nightly statistics from history: sales cycle, velocity, the stage funnel with time in stage and
// follow-up effectiveness, on small hand-built histories. Every expected number is worked out by
// hand in the comments. Tenant in UTC, snapshot date 2026-05-20: the end of the date is
// 05-21 00:00, the last 28 days start 04-23 00:00, the last 14 days start 05-07 00:00 (exactly
// 14 days before the end), the trailing 90 days start 02-20. All events are at 00:00 UTC, so
// day counts are whole numbers.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../db/client';
import { D1_MAX_BOUND_PARAMETERS } from '../../worker/repos/batch';
import { STATS_STATEMENTS_PER_RUN } from '../../worker/repos/stats';
import { tenantRepos } from '../../worker/repos/tenant';
import { signUp } from '../helpers/api';

const D = '2026-05-20';
const TENANT = { timezone: 'UTC', fiscalYearStartMonth: 1 };
const at = (month: number, day: number) => Date.UTC(2026, month - 1, day);

type Act = { kind: string; done?: number; due?: number; created?: number };

/** A tenant with pipeline P: open stages a (0), b (1), c (2), then won (3) and lost (4). */
async function tenantWithPipeline() {
  const { tenant, user } = await signUp({ locale: 'en' });
  const t = tenant.id;
  const p = `${t}-P`;
  const s = (k: string) => `${t}-${k}`;
  const db = env.DB;
  const stmts = [
    db.prepare("update tenants set timezone = 'UTC', fiscal_year_start_month = 1 where id = ?").bind(t),
    db.prepare('insert into pipelines (id, tenant_id, name, position, created_at) values (?, ?, ?, 99, 0)').bind(p, t, 'P'),
    ...([['a', 10, 'open'], ['b', 50, 'open'], ['c', 80, 'open'], ['won', 100, 'won'], ['lost', 0, 'lost']] as const).map(([k, prob, kind], i) =>
      db.prepare('insert into stages (id, tenant_id, pipeline_id, name, position, probability, kind, created_at) values (?, ?, ?, ?, ?, ?, ?, 0)').bind(s(k), t, p, k, i, prob, kind)),
  ];
  let n = 0;
  /** An opportunity created by its first change, with its later changes and its follow-ups. */
  const opp = (id: string, owner: string, amount: number, changes: [string, number][], acts: Act[] = []) => {
    const created = changes[0]![1];
    stmts.push(
      db.prepare('insert into opportunities (id, tenant_id, pipeline_id, stage_id, title, owner_id, position, stage_entered_at, created_by, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .bind(s(id), t, p, s(changes.at(-1)![0]), id, owner, `p${id}`, created, user.id, created, created),
      ...changes.map(([to, when]) =>
        db.prepare('insert into stage_changes (id, tenant_id, opportunity_id, pipeline_id, to_stage_id, changed_at, changed_by, amount) values (?, ?, ?, ?, ?, ?, ?, ?)')
          .bind(`${t}-sc${n++}`, t, s(id), p, s(to), when, user.id, amount)),
      ...acts.map((a) =>
        db.prepare('insert into activities (id, tenant_id, opportunity_id, owner_id, kind, subject, due_at, done_at, created_by, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .bind(`${t}-act${n++}`, t, s(id), owner, a.kind, a.kind, a.due ?? null, a.done ?? null, user.id, a.created ?? created, a.created ?? created)),
    );
  };
  const write = async () => {
    await db.batch(stmts);
    const repos = tenantRepos(createDatabase(env.DB), t);
    await repos.snapshots.writeSnapshot(D, TENANT, 1);
    const rows = await repos.snapshots.rows(D);
    return (pipelineId: string, dimension: string, key: string) => rows.find((r) => r.pipelineId === pipelineId && r.dimension === dimension && r.dimensionKey === key)?.metrics;
  };
  return { t, p, s, u1: user.id, u2: `${t}-second-owner`, opp, write, repos: tenantRepos(createDatabase(env.DB), t) };
}

describe('nightly statistics: cycle, velocity, funnel and follow-up effectiveness', () => {
  it('computes the hand-built history as it stood at the end of the date', async () => {
    const { p, s, u1, u2, opp, write } = await tenantWithPipeline();
    // A: a 04-01 → b 04-05 → c 04-15 → won 04-21 (cycle 20 days). Calls done 04-03, 04-18 and
    // 04-25 (after the close), a visit 04-10: 3 follow-ups in its 20-day life = 1.05 a week → band 1-2.
    opp('A', u1, 1000, [['a', at(4, 1)], ['b', at(4, 5)], ['c', at(4, 15)], ['won', at(4, 21)]], [
      { kind: 'call', done: at(4, 3) }, { kind: 'visit', done: at(4, 10) }, { kind: 'call', done: at(4, 18) }, { kind: 'call', done: at(4, 25) },
    ]);
    // B: a 04-02 → c 04-12 (skips b) → won 04-14 (cycle 12). One visit in 12 days = 0.58 a week → band 0.5-1.
    opp('B', u1, 2000, [['a', at(4, 2)], ['c', at(4, 12)], ['won', at(4, 14)]], [{ kind: 'visit', done: at(4, 5) }]);
    // C: a 04-03 → b 04-06 → back to a 04-10, open (the stay in a since 04-10 is unfinished).
    // Call done 05-15; a visit planned for 05-25; a call due 05-18 done only on 05-22 (after the
    // date: overdue then, not done); a meeting recorded on 05-22 as done 05-16 (did not exist yet).
    opp('C', u1, 500, [['a', at(4, 3)], ['b', at(4, 6)], ['a', at(4, 10)]], [
      { kind: 'call', done: at(5, 15) }, { kind: 'visit', due: at(5, 25) }, { kind: 'call', due: at(5, 18), done: at(5, 22) },
      { kind: 'meeting', done: at(5, 16), created: at(5, 22) },
    ]);
    // D: created straight into b 05-01 → lost 05-11. Calls 05-02, 05-05, wechat 05-08: 3 in 10
    // days = 2.1 a week → band 2+. A call due 05-12 never done (closed: not overdue).
    opp('D', u2, 800, [['b', at(5, 1)], ['lost', at(5, 11)]], [
      { kind: 'call', done: at(5, 2) }, { kind: 'call', done: at(5, 5) }, { kind: 'wechat', done: at(5, 8) }, { kind: 'call', due: at(5, 12) },
    ]);
    // E: a 03-01 → won 03-31 (cycle 30), no follow-ups → band none.
    opp('E', u2, 3000, [['a', at(3, 1)], ['won', at(3, 31)]]);
    // F: open, created 1 ms after 05-07 00:00: younger than 14 days, not stale.
    opp('F', u2, 400, [['a', at(5, 7) + 1]]);
    // G: open in a since 04-20 (its move to b on 05-25 is after the date). Emails done 04-30 and
    // at exactly 05-07 00:00 (inside the last 14 days: not stale).
    opp('G', u1, 600, [['a', at(4, 20)], ['b', at(5, 25)]], [{ kind: 'email', done: at(4, 30) }, { kind: 'email', done: at(5, 7) }]);
    // H: open, created at exactly 05-07 00:00 (14 days before the end), no follow-up → stale.
    opp('H', u1, 700, [['a', at(5, 7)]]);
    // J: open since 03-01, last email done 04-01 → stale; a call due 05-01 not done (overdue),
    // a visit due 05-30 (planned).
    opp('J', u2, 900, [['a', at(3, 1)]], [{ kind: 'email', done: at(4, 1) }, { kind: 'call', due: at(5, 1) }, { kind: 'visit', due: at(5, 30) }]);
    // L: a 01-01 → lost 03-12 (70 days = 10 weeks). One email 02-01 = 0.1 a week → band <0.5.
    opp('L', u1, 100, [['a', at(1, 1)], ['lost', at(3, 12)]], [{ kind: 'email', done: at(2, 1) }]);
    const row = await write();

    for (const pipelineId of [p, '']) {
      // Open: C, F, G, H, J = 5. Won A, B, E (all in the 90 days); lost D, L (03-12 ≥ 02-20):
      // win rate 3 / 5 = 0.6. Cycles 12, 20, 30 → median 20 (odd count). Average won amount
      // (1,000 + 2,000 + 3,000) / 3 = 2,000. Velocity 5 × 0.6 × 2,000 / 20 = 300 a day.
      // Done in the 28 days from 04-23: a4 (A), c1 (C), D's 3, G's 2 = 7; on open ones C 1 + G 2
      // = 3 → 3 / 5 open / 4 weeks = 0.15. Planned: C (05-25), J (05-30) → 2 / 5 = 0.4.
      // Overdue on open: C's call (done after the date), J's call = 2. Stale: H and J = 2.
      expect(row(pipelineId, 'total', '')).toMatchObject({
        openCount: 5, wonCountAll: 3, lostCountAll: 2, winRate90: 0.6, winRateAll: 0.6,
        cycleMedianDays: 20, avgWonAmount: 2000, velocityPerDay: 300,
        followUpsDone28: 7, followUpsDone28Open: 3, followUpsPerOpenPerWeek: 0.15,
        plannedCount: 2, plannedShare: 0.4, overdueCount: 2, staleCount: 2,
      });
      // u1 owns A, B (won), L (lost), C, G, H (open). Cycles 12 and 20 → median 16 (even count).
      // Win rate 2/3; average won 1,500; velocity 3 × 2/3 × 1,500 / 16 = 187.5 → 188.
      // Done in 28 days: A 1 + C 1 + G 2 = 4, on open 3 → 3 / 3 / 4 = 0.25; planned C → 1/3;
      // overdue C's call = 1; stale H = 1.
      expect(row(pipelineId, 'owner', u1)).toMatchObject({ openCount: 3, cycleMedianDays: 16, avgWonAmount: 1500, velocityPerDay: 188 });
      expect(row(pipelineId, 'followup_owner', u1)).toEqual({
        openCount: 3, followUpsDone28: 4, followUpsDone28Open: 3, followUpsPerOpenPerWeek: 0.25, plannedCount: 1, plannedShare: 1 / 3,
        overdueCount: 1, staleCount: 1, won: 2, lost: 1, winRate: 2 / 3,
      });
      // u2 owns E (won), D (lost), F, J (open). Cycle 30; velocity 2 × 0.5 × 3,000 / 30 = 100.
      // Done in 28 days: D's 3, none on open → 0 / 2 / 4 = 0; planned J → 0.5; overdue J's
      // call = 1 (D's is on a closed one); stale J = 1.
      expect(row(pipelineId, 'owner', u2)).toMatchObject({ openCount: 2, cycleMedianDays: 30, avgWonAmount: 3000, velocityPerDay: 100 });
      expect(row(pipelineId, 'followup_owner', u2)).toEqual({
        openCount: 2, followUpsDone28: 3, followUpsDone28Open: 0, followUpsPerOpenPerWeek: 0, plannedCount: 1, plannedShare: 0.5,
        overdueCount: 1, staleCount: 1, won: 1, lost: 1, winRate: 0.5,
      });

      // Funnel. a: entered by A, B, C, E, F, G, H, J, L (D was created into b) = 9; advanced A
      // (b), B (c, skipping b), C (b, although it came back), E (won) = 4 → 4/9. Finished stays
      // in a: A 4, B 10, C 3, E 30, L 70 days → 117 / 5 = 23.4 (C's second stay, F, G, H and J
      // are still running: censored, left out).
      expect(row(pipelineId, 'funnel', s('a'))).toMatchObject({ position: 0, entered: 9, advanced: 4 });
      expect(row(pipelineId, 'funnel', s('a'))!.conversion).toBeCloseTo(4 / 9, 10);
      expect(row(pipelineId, 'funnel', s('a'))!.avgDaysInStage).toBeCloseTo(23.4, 10);
      // b: A, C, D entered (G only after the date); only A advanced (C moved back, D lost) → 1/3.
      // Stays A 10, C 4, D 10 → 8.
      expect(row(pipelineId, 'funnel', s('b'))).toMatchObject({ position: 1, entered: 3, advanced: 1, conversion: 1 / 3, avgDaysInStage: 8 });
      // c: A and B, both won → 1. Stays A 6, B 2 → 4.
      expect(row(pipelineId, 'funnel', s('c'))).toEqual({ position: 2, entered: 2, advanced: 2, conversion: 1, avgDaysInStage: 4 });
      // won: A, B, E; the funnel's end (no advance); nobody left it → no finished stay.
      expect(row(pipelineId, 'funnel', s('won'))).toEqual({ position: 3, entered: 3, advanced: null, conversion: null, avgDaysInStage: null });
      expect(row(pipelineId, 'funnel', s('lost'))).toBeUndefined();

      // Channels. call: done c1, a1, a3, a4, d1, d2 = 6 (C's late call and D's open one are
      // not done); closed with a call by their close: A won, D lost → 1/2.
      expect(row(pipelineId, 'followup_channel', 'call')).toEqual({ done: 6, won: 1, lost: 1, winRate: 0.5 });
      expect(row(pipelineId, 'followup_channel', 'visit')).toEqual({ done: 2, won: 2, lost: 0, winRate: 1 });
      // email: G's 2, J's, L's = 4; closed: L lost.
      expect(row(pipelineId, 'followup_channel', 'email')).toEqual({ done: 4, won: 0, lost: 1, winRate: 0 });
      expect(row(pipelineId, 'followup_channel', 'wechat')).toEqual({ done: 1, won: 0, lost: 1, winRate: 0 });
      // The meeting was recorded after the date: no row.
      expect(row(pipelineId, 'followup_channel', 'meeting')).toBeUndefined();
      expect(row(pipelineId, 'followup_channel_owner', `${u1}:call`)).toEqual({ done: 4, won: 1, lost: 0, winRate: 1 });
      expect(row(pipelineId, 'followup_channel_owner', `${u2}:call`)).toEqual({ done: 2, won: 0, lost: 1, winRate: 0 });
      expect(row(pipelineId, 'followup_channel_owner', `${u1}:email`)).toEqual({ done: 3, won: 0, lost: 1, winRate: 0 });
      // J's email: J is still open → nothing closed, no rate.
      expect(row(pipelineId, 'followup_channel_owner', `${u2}:email`)).toEqual({ done: 1, won: 0, lost: 0, winRate: null });

      // Bands (closed ones): A 1-2, B 0.5-1, E none (won); L <0.5, D 2+ (lost).
      expect(row(pipelineId, 'followup_band', '1-2')).toEqual({ won: 1, lost: 0, winRate: 1 });
      expect(row(pipelineId, 'followup_band', '0.5-1')).toEqual({ won: 1, lost: 0, winRate: 1 });
      expect(row(pipelineId, 'followup_band', 'none')).toEqual({ won: 1, lost: 0, winRate: 1 });
      expect(row(pipelineId, 'followup_band', '<0.5')).toEqual({ won: 0, lost: 1, winRate: 0 });
      expect(row(pipelineId, 'followup_band', '2+')).toEqual({ won: 0, lost: 1, winRate: 0 });
      expect(row(pipelineId, 'followup_band_owner', `${u1}:1-2`)).toEqual({ won: 1, lost: 0, winRate: 1 });
      expect(row(pipelineId, 'followup_band_owner', `${u1}:<0.5`)).toEqual({ won: 0, lost: 1, winRate: 0 });
      expect(row(pipelineId, 'followup_band_owner', `${u2}:2+`)).toEqual({ won: 0, lost: 1, winRate: 0 });
      expect(row(pipelineId, 'followup_band_owner', `${u2}:1-2`)).toBeUndefined();
    }
  });

  it('gives null rates, never NaN, for a tenant with opportunities but no follow-ups', async () => {
    const { p, s, u1, u2, opp, write } = await tenantWithPipeline();
    // O1: open since 03-01 (u1). O2: a 04-01 → won 04-11 with 500 (u2): cycle 10 days.
    opp('O1', u1, 300, [['a', at(3, 1)]]);
    opp('O2', u2, 500, [['a', at(4, 1)], ['won', at(4, 11)]]);
    const row = await write();
    // 1 open; 0 follow-ups → 0 / 1 / 4 = 0 a week, planned share 0 / 1 = 0; O1 is older than
    // 14 days with no follow-up → stale. Win rate 1 / 1; velocity 1 × 1 × 500 / 10 = 50.
    expect(row(p, 'total', '')).toMatchObject({
      openCount: 1, followUpsDone28: 0, followUpsPerOpenPerWeek: 0, plannedShare: 0, overdueCount: 0, staleCount: 1,
      winRate90: 1, cycleMedianDays: 10, avgWonAmount: 500, velocityPerDay: 50,
    });
    // u2 has nothing open: per-open rates have nothing to divide by → null.
    expect(row(p, 'followup_owner', u2)).toMatchObject({ openCount: 0, followUpsPerOpenPerWeek: null, plannedShare: null, won: 1, lost: 0, winRate: 1 });
    // u1 has closed nothing: no win rate, no cycle, no velocity.
    expect(row(p, 'followup_owner', u1)).toMatchObject({ openCount: 1, followUpsPerOpenPerWeek: 0, won: 0, lost: 0, winRate: null });
    expect(row(p, 'owner', u1)).toMatchObject({ winRate90: null, cycleMedianDays: null, avgWonAmount: null, velocityPerDay: null });
    expect(row(p, 'followup_band', 'none')).toEqual({ won: 1, lost: 0, winRate: 1 });
    expect(row(p, 'followup_channel', 'call')).toBeUndefined();
    // Never-entered stage c: entered 0 → conversion and time in stage null.
    expect(row(p, 'funnel', s('c'))).toEqual({ position: 2, entered: 0, advanced: 0, conversion: null, avgDaysInStage: null });
  });

  it('writes zero rows (not no rows) for an empty tenant: overall total and the funnel of its stages', async () => {
    const { tenant } = await signUp({ locale: 'en' });
    const repos = tenantRepos(createDatabase(env.DB), tenant.id);
    // The template's stages were created just now: on an earlier date they did not exist yet.
    await repos.snapshots.writeSnapshot(D, TENANT, 1);
    expect((await repos.snapshots.rows(D)).map((r) => [r.pipelineId, r.dimension])).toEqual([['', 'total']]);
    const today = new Date().toISOString().slice(0, 10);
    await repos.snapshots.writeSnapshot(today, TENANT, 1);
    const rows = await repos.snapshots.rows(today);
    const overall = rows.find((r) => r.pipelineId === '' && r.dimension === 'total')!.metrics;
    expect(overall).toMatchObject({
      openCount: 0, openAmount: 0, wonCountAll: 0, winRate90: null, winRateAll: null, cycleMedianDays: null, avgWonAmount: null,
      velocityPerDay: null, followUpsDone28: 0, followUpsPerOpenPerWeek: null, plannedShare: null, overdueCount: 0, staleCount: 0,
    });
    // The template's pipeline: a zero total and one funnel row per open and won stage.
    const stages = (await env.DB.prepare("select id, kind from stages where tenant_id = ? and kind in ('open', 'won')").bind(tenant.id).all<{ id: string; kind: string }>()).results;
    expect(stages.length).toBeGreaterThan(0);
    const funnel = rows.filter((r) => r.pipelineId !== '' && r.dimension === 'funnel');
    expect(funnel.map((r) => r.dimensionKey).sort()).toEqual(stages.map((s) => s.id).sort());
    for (const r of funnel) expect(r.metrics).toMatchObject({ entered: 0, conversion: null, avgDaysInStage: null });
    expect(rows.filter((r) => !['total', 'funnel'].includes(r.dimension))).toEqual([]);
    for (const r of rows) for (const v of Object.values(r.metrics)) expect(v === null || Number.isFinite(v)).toBe(true);
  });

  it(`keeps each of its ${STATS_STATEMENTS_PER_RUN} statements within D1's bound-parameter limit and gives identical rows on a re-run`, async () => {
    const { t, u1, opp, write, repos } = await tenantWithPipeline();
    opp('A', u1, 1000, [['a', at(4, 1)], ['won', at(4, 21)]], [{ kind: 'call', done: at(4, 3) }]);
    await write();
    const first = (await repos.snapshots.rows(D)).map(({ computedAt: _c, ...r }) => r);
    const bound: number[] = [];
    const counting = new Proxy(env.DB, {
      get(target, key) {
        if (key === 'prepare') {
          return (query: string) => {
            const statement = target.prepare(query);
            return new Proxy(statement, {
              get(st, k) {
                if (k === 'bind') return (...values: unknown[]) => { bound.push(values.length); return st.bind(...values); };
                const value = Reflect.get(st, k) as unknown;
                return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(st) : value;
              },
            });
          };
        }
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await tenantRepos(createDatabase(counting), t).snapshots.writeSnapshot(D, TENANT, 2);
    expect(bound).toHaveLength(STATS_STATEMENTS_PER_RUN);
    expect(Math.max(...bound)).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
    expect((await repos.snapshots.rows(D)).map(({ computedAt: _c, ...r }) => r)).toEqual(first);
  });
});
