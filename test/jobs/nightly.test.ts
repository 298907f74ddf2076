import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import worker from '../../worker';
import { createDatabase } from '../../db/client';
import { tenantRepos } from '../../worker/repos/tenant';
import { dueDates, scheduleNightly } from '../../worker/jobs/schedule';
import type { NightlyMessage } from '../../worker/jobs/messages';
import { addDays, localDate } from '../../worker/services/dates';
import { signUp } from '../helpers/api';

const DAY = 86_400_000;

describe('which dates are due', () => {
  const tenant = { id: 't1', timezone: 'Asia/Shanghai', lastSnapshotDate: '2026-11-20', createdAt: Date.UTC(2026, 0, 1) };

  it('is nothing while the tenant’s local day has not ended', () => {
    // 23:30 on the 21st in Shanghai: the 21st has not ended there yet.
    expect(dueDates(tenant, Date.UTC(2026, 10, 21, 15, 30))).toEqual([]);
  });

  it('is the day that just ended once local midnight passes', () => {
    expect(dueDates(tenant, Date.UTC(2026, 10, 21, 16, 30))).toEqual(['2026-11-21']);
  });

  it('catches up every missed day in order', () => {
    expect(dueDates(tenant, Date.UTC(2026, 10, 24, 16, 30))).toEqual(['2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24']);
  });

  it('starts at the tenant’s first local day when it has no snapshot yet', () => {
    const fresh = { ...tenant, lastSnapshotDate: null, createdAt: Date.UTC(2026, 10, 20, 3) };
    expect(dueDates(fresh, Date.UTC(2026, 10, 21, 16, 30))).toEqual(['2026-11-20', '2026-11-21']);
  });

  it('bounds one run’s catch-up and continues in the next', () => {
    const behind = { ...tenant, lastSnapshotDate: '2025-01-01' };
    expect(dueDates(behind, Date.UTC(2026, 10, 21, 16, 30))).toHaveLength(31);
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
    expect(snapshot.map((r) => [r.dimensionKey, r.metrics.count]).sort()).toEqual(live.map((s: { id: string; count: number }) => [s.id, s.count]).sort());
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

  it('records the snapshot date so the schedule does not send it again', async () => {
    const { tenant } = await signUp({ locale: 'en' });
    const today = localDate(Date.now(), 'UTC');
    await run([{ id: 'm1', body: { tenantId: tenant.id, date: today } }]);
    const row = await env.DB.prepare('select last_snapshot_date as d from tenants where id = ?').bind(tenant.id).first<{ d: string }>();
    expect(row!.d).toBe(today);
  });

  it('acks a malformed message instead of retrying it forever', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const result = await run([{ id: 'bad', body: { nope: true } }]);
    expect(result.explicitAcks).toEqual(['bad']);
    expect(error).toHaveBeenCalled();
    error.mockRestore();
  });

  it('retries one tenant’s failure without affecting the others in the batch', async () => {
    const { tenant } = await signUp({ locale: 'en' });
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const today = localDate(Date.now(), 'UTC');
    // An impossible date makes this tenant's computation fail inside the consumer.
    const result = await run([
      { id: 'broken', body: { tenantId: tenant.id, date: '2026-13-45' } },
      { id: 'fine', body: { tenantId: tenant.id, date: today } },
    ]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['broken']);
    expect(result.explicitAcks).toEqual(['fine']);
    error.mockRestore();
  });

  it('logs dead-lettered messages with their tenant and acks them', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const result = await run([{ id: 'dead', body: { tenantId: 'tenant-x', date: '2026-11-01' } }], 'jihui-nightly-dlq');
    expect(result.explicitAcks).toEqual(['dead']);
    expect(error.mock.calls.flat().join(' ')).toContain('tenant-x');
    error.mockRestore();
  });
});
