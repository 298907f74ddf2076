import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import worker from '../../worker';
import { createDatabase } from '../../db/client';
import { tenantRepos } from '../../worker/repos/tenant';
import { REQUEUE_AFTER_MS, planTenant, scheduleNightly } from '../../worker/jobs/schedule';
import type { NightlyMessage } from '../../worker/jobs/messages';
import { addDays, localDate } from '../../worker/services/dates';
import { signUp } from '../helpers/api';

const DAY = 86_400_000;
/** Noon UTC `days` days from today: runs an hour apart then stay on one side of midnight. */
const noonIn = (days: number) => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days, 12);
};

describe('which dates are due', () => {
  const tenant = { id: 't1', timezone: 'Asia/Shanghai', lastSnapshotDate: '2026-11-20', createdAt: Date.UTC(2026, 0, 1), runs: [] };
  const at = (day: number, hour: number) => Date.UTC(2026, 10, day, hour, 30);

  it('is nothing while the tenant’s local day has not ended', () => {
    // 23:30 on the 21st in Shanghai: the 21st has not ended there yet.
    expect(planTenant(tenant, at(21, 15)).send).toEqual([]);
  });

  it('is the day that just ended once local midnight passes', () => {
    expect(planTenant(tenant, at(21, 16)).send).toEqual(['2026-11-21']);
  });

  it('catches up every missed day in order', () => {
    expect(planTenant(tenant, at(24, 16)).send).toEqual(['2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24']);
  });

  it('starts at the tenant’s first local day when it has no snapshot yet', () => {
    const fresh = { ...tenant, lastSnapshotDate: null, createdAt: Date.UTC(2026, 10, 20, 3) };
    expect(planTenant(fresh, at(21, 16)).send).toEqual(['2026-11-20', '2026-11-21']);
  });

  it('bounds one run’s catch-up and continues in the next', () => {
    expect(planTenant({ ...tenant, lastSnapshotDate: '2025-01-01' }, at(21, 16)).send).toHaveLength(31);
  });

  it('does not send a date again while its message is queued or retrying', () => {
    const queued = { ...tenant, runs: [{ asOfDate: '2026-11-21', status: 'queued' as const, updatedAt: at(21, 16) }] };
    expect(planTenant(queued, at(21, 20)).send).toEqual([]);
  });

  it('sends a date again when its message seems lost', () => {
    const lost = { ...tenant, runs: [{ asOfDate: '2026-11-21', status: 'queued' as const, updatedAt: at(21, 16) - REQUEUE_AFTER_MS }] };
    expect(planTenant(lost, at(21, 16)).send).toEqual(['2026-11-21']);
  });

  it('moves past finished dates, including one that failed after its retries', () => {
    const runs = [
      { asOfDate: '2026-11-21', status: 'done' as const, updatedAt: 0 },
      { asOfDate: '2026-11-22', status: 'failed' as const, updatedAt: 0 },
      { asOfDate: '2026-11-24', status: 'done' as const, updatedAt: 0 },
    ];
    expect(planTenant({ ...tenant, runs }, at(24, 16))).toEqual({ send: ['2026-11-23'], advanceTo: '2026-11-22' });
  });
});

describe('the hourly schedule', () => {
  it('sends one message per due tenant and date, in batches of at most 100', async () => {
    const { tenant } = await signUp({ locale: 'en' });
    const sent: NightlyMessage[][] = [];
    const fakeEnv = { ...env, NIGHTLY_QUEUE: { sendBatch: async (batch: { body: NightlyMessage }[]) => void sent.push(batch.map((m) => m.body)) } } as unknown as Env;
    const result = await scheduleNightly(fakeEnv, Date.now() + 3 * DAY);
    const mine = sent.flat().filter((m) => m.tenantId === tenant.id);
    expect(mine.map((m) => m.date)).toEqual([0, 1, 2].map((d) => addDays(localDate(Date.now(), 'UTC'), d)));
    expect(result.messages).toBe(sent.flat().length);
    for (const batch of sent) expect(batch.length).toBeLessThanOrEqual(100);
  });

  it('purges expired sessions and spent attempt counters on the way', async () => {
    const old = Date.now() - 40 * DAY;
    await env.DB.batch([
      env.DB.prepare(`insert into sessions (id, secret_hash, user_id, created_at, last_verified_at) values ('expired-session', 'x', 'u', ?, ?)`).bind(old, old),
      env.DB.prepare(`insert into login_attempts (key, window_start, count) values ('login-ip:old', ?, 3)`).bind(old),
    ]);
    const fakeEnv = { ...env, NIGHTLY_QUEUE: { sendBatch: async () => {} } } as unknown as Env;
    await scheduleNightly(fakeEnv, Date.now());
    const left = await env.DB.prepare(`select (select count(*) from sessions where id = 'expired-session') + (select count(*) from login_attempts where key = 'login-ip:old') as n`).first<{ n: number }>();
    expect(left!.n).toBe(0);
  });

  it('sends nothing for a tenant whose dates were just sent', async () => {
    const { tenant } = await signUp({ locale: 'en' });
    const sent: NightlyMessage[] = [];
    const fakeEnv = { ...env, NIGHTLY_QUEUE: { sendBatch: async (batch: { body: NightlyMessage }[]) => void sent.push(...batch.map((m) => m.body)) } } as unknown as Env;
    await scheduleNightly(fakeEnv, noonIn(2));
    expect(sent.filter((m) => m.tenantId === tenant.id)).toHaveLength(2);
    sent.length = 0;
    await scheduleNightly(fakeEnv, noonIn(2) + 60 * 60 * 1000);
    expect(sent.filter((m) => m.tenantId === tenant.id)).toEqual([]);
  });

  it('moves the last snapshot date forward once the consumer has finished the dates', async () => {
    const { tenant } = await signUp({ locale: 'en' });
    const sent: NightlyMessage[] = [];
    const fakeEnv = { ...env, NIGHTLY_QUEUE: { sendBatch: async (batch: { body: NightlyMessage }[]) => void sent.push(...batch.map((m) => m.body)) } } as unknown as Env;
    await scheduleNightly(fakeEnv, noonIn(2));
    const mine = sent.filter((m) => m.tenantId === tenant.id);
    const batch = createMessageBatch<unknown>('jihui-nightly', mine.map((body, i) => ({ id: `m${i}`, body, attempts: 1, timestamp: Date.now() })));
    await worker.queue(batch, env, createExecutionContext());
    await scheduleNightly(fakeEnv, noonIn(2) + 60 * 60 * 1000);
    const row = await env.DB.prepare('select last_snapshot_date as d from tenants where id = ?').bind(tenant.id).first<{ d: string }>();
    expect(row!.d).toBe(mine.at(-1)!.date);
  });

  it('runs from the cron trigger through the real queue into snapshot rows', async () => {
    const { tenant } = await signUp({ locale: 'en', sampleData: true });
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now() + 2 * DAY, cron: '0 * * * *' }), env, ctx);
    const today = localDate(Date.now(), 'UTC');
    await vi.waitFor(
      async () => {
        const row = await env.DB.prepare('select count(*) as n from daily_stats where tenant_id = ? and as_of_date = ?').bind(tenant.id, today).first<{ n: number }>();
        expect(row!.n).toBeGreaterThan(0);
      },
      { timeout: 15_000, interval: 200 },
    );
  });
});

describe('the nightly consumer', () => {
  async function run(messages: { id: string; body: unknown; attempts?: number }[], queue = 'jihui-nightly') {
    const batch = createMessageBatch<unknown>(queue, messages.map((m) => ({ id: m.id, body: m.body, attempts: m.attempts ?? 1, timestamp: Date.now() })));
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    return getQueueResult(batch, ctx);
  }

  it('snapshots each stage’s opportunities as they stood at the end of the date', async () => {
    const { tenant, client } = await signUp({ locale: 'en', sampleData: true });
    const today = localDate(Date.now(), 'UTC');
    const result = await run([{ id: 'm1', body: { tenantId: tenant.id, date: today } }]);
    expect(result.explicitAcks).toEqual(['m1']);
    const snapshot = await tenantRepos(createDatabase(env.DB), tenant.id).snapshots.stageSnapshot(today);
    const pipelines = (await client.get(`/api/t/${tenant.slug}/pipelines`)).body.pipelines;
    const live = pipelines.flatMap((p: { stages: { id: string; count: number; amount: number }[] }) => p.stages).filter((s: { count: number }) => s.count > 0);
    // Every opportunity in a stage is open, won or lost there.
    const inStage = (m: Record<string, number | null>) => m.openCount! + m.wonCountAll! + m.lostCountAll!;
    expect(snapshot.filter((r) => inStage(r.metrics) > 0).map((r) => [r.dimensionKey, inStage(r.metrics)]).sort()).toEqual(live.map((s: { id: string; count: number }) => [s.id, s.count]).sort());
  });

  it('counts nothing for a date before any opportunity existed', async () => {
    const { tenant } = await signUp({ locale: 'en', sampleData: true });
    const longAgo = addDays(localDate(Date.now(), 'UTC'), -400);
    await run([{ id: 'm1', body: { tenantId: tenant.id, date: longAgo } }]);
    expect(await tenantRepos(createDatabase(env.DB), tenant.id).snapshots.stageSnapshot(longAgo)).toEqual([]);
  });

  it('gives identical rows when a message is delivered twice', async () => {
    const { tenant } = await signUp({ locale: 'zh-CN', sampleData: true });
    const date = localDate(Date.now(), 'Asia/Shanghai');
    const repos = tenantRepos(createDatabase(env.DB), tenant.id);
    const strip = (rows: { computedAt: number }[]) => rows.map(({ computedAt: _c, ...r }) => r);
    await run([{ id: 'm1', body: { tenantId: tenant.id, date } }]);
    const first = strip(await repos.snapshots.stageSnapshot(date));
    await run([{ id: 'm2', body: { tenantId: tenant.id, date } }]);
    expect(strip(await repos.snapshots.stageSnapshot(date))).toEqual(first);
    expect(first.length).toBeGreaterThan(0);
  });

  it('acks a malformed message instead of retrying it forever', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const result = await run([
      { id: 'bad', body: { nope: true } },
      { id: 'impossible-date', body: { tenantId: 't', date: '2026-02-30' } },
    ]);
    expect(result.explicitAcks).toEqual(['bad', 'impossible-date']);
    expect(error).toHaveBeenCalled();
    error.mockRestore();
  });

  it('retries one tenant’s failure without affecting the others in the batch', async () => {
    const { tenant } = await signUp({ locale: 'en' });
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const today = localDate(Date.now(), 'UTC');
    const other = await signUp({ locale: 'en' });
    // Odd data in one tenant (a time zone the runtime does not know) makes its computation fail.
    await env.DB.prepare(`update tenants set timezone = 'Not/A_Zone' where id = ?`).bind(tenant.id).run();
    const result = await run([
      { id: 'broken', body: { tenantId: tenant.id, date: today } },
      { id: 'fine', body: { tenantId: other.tenant.id, date: today } },
    ]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['broken']);
    expect(result.explicitAcks).toEqual(['fine']);
    error.mockRestore();
  });

  it('logs dead-lettered messages with their tenant, marks the date failed and acks them', async () => {
    const { tenant } = await signUp({ locale: 'en' });
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const result = await run([{ id: 'dead', body: { tenantId: tenant.id, date: '2026-11-01' } }], 'jihui-nightly-dlq');
    expect(result.explicitAcks).toEqual(['dead']);
    expect(error.mock.calls.flat().join(' ')).toContain(tenant.id);
    const row = await env.DB.prepare('select status from nightly_runs where tenant_id = ? and as_of_date = ?').bind(tenant.id, '2026-11-01').first<{ status: string }>();
    expect(row!.status).toBe('failed');
    error.mockRestore();
  });
});
