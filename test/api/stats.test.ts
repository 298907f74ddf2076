// The statistics API (docs/reports-contract.md) on a small hand-built history run through the real
// nightly consumer, recompute jobs driven with the messages they send, and the sample workspace's
// generated history. Tenant in UTC, pipeline P with stages a (20 %), b (50 %), won and lost.
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../worker';
import { createDatabase } from '../../db/client';
import { TEMPLATES, type Locale } from '../../db/seed/templates';
import { createApp } from '../../worker/app';
import type { NightlyMessage } from '../../worker/jobs/messages';
import { planRecompute } from '../../worker/jobs/recompute';
import { tenantRepos } from '../../worker/repos/tenant';
import { D1_MAX_STATEMENTS } from '../../worker/repos/batch';
import { addDays, localDate } from '../../worker/services/dates';
import { HISTORY_MAX_AGE_DAYS, HISTORY_MONTHS, generateSampleHistory, seedOf } from '../../worker/services/sample-history';
import { buildWorkspaceRows } from '../../worker/services/template-install';
import { ApiClient, ORIGIN, PASSWORD, addMember, signUp } from '../helpers/api';

const D1 = '2026-05-19';
const D2 = '2026-05-20';
const at = (month: number, day: number, hour = 10) => Date.UTC(2026, month - 1, day, hour);

async function runConsumer(messages: NightlyMessage[]) {
  const batch = createMessageBatch<unknown>('jihui-nightly', messages.map((body, i) => ({ id: `m${i}`, body, attempts: 1, timestamp: Date.now() })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

/** Calls the app with a queue that records what is sent (instead of delivering it in the background). */
async function withRecordingQueue(client: ApiClient, method: string, path: string, body?: unknown) {
  const sent: NightlyMessage[][] = [];
  const queue = { sendBatch: async (messages: { body: NightlyMessage }[]) => void sent.push(messages.map((m) => m.body)) };
  const response = await createApp().request(
    `${ORIGIN}${path}`,
    { method, headers: { origin: ORIGIN, cookie: client.cookie!, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) },
    { ...env, NIGHTLY_QUEUE: queue },
  );
  return { status: response.status, body: (await response.json()) as any, sent };
}

/**
 * Hand-built history (all amounts by hand):
 *   o1 created 05-10 in a with 1,000                                  → open in a
 *   o2 created 05-01 in a with 2,000, to b on 05-15 with 3,000        → open in b
 *   o3 created 04-20 in a with 500, won 05-18 with 600                → won
 *   o4 created 04-01 in a with 700, lost 05-19 with 800, reason R     → lost
 *   o5 created 05-20 in a with 400                                    → exists from D2 on
 * End of D1: open o1 (a) + o2 (b): count 2, amount 4,000, weighted 1,000×20 % + 3,000×50 % = 1,700.
 * End of D2: + o5: count 3, amount 4,400, weighted 1,700 + 400×20 % = 1,780. Won 1 (600), lost 1.
 */
async function history() {
  const owner = await signUp({ locale: 'en', workspaceName: 'Stats Alpha' });
  const t = owner.tenant.id;
  const p = `${t}-P`;
  const s = (k: string) => `${t}-${k}`;
  const userId = owner.user.id;
  const reason = (await env.DB.prepare('select id from lost_reasons where tenant_id = ? limit 1').bind(t).first<{ id: string }>())!.id;
  const db = env.DB;
  const stmts = [
    db.prepare("update tenants set timezone = 'UTC' where id = ?").bind(t),
    db.prepare('insert into pipelines (id, tenant_id, name, position, created_at) values (?, ?, ?, 99, 0)').bind(p, t, 'P'),
    ...([['a', 20, 'open'], ['b', 50, 'open'], ['won', 100, 'won'], ['lost', 0, 'lost']] as const).map(([k, prob, kind], i) =>
      db.prepare('insert into stages (id, tenant_id, pipeline_id, name, position, probability, kind, created_at) values (?, ?, ?, ?, ?, ?, ?, 0)').bind(s(k), t, p, k, i, prob, kind)),
  ];
  let n = 0;
  const opp = (id: string, created: number, stage: string, changes: [string, number, number][], lostReason: string | null = null) => {
    stmts.push(
      db.prepare('insert into opportunities (id, tenant_id, pipeline_id, stage_id, title, owner_id, position, stage_entered_at, created_by, created_at, updated_at, lost_reason_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .bind(s(id), t, p, s(stage), id, userId, `a${id}`, created, userId, created, created, lostReason),
      ...changes.map(([to, when, amount]) =>
        db.prepare('insert into stage_changes (id, tenant_id, opportunity_id, pipeline_id, to_stage_id, changed_at, changed_by, amount) values (?, ?, ?, ?, ?, ?, ?, ?)')
          .bind(`${t}-sc${n++}`, t, s(id), p, s(to), when, userId, amount)),
    );
  };
  opp('o1', at(5, 10), 'a', [['a', at(5, 10), 1000]]);
  opp('o2', at(5, 1), 'b', [['a', at(5, 1), 2000], ['b', at(5, 15), 3000]]);
  opp('o3', at(4, 20), 'won', [['a', at(4, 20), 500], ['won', at(5, 18), 600]]);
  opp('o4', at(4, 1), 'lost', [['a', at(4, 1), 700], ['lost', at(5, 19), 800]], reason);
  opp('o5', at(5, 20), 'a', [['a', at(5, 20), 400]]);
  await db.batch(stmts);
  const base = `/api/t/${owner.tenant.slug}`;
  return { ...owner, base, p, s, reason, userId };
}

async function computed() {
  const h = await history();
  const result = await runConsumer([{ tenantId: h.tenant.id, date: D1 }, { tenantId: h.tenant.id, date: D2 }]);
  expect(result.explicitAcks).toHaveLength(2);
  return h;
}

describe('GET /stats', () => {
  it('answers the latest snapshot when no date is given, mapped into the contract’s arrays', async () => {
    const h = await computed();
    const response = await h.client.get(`${h.base}/stats`);
    expect(response.status).toBe(200);
    const body = response.body;
    expect(body).toMatchObject({ asOfDate: D2, pipelineId: null, range: { first: D1, last: D2 } });
    expect(body.computedAt).toEqual(expect.any(Number));
    expect(body.total).toMatchObject({ openCount: 3, openAmount: 4400, weightedAmount: 1780, wonCountAll: 1, lostCountAll: 1, winRateAll: 0.5 });
    // Stages in board order: a (o1 1,000 + o5 400; weighted 280), b (o2), then the closed stages.
    expect(body.byStage.map((r: { stageId: string }) => r.stageId)).toEqual([h.s('a'), h.s('b'), h.s('won'), h.s('lost')]);
    expect(body.byStage[0]).toMatchObject({ stageId: h.s('a'), count: 2, amount: 1400, weightedAmount: 280 });
    expect(body.byStage[1]).toMatchObject({ stageId: h.s('b'), count: 1, amount: 3000, weightedAmount: 1500 });
    expect(body.byStage[2]).toMatchObject({ stageId: h.s('won'), count: 0, amount: 0, wonCountAll: 1, wonAmountAll: 600 });
    expect(body.byOwner).toEqual([expect.objectContaining({ ownerId: h.userId, openCount: 3 })]);
    // No type or source set: the '' key comes out as null.
    expect(body.byType).toEqual([expect.objectContaining({ typeId: null, openCount: 3 })]);
    expect(body.bySource).toEqual([expect.objectContaining({ sourceId: null, openCount: 3 })]);
    expect(body.byLostReason).toEqual([expect.objectContaining({ lostReasonId: h.reason, count: 1, amount: 800 })]);
    expect(body.byProduct).toEqual([]);
  });

  it('answers the snapshot of a date, for one pipeline', async () => {
    const h = await computed();
    const response = await h.client.get(`${h.base}/stats?date=${D1}&pipelineId=${h.p}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ asOfDate: D1, pipelineId: h.p });
    expect(response.body.total).toMatchObject({ openCount: 2, openAmount: 4000, weightedAmount: 1700, lostCountDay: 1, lostAmountDay: 800 });
    expect(response.body.byStage[0]).toMatchObject({ stageId: h.s('a'), count: 1, amount: 1000, weightedAmount: 200 });
  });

  it('answers asOfDate null and empty arrays for a date without a snapshot, and for a workspace without any', async () => {
    const h = await computed();
    const before = await h.client.get(`${h.base}/stats?date=2026-05-18`);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ asOfDate: null, total: null, byStage: [], funnel: [], range: { first: D1, last: D2 } });
    const fresh = await signUp({ locale: 'en' });
    const empty = await fresh.client.get(`/api/t/${fresh.tenant.slug}/stats`);
    expect(empty.body).toEqual({
      asOfDate: null, pipelineId: null, computedAt: null, range: null, total: null, byStage: [], byOwner: [], byType: [], bySource: [], byProduct: [], byLostReason: [], funnel: [],
      followUp: { byOwner: [], byChannel: [], byChannelOwner: [], byBand: [], byBandOwner: [] },
    });
  });

  it('splits the userId:kind keys of the per-owner follow-up rows and orders the funnel by position', async () => {
    const h = await computed();
    const row = (dimension: string, key: string, metrics: Record<string, number | null>) =>
      env.DB.prepare("insert into daily_stats (tenant_id, as_of_date, pipeline_id, dimension, dimension_key, metrics, computed_at) values (?, ?, '', ?, ?, ?, 1)").bind(h.tenant.id, D2, dimension, key, JSON.stringify(metrics));
    // The mapping is the point here: the job's own rows of these dimensions make way for known ones.
    await env.DB.batch([
      env.DB.prepare("delete from daily_stats where tenant_id = ? and as_of_date = ? and dimension in ('followup_channel_owner', 'followup_band_owner', 'followup_channel', 'funnel')").bind(h.tenant.id, D2),
      row('followup_channel_owner', `${h.userId}:visit`, { done: 2, won: 1, lost: 1, winRate: 0.5 }),
      row('followup_band_owner', `${h.userId}:0.5-1`, { won: 1, lost: 0, winRate: 1 }),
      row('followup_channel', 'visit', { done: 2, won: 1, lost: 1, winRate: 0.5 }),
      row('funnel', h.s('b'), { position: 1, entered: 1, advanced: 0, conversion: 0, avgDaysInStage: null }),
      row('funnel', h.s('a'), { position: 0, entered: 4, advanced: 2, conversion: 0.5, avgDaysInStage: 12.5 }),
    ]);
    const { body } = await h.client.get(`${h.base}/stats`);
    expect(body.followUp.byChannelOwner).toEqual([{ ownerId: h.userId, channel: 'visit', done: 2, won: 1, lost: 1, winRate: 0.5 }]);
    expect(body.followUp.byBandOwner).toEqual([{ ownerId: h.userId, band: '0.5-1', won: 1, lost: 0, winRate: 1 }]);
    expect(body.followUp.byChannel).toEqual([{ channel: 'visit', done: 2, won: 1, lost: 1, winRate: 0.5 }]);
    expect(body.funnel).toEqual([
      { stageId: h.s('a'), position: 0, entered: 4, advanced: 2, conversion: 0.5, avgDaysInStage: 12.5 },
      { stageId: h.s('b'), position: 1, entered: 1, advanced: 0, conversion: 0, avgDaysInStage: null },
    ]);
  });

  it('answers 400 for a bad date and 404 for a pipeline that is not the workspace’s', async () => {
    const h = await computed();
    for (const query of ['date=2026-02-30', 'date=20260520', 'date=yesterday']) {
      const response = await h.client.get(`${h.base}/stats?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.errors[0].path).toBe('query.date');
    }
    expect((await h.client.get(`${h.base}/stats?pipelineId=no-such-pipeline`)).status).toBe(404);
    const other = await signUp({ locale: 'en' });
    const theirs = (await other.client.get(`/api/t/${other.tenant.slug}/pipelines`)).body.pipelines[0].id;
    const probe = await h.client.get(`${h.base}/stats?pipelineId=${theirs}`);
    expect(probe.status).toBe(404);
    expect(probe.text).not.toContain(other.tenant.id);
  });

  it('lets viewers read; in an own-only workspace members and viewers get 403 reports_restricted, admins still read', async () => {
    const h = await computed();
    const viewer = await addMember(h.tenant.id, 'viewer');
    const member = await addMember(h.tenant.id, 'member');
    const admin = await addMember(h.tenant.id, 'admin');
    expect((await viewer.client.get(`${h.base}/stats`)).status).toBe(200);
    expect((await member.client.get(`${h.base}/stats/series`)).status).toBe(200);
    await env.DB.prepare('update tenants set members_see_own_only = 1 where id = ?').bind(h.tenant.id).run();
    for (const person of [member, viewer]) {
      for (const path of ['/stats', `/stats/series?metric=openCount&from=${D1}&to=${D2}`]) {
        const response = await person.client.get(`${h.base}${path}`);
        expect(response.status).toBe(403);
        expect(response.body.code).toBe('reports_restricted');
        expect(response.text).not.toContain('4400');
      }
    }
    expect((await admin.client.get(`${h.base}/stats`)).body.total.openCount).toBe(3);
  });
});

describe('GET /stats/series', () => {
  it('answers one total metric per snapshot date, overall and per pipeline', async () => {
    const h = await computed();
    const count = await h.client.get(`${h.base}/stats/series?metric=openCount&from=2026-05-01&to=${D2}`);
    expect(count.status).toBe(200);
    expect(count.body).toEqual({ metric: 'openCount', from: '2026-05-01', to: D2, points: [{ date: D1, value: 2 }, { date: D2, value: 3 }] });
    const amount = await h.client.get(`${h.base}/stats/series?metric=weightedAmount&from=${D1}&to=${D1}&pipelineId=${h.p}`);
    expect(amount.body.points).toEqual([{ date: D1, value: 1700 }]);
    // A rate: won / (won + lost) all time = 1 / 2.
    expect((await h.client.get(`${h.base}/stats/series?metric=winRateAll&from=${D2}&to=${D2}`)).body.points).toEqual([{ date: D2, value: 0.5 }]);
  });

  it('defaults to openCount over the 90 days up to the latest snapshot', async () => {
    const h = await computed();
    const response = await h.client.get(`${h.base}/stats/series`);
    // 90 days ending 05-20 start 02-20 (20 days of May, 30 of April, 31 of March, 9 of February).
    expect(response.body).toEqual({ metric: 'openCount', from: '2026-02-20', to: D2, points: [{ date: D1, value: 2 }, { date: D2, value: 3 }] });
  });

  it('answers 400 for an unknown metric, from after to, a range over 400 days and bad dates; 404 for an unknown pipeline', async () => {
    const h = await computed();
    const bad = async (query: string) => {
      const response = await h.client.get(`${h.base}/stats/series?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      return response.body.errors.map((e: { path: string }) => e.path);
    };
    expect(await bad('metric=sum(amount)')).toEqual(['query.metric']);
    expect(await bad(`metric=openCount&from=${D2}&to=${D1}`)).toEqual(['from']);
    // 2025-04-15 … 2026-05-20 is 401 days (365 + 36); 2025-04-16 is exactly 400.
    expect(await bad(`from=2025-04-15&to=${D2}`)).toEqual(['from']);
    expect((await h.client.get(`${h.base}/stats/series?from=2025-04-16&to=${D2}`)).status).toBe(200);
    expect(await bad('from=2026-13-01')).toEqual(['query.from']);
    expect((await h.client.get(`${h.base}/stats/series?pipelineId=nope`)).status).toBe(404);
  });
});

describe('POST /stats/recompute and GET /stats/jobs/:jobId', () => {
  it('plans the default range, clamps to the first day and refuses what cannot be computed', () => {
    // Yesterday 2026-05-20: the default is the 90 days 02-20 … 05-20.
    expect(planRecompute({}, D2, '2025-01-01')).toEqual({ from: '2026-02-20', to: D2, total: 90 });
    expect(planRecompute({ from: '2020-01-01' }, D2, '2026-05-01')).toEqual({ from: '2026-05-01', to: D2, total: 20 });
    expect(planRecompute({}, D2, '2026-05-21')).toEqual({ from: '2026-05-21', to: D2, total: 0 });
    expect(planRecompute({ to: '2026-05-21' }, D2, '2025-01-01')).toMatchObject({ errors: [{ path: 'to' }] });
    expect(planRecompute({ from: '2026-05-02', to: '2026-05-01' }, D2, '2025-01-01')).toMatchObject({ errors: [{ path: 'from' }] });
    // 2025-04-15 … 2026-05-20 is 401 days.
    expect(planRecompute({ from: '2025-04-15' }, D2, '2025-01-01')).toMatchObject({ errors: [{ path: 'from' }] });
    expect(planRecompute({ from: '2025-04-16' }, D2, '2025-01-01')).toMatchObject({ total: 400 });
  });

  it('answers 202, sends one message per date, marks them queued, and the job reaches done as the consumer runs them', async () => {
    const h = await history();
    const accepted = await withRecordingQueue(h.client, 'POST', `${h.base}/stats/recompute`, { from: D1, to: D2 });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ jobId: expect.any(String), from: D1, to: D2, total: 2 });
    expect(accepted.sent).toEqual([[{ tenantId: h.tenant.id, date: D1 }, { tenantId: h.tenant.id, date: D2 }]]);
    const runs = await env.DB.prepare('select as_of_date as date, status from nightly_runs where tenant_id = ? order by as_of_date').bind(h.tenant.id).all();
    expect(runs.results).toEqual([{ date: D1, status: 'queued' }, { date: D2, status: 'queued' }]);
    const job = `${h.base}/stats/jobs/${accepted.body.jobId}`;
    expect((await h.client.get(job)).body).toEqual({ id: accepted.body.jobId, from: D1, to: D2, total: 2, done: 0, failed: 0, status: 'running' });
    await runConsumer(accepted.sent[0]!.slice(0, 1));
    expect((await h.client.get(job)).body).toMatchObject({ done: 1, failed: 0, status: 'running' });
    await runConsumer(accepted.sent[0]!.slice(1));
    expect((await h.client.get(job)).body).toMatchObject({ done: 2, failed: 0, status: 'done' });
    expect((await h.client.get(`${h.base}/stats`)).body).toMatchObject({ asOfDate: D2, total: { openCount: 3 } });
  });

  it('counts a date that failed after the retries as finished, not done', async () => {
    const h = await history();
    const accepted = await withRecordingQueue(h.client, 'POST', `${h.base}/stats/recompute`, { from: D1, to: D2 });
    await runConsumer([{ tenantId: h.tenant.id, date: D1 }]);
    await tenantRepos(createDatabase(env.DB), h.tenant.id).snapshots.markFailed(D2, Date.now());
    expect((await h.client.get(`${h.base}/stats/jobs/${accepted.body.jobId}`)).body).toMatchObject({ total: 2, done: 1, failed: 1, status: 'done' });
  });

  it('defaults to the 90 days up to yesterday, sends at most 100 messages per call, and is audited', async () => {
    const h = await history();
    // The workspace's history starts 2026-04-01 (o4), so 90 days to yesterday fit after it.
    const yesterday = addDays(localDate(Date.now(), 'UTC'), -1);
    const accepted = await withRecordingQueue(h.client, 'POST', `${h.base}/stats/recompute`);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ from: addDays(yesterday, -89), to: yesterday, total: 90 });
    expect(accepted.sent.flat()).toHaveLength(90);
    // A workspace two years old: 250 days fit after its first day.
    await env.DB.prepare('update tenants set created_at = ? where id = ?').bind(Date.UTC(2024, 0, 1), h.tenant.id).run();
    const long = await withRecordingQueue(h.client, 'POST', `${h.base}/stats/recompute`, { from: addDays(yesterday, -249), to: yesterday });
    expect(long.body.total).toBe(250);
    expect(long.sent.map((batch) => batch.length)).toEqual([100, 100, 50]);
    const audit = (await h.client.get(`${h.base}/audit?entityType=statistics`)).body.entries;
    expect(audit).toHaveLength(2);
    expect(audit[1]).toMatchObject({ action: 'recompute', entityId: accepted.body.jobId, actorUserId: h.userId, after: { from: addDays(yesterday, -89), to: yesterday, total: 90 } });
  });

  it('clamps the range to the workspace’s first day; a workspace with no finished day gets a job with nothing to do', async () => {
    const h = await history();
    const clamped = await withRecordingQueue(h.client, 'POST', `${h.base}/stats/recompute`, { from: '2020-01-01', to: D2 });
    // First day 2026-04-01 (o4 created): April's 30 days + 20 of May.
    expect(clamped.body).toMatchObject({ from: '2026-04-01', to: D2, total: 50 });
    const fresh = await signUp({ locale: 'en' });
    const nothing = await withRecordingQueue(fresh.client, 'POST', `/api/t/${fresh.tenant.slug}/stats/recompute`, {});
    expect(nothing.status).toBe(202);
    expect(nothing.body.total).toBe(0);
    expect(nothing.sent).toEqual([]);
    expect((await fresh.client.get(`/api/t/${fresh.tenant.slug}/stats/jobs/${nothing.body.jobId}`)).body).toMatchObject({ total: 0, done: 0, status: 'done' });
  });

  it('answers 400 for a day that has not ended, from after to and over 400 days, without a job', async () => {
    const h = await history();
    await env.DB.prepare('update tenants set created_at = ? where id = ?').bind(Date.UTC(2024, 0, 1), h.tenant.id).run();
    const today = localDate(Date.now(), 'UTC');
    for (const body of [{ to: today }, { from: D2, to: D1 }, { from: '2024-06-01', to: '2025-07-15' }, { from: 'soon' }]) {
      const response = await withRecordingQueue(h.client, 'POST', `${h.base}/stats/recompute`, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.sent).toEqual([]);
    }
    const jobs = await env.DB.prepare('select count(*) as n from stats_jobs where tenant_id = ?').bind(h.tenant.id).first<{ n: number }>();
    expect(jobs!.n).toBe(0);
  });

  it('is for owners and admins: members and viewers get 403, and nothing is sent', async () => {
    const h = await history();
    for (const role of ['member', 'viewer'] as const) {
      const person = await addMember(h.tenant.id, role);
      const response = await withRecordingQueue(person.client, 'POST', `${h.base}/stats/recompute`, {});
      expect(response.status).toBe(403);
      expect(response.sent).toEqual([]);
    }
    const admin = await addMember(h.tenant.id, 'admin');
    expect((await withRecordingQueue(admin.client, 'POST', `${h.base}/stats/recompute`, {})).status).toBe(202);
  });

  it('answers 404 for a job id that is not the workspace’s', async () => {
    const h = await history();
    const other = await history();
    const theirs = await withRecordingQueue(other.client, 'POST', `${other.base}/stats/recompute`, { from: D1, to: D1 });
    expect((await h.client.get(`${h.base}/stats/jobs/${theirs.body.jobId}`)).status).toBe(404);
    expect((await h.client.get(`${h.base}/stats/jobs/no-such-job`)).status).toBe(404);
  });
});

describe('a sample workspace’s history', () => {
  const build = (templateId: string, locale: Locale, seed?: number) => {
    let n = 0;
    return buildWorkspaceRows({
      template: TEMPLATES.find((t) => t.id === templateId)!, locale, tenantId: 't', ownerUserId: 'owner', withSampleData: true,
      now: Date.UTC(2026, 10, 28, 4), today: '2026-11-28', timeZone: 'Asia/Shanghai', newId: () => `id${++n}`, sampleEmailTag: 't', historySeed: seed,
    });
  };

  it('is deterministic: the same seed gives the same rows, another seed other rows', () => {
    expect(build('b2b-general', 'zh-CN')).toEqual(build('b2b-general', 'zh-CN'));
    expect(build('b2b-general', 'zh-CN', 7).opportunities).not.toEqual(build('b2b-general', 'zh-CN', 8).opportunities);
  });

  it.each(TEMPLATES.filter((t) => t.sample).map((t) => t.id))('%s: won and lost deals closing in every month, a quarter-end push, follow-ups that pay', (templateId) => {
    const template = TEMPLATES.find((t) => t.id === templateId)!;
    for (const locale of ['en', 'zh-CN'] as const) {
      const { opportunities, activities } = generateSampleHistory({ template, locale, sample: template.sample![locale], today: '2026-11-28', timeZone: 'UTC', seed: seedOf(`${templateId}/${locale}`) });
      const won = opportunities.filter((o) => o.outcome === 'won');
      const lost = opportunities.filter((o) => o.outcome === 'lost');
      const perMonth = Object.entries(Object.groupBy(opportunities, (o) => new Date(o.closedAt).toISOString().slice(0, 7))).sort().map(([m, list]) => `${m.slice(5)}:${list!.length}`);
      console.log(`${templateId}/${locale}: ${won.length} won, ${lost.length} lost, ${activities.length} follow-ups; closes ${perMonth.join(' ')}`);
      expect(won.length).toBeGreaterThan(30);
      expect(lost.length).toBeGreaterThan(30);
      // Every month from December 2025 to November 2026 (up to the 27th) has closes; nothing closes today or later.
      const months = new Set(opportunities.map((o) => new Date(o.closedAt).toISOString().slice(0, 7)));
      for (let m = 0; m < HISTORY_MONTHS; m++) expect(months, `${templateId} ${locale}`).toContain(new Date(Date.UTC(2026, 10 - m, 1)).toISOString().slice(0, 7));
      expect(Math.max(...opportunities.map((o) => o.closedAt))).toBeLessThan(Date.UTC(2026, 10, 28));
      expect(Math.min(...opportunities.map((o) => o.createdAt))).toBeGreaterThanOrEqual(Date.UTC(2026, 10, 28) - HISTORY_MAX_AGE_DAYS * 86_400_000);
      // Quarter-end months (Mar, Jun, Sep) close more than quarter-start months (Jan, Apr, Jul, Oct).
      const inMonths = (list: number[]) => opportunities.filter((o) => new Date(o.closedAt).getUTCFullYear() === 2026 && list.includes(new Date(o.closedAt).getUTCMonth() + 1)).length;
      expect(inMonths([3, 6, 9])).toBeGreaterThan(inMonths([1, 4, 7]));
      // Stage paths start at creation, end at the close, in time order, in a won / lost stage.
      for (const o of opportunities) {
        expect(o.path[0]!.at).toBe(o.createdAt);
        expect(o.path.at(-1)!.at).toBe(o.closedAt);
        expect(o.path.map((step) => step.at)).toEqual([...o.path.map((step) => step.at)].sort((a, b) => a - b));
        expect(o.lostReasonKey === null).toBe(o.outcome === 'won');
      }
      // Follow-ups of several kinds, done within the deal's life; won deals had more per deal.
      expect(new Set(activities.map((a) => a.method)).size).toBeGreaterThanOrEqual(4);
      const perDeal = (list: typeof opportunities) => activities.filter((a) => list.some((o) => o.key === a.opportunityKey)).length / list.length;
      expect(perDeal(won)).toBeGreaterThan(perDeal(lost));
      // Owners differ in skill: their win rates are not all the same.
      const rates = [...Map.groupBy(opportunities, (o) => o.ownerKey).values()].map((list) => list.filter((o) => o.outcome === 'won').length / list.length);
      expect(new Set(rates.map((r) => r.toFixed(2))).size).toBeGreaterThan(1);
    }
  });

  it('stays within D1’s 1,000 statements per batch for every template and locale', () => {
    const db = createDatabase(env.DB);
    const counts: Record<string, number> = {};
    for (const template of TEMPLATES) {
      for (const locale of ['en', 'zh-CN'] as const) {
        const rows = build(template.id, locale);
        // createWorkspace adds: user, tenant, teammates, memberships and session inserts.
        counts[`${template.id}/${locale}`] = tenantRepos(db, 't').installStatements(rows).length + 5;
      }
    }
    const biggest = Math.max(...Object.values(counts));
    console.log(`signup batch statements (sample data): biggest ${biggest} of ${D1_MAX_STATEMENTS}`, counts);
    expect(biggest).toBeLessThan(D1_MAX_STATEMENTS / 2);
  });

  it('gets a 90-day recompute job right after signup, created by the owner; the consumer brings it to done', async () => {
    // The worker tests run with SAMPLE_STATS_DAYS 0 (vitest.config.ts); wrangler.toml's 90 here.
    const sent: NightlyMessage[][] = [];
    const queue = { sendBatch: async (messages: { body: NightlyMessage }[]) => void sent.push(messages.map((m) => m.body)) };
    const ctx = createExecutionContext();
    const started = Date.now();
    const response = await createApp().request(
      `${ORIGIN}/api/auth/signup`,
      {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.90' },
        body: JSON.stringify({ email: `sample-${Date.now()}@example.com`, password: PASSWORD, name: 'Sam Sample', workspaceName: 'Sample Co', template: 'b2b-general', locale: 'en', sampleData: true }),
      },
      { ...env, NIGHTLY_QUEUE: queue, SAMPLE_STATS_DAYS: '90' },
      ctx,
    );
    expect(response.status).toBe(201);
    console.log(`sample signup answered in ${Date.now() - started} ms`);
    const { tenant, user } = (await response.json()) as { tenant: { id: string; slug: string }; user: { id: string } };
    const client = new ApiClient();
    client.cookie = response.headers.get('set-cookie')!.split(';')[0]!;
    await waitOnExecutionContext(ctx);

    const yesterday = addDays(localDate(Date.now(), 'UTC'), -1);
    const messages = sent.flat();
    expect(messages).toHaveLength(90);
    expect(messages[0]).toEqual({ tenantId: tenant.id, date: addDays(yesterday, -89) });
    expect(messages.at(-1)).toEqual({ tenantId: tenant.id, date: yesterday });
    const job = await env.DB.prepare('select id, created_by as createdBy from stats_jobs where tenant_id = ?').bind(tenant.id).first<{ id: string; createdBy: string }>();
    expect(job!.createdBy).toBe(user.id);
    const jobUrl = `/api/t/${tenant.slug}/stats/jobs/${job!.id}`;
    expect((await client.get(jobUrl)).body).toMatchObject({ from: addDays(yesterday, -89), to: yesterday, total: 90, done: 0, status: 'running' });

    const computeStarted = Date.now();
    for (let i = 0; i < messages.length; i += 10) await runConsumer(messages.slice(i, i + 10));
    console.log(`90 days of the sample's statistics computed in ${Date.now() - computeStarted} ms`);
    expect((await client.get(jobUrl)).body).toMatchObject({ total: 90, done: 90, failed: 0, status: 'done' });
    const stats = await client.get(`/api/t/${tenant.slug}/stats`);
    expect(stats.body.asOfDate).toBe(yesterday);
    expect(stats.body.total.wonCountAll).toBeGreaterThan(20);
    expect(stats.body.total.lostCountAll).toBeGreaterThan(20);
    expect((await client.get(`/api/t/${tenant.slug}/stats/series?metric=wonCountAll`)).body.points).toHaveLength(90);
  });

  it('starts no recompute for a signup without sample data', async () => {
    const sent: unknown[] = [];
    const ctx = createExecutionContext();
    const response = await createApp().request(
      `${ORIGIN}/api/auth/signup`,
      {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.91' },
        body: JSON.stringify({ email: `plain-${Date.now()}@example.com`, password: PASSWORD, name: 'Pat Plain', workspaceName: 'Plain Co', template: 'b2b-general', locale: 'en', sampleData: false }),
      },
      { ...env, NIGHTLY_QUEUE: { sendBatch: async (m: unknown[]) => void sent.push(...m) }, SAMPLE_STATS_DAYS: '90' },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(201);
    expect(sent).toEqual([]);
  });
});
