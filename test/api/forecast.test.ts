// Forecasts end to end: a hand-built history → the nightly consumer → stored `forecasts` rows →
// GET /forecast (with the accuracy of closed periods) and GET /forecast/backtest. Every expected
// number is worked out by hand in the comments. Tenant in UTC, fiscal year from January.
//
// Pipeline P: stages a (20 %), b (50 %), won, lost. Amounts in minor units.
//   o1: created 03-10 in a, 1,000, expected close 05-25.                         open throughout
//   o2: created 04-05 in a (2,000), to b on 05-10 with 3,000, expected 06-15.      open
//   o3: created 05-02 in a (500), won 05-15 with 600.
//   o4: created 01-05 in a (700), expected 04-10, won 04-02 with 800.
//   o5: created 05-21 (after 05-20) in a, 9,000.
//   o6: created 05-20 09:00 in a, 100, override 50 %, no expected close date.
//   o7: created 02-01 in b, 4,000, expected 08-10.
//   o8: created 04-10 in a (1,000), to b 05-05 (1,000), won 05-21 (1,000), expected 05-30.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../worker';
import { addMember, signUp } from '../helpers/api';
import { addMonths, monthStart } from '../../worker/services/forecast';
import { localDate } from '../../worker/services/dates';

const at = (month: number, day: number, hour = 10) => Date.UTC(2026, month - 1, day, hour);

async function run(tenantId: string, dates: string[]) {
  const batch = createMessageBatch<unknown>('jihui-nightly', dates.map((date, i) => ({ id: `m${i}`, body: { tenantId, date }, attempts: 1, timestamp: Date.now() })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

async function history() {
  const owner = await signUp({ locale: 'en' });
  const t = owner.tenant.id;
  const p = `${t}-P`;
  const s = (k: string) => `${t}-${k}`;
  const db = env.DB;
  const stmts = [
    db.prepare("update tenants set timezone = 'UTC', fiscal_year_start_month = 1 where id = ?").bind(t),
    db.prepare('insert into pipelines (id, tenant_id, name, position, created_at) values (?, ?, ?, 99, 0)').bind(p, t, 'P'),
    ...([['a', 20, 'open'], ['b', 50, 'open'], ['won', 100, 'won'], ['lost', 0, 'lost']] as const).map(([k, prob, kind], i) =>
      db.prepare('insert into stages (id, tenant_id, pipeline_id, name, position, probability, kind, created_at) values (?, ?, ?, ?, ?, ?, ?, 0)').bind(s(k), t, p, k, i, prob, kind)),
  ];
  let n = 0;
  const opp = (id: string, created: number, stage: string, changes: [string | null, string, number, number][], extra: { override?: number; expected?: string } = {}) => {
    stmts.push(
      db.prepare('insert into opportunities (id, tenant_id, pipeline_id, stage_id, title, owner_id, position, stage_entered_at, created_by, created_at, updated_at, probability_override, expected_close_date, amount) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .bind(s(id), t, p, s(stage), id, owner.user.id, `a${id}`, created, owner.user.id, created, created, extra.override ?? null, extra.expected ?? null, changes.at(-1)![3]),
      ...changes.map(([from, to, when, amount]) =>
        db.prepare('insert into stage_changes (id, tenant_id, opportunity_id, pipeline_id, from_stage_id, to_stage_id, changed_at, changed_by, amount) values (?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .bind(`${t}-sc${n++}`, t, s(id), p, from === null ? null : s(from), s(to), when, owner.user.id, amount)),
    );
  };
  opp('o1', at(3, 10), 'a', [[null, 'a', at(3, 10), 1000]], { expected: '2026-05-25' });
  opp('o2', at(4, 5), 'b', [[null, 'a', at(4, 5), 2000], ['a', 'b', at(5, 10), 3000]], { expected: '2026-06-15' });
  opp('o3', at(5, 2), 'won', [[null, 'a', at(5, 2), 500], ['a', 'won', at(5, 15), 600]]);
  opp('o4', at(1, 5), 'won', [[null, 'a', at(1, 5), 700], ['a', 'won', at(4, 2), 800]], { expected: '2026-04-10' });
  opp('o5', at(5, 21), 'a', [[null, 'a', at(5, 21), 9000]]);
  opp('o6', at(5, 20, 9), 'a', [[null, 'a', at(5, 20, 9), 100]], { override: 50 });
  opp('o7', at(2, 1), 'b', [[null, 'b', at(2, 1), 4000]], { expected: '2026-08-10' });
  opp('o8', at(4, 10), 'won', [[null, 'a', at(4, 10), 1000], ['a', 'b', at(5, 5), 1000], ['b', 'won', at(5, 21), 1000]], { expected: '2026-05-30' });
  await db.batch(stmts);
  return { owner, t, s, base: `/api/t/${owner.tenant.slug}` };
}

const storedRows = async (tenantId: string, date: string) =>
  (await env.DB.prepare('select * from forecasts where tenant_id = ? and as_of_date = ? order by period_start, period_kind, method').bind(tenantId, date).all<Record<string, unknown>>()).results;

describe('nightly forecasts', () => {
  it('stores closed-won, weighted and calibrated rows for the current and next month and quarter', async () => {
    const h = await history();
    const result = await run(h.t, ['2026-05-20']);
    expect(result.explicitAcks).toEqual(['m0']);
    const rows = await storedRows(h.t, '2026-05-20');
    expect(rows).toHaveLength(12);
    const get = (start: string, kind: string, method: string) => rows.find((r) => r.period_start === start && r.period_kind === kind && r.method === method)!;
    // closed-won as of 05-20: May: o3 600 (o8 is won on 05-21, after the date). Q2 (Apr–Jun):
    // o3 600 + o4 800 (won 04-02) = 1,400. Next month and quarter: nothing yet.
    expect(get('2026-05-01', 'month', 'closed').expected).toBe(600);
    expect(get('2026-06-01', 'month', 'closed').expected).toBe(0);
    expect(get('2026-04-01', 'quarter', 'closed').expected).toBe(1400);
    expect(get('2026-07-01', 'quarter', 'closed').expected).toBe(0);
    // weighted (open at the end of 05-20; stage probability or override × amount as of then):
    //   May:  o1 1,000 × 20 % = 200 (05-25) + o6 100 × 50 % = 50 (no date → now)
    //         + o8 in b 1,000 × 50 % = 500 (05-30)                                 = 750
    //   June: o2 in b 3,000 × 50 % = 1,500 (06-15)                                 = 1,500
    //   Q2:   200 + 1,500 + 50 + 500                                                = 2,250
    //   Q3:   o7 4,000 × 50 % = 2,000 (08-10)                                      = 2,000
    // (o5 is created after the date and does not exist yet.)
    expect(get('2026-05-01', 'month', 'weighted').expected).toBe(750);
    expect(get('2026-06-01', 'month', 'weighted').expected).toBe(1500);
    expect(get('2026-04-01', 'quarter', 'weighted').expected).toBe(2250);
    expect(get('2026-07-01', 'quarter', 'weighted').expected).toBe(2000);
    for (const r of rows.filter((row) => row.method === 'calibrated')) {
      expect(r.low as number).toBeLessThanOrEqual(r.expected as number);
      expect(r.expected as number).toBeLessThanOrEqual(r.high as number);
    }
    // A current period's range starts at what is already won.
    expect(get('2026-05-01', 'month', 'calibrated').low as number).toBeGreaterThanOrEqual(600);
    expect(get('2026-04-01', 'quarter', 'calibrated').low as number).toBeGreaterThanOrEqual(1400);
    const details = JSON.parse(get('2026-05-01', 'month', 'calibrated').details as string);
    expect(details).toMatchObject({ period: 'currentMonth', end: '2026-05-31' });
    expect(Object.keys(details).sort()).toEqual(['end', 'mean', 'period', 'seasonalNaive', 'stageProbabilities', 'trailingMean', 'trend']);
    // trailing mean for May: won Feb 0, Mar 0, Apr 800 → 800 / 3 = 266.67 → 267; seasonal naive
    // (February) 0.
    expect(details.trailingMean).toBe(267);
    expect(details.seasonalNaive).toBe(0);
  });

  it('writes identical rows when the message is delivered again', async () => {
    const h = await history();
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ computed_at: _c, ...r }) => r);
    await run(h.t, ['2026-05-20']);
    const first = strip(await storedRows(h.t, '2026-05-20'));
    await run(h.t, ['2026-05-20', '2026-05-20']);
    expect(strip(await storedRows(h.t, '2026-05-20'))).toEqual(first);
    expect(first).toHaveLength(12);
  });
});

describe('GET /forecast', () => {
  it('answers an empty forecast before any snapshot, and 400 for a bad date', async () => {
    const { client, tenant } = await signUp({ locale: 'en' });
    const response = await client.get(`/api/t/${tenant.slug}/forecast`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      asOfDate: null, computedAt: null, target: { month: null, quarter: null }, periods: [],
      trend: { series: [], projection: [] }, stageProbabilities: [], accuracy: [],
    });
    const bad = await client.get(`/api/t/${tenant.slug}/forecast?date=2026-02-30`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('query.date');
  });

  it('carries the workspace’s sales targets for the fan chart once an admin sets them', async () => {
    const { client, tenant } = await signUp({ locale: 'en' });
    const set = await client.request('PATCH', `/api/t/${tenant.slug}/settings`, { salesTargetMonthly: 5_000_000, salesTargetQuarterly: 14_000_000 });
    expect(set.status).toBe(200);
    const response = await client.get(`/api/t/${tenant.slug}/forecast`);
    expect(response.status).toBe(200);
    expect(response.body.target).toEqual({ month: 5_000_000, quarter: 14_000_000 });
    await client.request('PATCH', `/api/t/${tenant.slug}/settings`, { salesTargetMonthly: null });
    expect((await client.get(`/api/t/${tenant.slug}/forecast`)).body.target).toEqual({ month: null, quarter: 14_000_000 });
  });

  it('reads a date’s forecast, its trend and calibrated stage probabilities, and scores closed periods', async () => {
    const h = await history();
    await run(h.t, ['2026-04-30', '2026-05-20', '2026-05-31']);
    const response = await h.owner.client.get(`${h.base}/forecast?date=2026-05-20`);
    expect(response.status).toBe(200);
    const body = response.body;
    expect(body.asOfDate).toBe('2026-05-20');
    expect(body.periods.map((p: { period: string; start: string; end: string; closedWon: number; weighted: number }) => [p.period, p.start, p.end, p.closedWon, p.weighted])).toEqual([
      ['currentMonth', '2026-05-01', '2026-05-31', 600, 750],
      ['nextMonth', '2026-06-01', '2026-06-30', 0, 1500],
      ['currentQuarter', '2026-04-01', '2026-06-30', 1400, 2250],
      ['nextQuarter', '2026-07-01', '2026-09-30', 0, 2000],
    ]);
    for (const p of body.periods) {
      expect(p.calibrated).toBe(p.p50);
      expect(p.p10).toBeLessThanOrEqual(p.p50);
      expect(p.p50).toBeLessThanOrEqual(p.p90);
    }
    // Open count at the end of each of the 90 days to 05-20: on 05-20 o1, o2, o6, o7, o8 = 5.
    expect(body.trend.series).toHaveLength(90);
    expect(body.trend.series.at(-1)).toEqual({ date: '2026-05-20', open: 5 });
    expect(body.trend.projection).toHaveLength(30);
    // Calibrated stage probabilities as of 05-20 (k = 10 pseudo-deals at the configured rate):
    // a: closed opportunities that were in a: o3 won, o4 won (o8 closes on 05-21) → (2 + 10 × 0.2) / (2 + 10) = 1/3.
    // b: no closed opportunity was ever in b → stays at the configured 0.5.
    const stage = (id: string) => body.stageProbabilities.find((s: { stageId: string }) => s.stageId === h.s(id));
    expect(stage('a')).toEqual({ stageId: h.s('a'), pipelineId: `${h.t}-P`, configured: 0.2, calibrated: 4 / 12, won: 2, closed: 2 });
    expect(stage('b')).toEqual({ stageId: h.s('b'), pipelineId: `${h.t}-P`, configured: 0.5, calibrated: 0.5, won: 0, closed: 0 });

    // Accuracy, from the snapshots of 04-30, 05-20 and 05-31 (the latest is 05-31):
    // - April closed (the 04-30 snapshot is its last day): actual = o4's 800. No snapshot on 03-31,
    //   so the earliest one inside April (04-30) is scored: weighted for April then = 0 (no open
    //   deal expected in April, none undated) → accuracy max(0, 1 − 800/800) = 0; calibrated =
    //   the 800 already won with nothing left of the month → accuracy 1, in range.
    // - May closed (the 05-31 snapshot): actual = o3 600 + o8 1,000 = 1,600; forecast stored on
    //   04-30 (the day before May): weighted = o1 1,000 × 20 % + o8 (in a then) 1,000 × 20 % = 400
    //   → accuracy 1 − |1,600 − 400| / 1,600 = 0.25.
    // - Q2 (Apr–Jun) has not closed.
    const latest = await h.owner.client.get(`${h.base}/forecast`);
    expect(latest.body.asOfDate).toBe('2026-05-31');
    const accuracy = latest.body.accuracy;
    expect(accuracy.map((a: { periodKind: string; periodStart: string; periodEnd: string; forecastDate: string; actual: number; weighted: number; accuracyWeighted: number }) =>
      [a.periodKind, a.periodStart, a.periodEnd, a.forecastDate, a.actual, a.weighted, a.accuracyWeighted])).toEqual([
      ['month', '2026-04-01', '2026-04-30', '2026-04-30', 800, 0, 0],
      ['month', '2026-05-01', '2026-05-31', '2026-04-30', 1600, 400, 0.25],
    ]);
    expect(accuracy[0]).toMatchObject({ calibrated: 800, p10: 800, p90: 800, accuracyCalibrated: 1, inRange: true });
    const may = accuracy[1];
    expect(may.accuracyCalibrated).toBeCloseTo(Math.max(0, 1 - Math.abs(1600 - may.calibrated) / 1600), 10);
    expect(may.inRange).toBe(may.p10 <= 1600 && 1600 <= may.p90);
    // The May forecast scored is the one stored on 04-30 for May (its next month).
    const april30 = await h.owner.client.get(`${h.base}/forecast?date=2026-04-30`);
    const next = april30.body.periods.find((p: { period: string }) => p.period === 'nextMonth');
    expect([next.start, next.weighted, next.p50, next.p10, next.p90]).toEqual(['2026-05-01', 400, may.calibrated, may.p10, may.p90]);
  });

  it('is closed to members and viewers when members see only their own; owners and admins read on', async () => {
    const h = await history();
    await run(h.t, ['2026-05-20']);
    const member = await addMember(h.t, 'member');
    const viewer = await addMember(h.t, 'viewer');
    const admin = await addMember(h.t, 'admin');
    for (const path of ['/forecast', '/forecast/backtest']) {
      expect((await member.client.get(`${h.base}${path}`)).status).toBe(200);
      expect((await viewer.client.get(`${h.base}${path}`)).status).toBe(200);
    }
    await env.DB.prepare('update tenants set members_see_own_only = 1 where id = ?').bind(h.t).run();
    for (const path of ['/forecast', '/forecast/backtest']) {
      for (const person of [member, viewer]) {
        const response = await person.client.get(`${h.base}${path}`);
        expect(response.status).toBe(403);
        expect(response.body.code).toBe('reports_restricted');
        expect(response.text).not.toContain('2250');
      }
      expect((await admin.client.get(`${h.base}${path}`)).status).toBe(200);
      expect((await h.owner.client.get(`${h.base}${path}`)).status).toBe(200);
    }
  });
});

describe('GET /forecast/backtest', () => {
  it('scores each method on past periods from the history', async () => {
    const h = await history();
    const response = await h.owner.client.get(`${h.base}/forecast/backtest?from=2026-03-01&to=2026-04-01&period=month`);
    expect(response.status).toBe(200);
    const { rows, mape, coverage, period } = response.body;
    expect(period).toBe('month');
    // March: nothing won → actual 0. April: o4's 800.
    // Weighted for April, as of 03-31: o4 (open in a, expected 04-10) 800 × 20 % = 160; o1 is
    // expected in May and o7 in August.
    // Trailing mean for April: Jan, Feb, Mar won nothing → 0; seasonal naive (January) 0.
    expect(rows.map((r: { periodStart: string; actual: number; weighted: number; trailingMean: number; seasonalNaive: number }) =>
      [r.periodStart, r.actual, r.weighted, r.trailingMean, r.seasonalNaive])).toEqual([
      ['2026-03-01', 0, 0, 0, 0],
      ['2026-04-01', 800, 160, 0, 0],
    ]);
    // MAPE skips March (actual 0): weighted |800 − 160| / 800 = 0.8; both baselines 1.
    expect(mape.weighted).toBeCloseTo(0.8, 10);
    expect(mape.trailingMean).toBe(1);
    expect(mape.seasonalNaive).toBe(1);
    expect(mape.calibrated).toBeCloseTo(Math.abs(800 - rows[1].calibrated) / 800, 10);
    const inside = rows.filter((r: { actual: number; p10: number; p90: number }) => r.p10 <= r.actual && r.actual <= r.p90).length;
    expect(coverage).toBe(inside / 2);
  });

  it('defaults to the 12 months that have ended, and does quarters', async () => {
    const h = await history();
    const months = await h.owner.client.get(`${h.base}/forecast/backtest`);
    expect(months.status).toBe(200);
    const thisMonth = monthStart(localDate(Date.now(), 'UTC'));
    expect(months.body.rows.map((r: { periodStart: string }) => r.periodStart)).toEqual(Array.from({ length: 12 }, (_, i) => addMonths(thisMonth, i - 12)));
    const quarters = await h.owner.client.get(`${h.base}/forecast/backtest?from=2026-01-01&to=2026-04-01&period=quarter`);
    expect(quarters.status).toBe(200);
    // Q1 won nothing; Q2 (Apr–Jun) won o4 800 + o3 600 + o8 1,000 = 2,400.
    expect(quarters.body.rows.map((r: { periodStart: string; actual: number }) => [r.periodStart, r.actual])).toEqual([['2026-01-01', 0], ['2026-04-01', 2400]]);
  });

  it('answers 400 for bad dates, reversed ranges, too many periods and unknown period kinds', async () => {
    const { client, tenant } = await signUp({ locale: 'en' });
    const base = `/api/t/${tenant.slug}/forecast/backtest`;
    for (const [query, path] of [
      ['from=2026-13-01&to=2026-04-01', 'query.from'],
      ['from=2026-01-01&to=yesterday', 'query.to'],
      ['from=2026-05-01&to=2026-04-01', 'query.from'],
      ['from=2020-01-01&to=2026-01-01&period=month', 'query.to'],
      ['from=2010-01-01&to=2020-01-01&period=quarter', 'query.to'],
      ['period=week', 'query.period'],
    ] as const) {
      const response = await client.get(`${base}?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.errors[0].path, query).toBe(path);
    }
    // 36 months is allowed.
    expect((await client.get(`${base}?from=2023-01-01&to=2025-12-01&period=month`)).status).toBe(200);
  });
});
