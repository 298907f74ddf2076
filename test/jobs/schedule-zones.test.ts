// The hourly cron across time zones, on a fake clock: each run must send exactly the tenants whose
// local day has ended since their last snapshot — no earlier, and never twice.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { scheduleNightly } from '../../worker/jobs/schedule';
import type { NightlyMessage } from '../../worker/jobs/messages';
import { signUp } from '../helpers/api';

const ZONES = ['Asia/Shanghai', 'America/Los_Angeles', 'UTC', 'Pacific/Kiritimati'] as const;

describe('the hourly cron across time zones (fake clock)', () => {
  it('sends exactly the due tenants at each hour, each date once', async () => {
    const byZone = new Map<string, string>();
    for (const zone of ZONES) {
      const { tenant } = await signUp({ locale: 'en' });
      // Snapshots are complete up to 30 November in every zone.
      await env.DB.prepare('update tenants set timezone = ?, last_snapshot_date = ? where id = ?').bind(zone, '2026-11-30', tenant.id).run();
      byZone.set(tenant.id, zone);
    }
    const sent: NightlyMessage[] = [];
    const fakeEnv = { ...env, NIGHTLY_QUEUE: { sendBatch: async (batch: { body: NightlyMessage }[]) => void sent.push(...batch.map((m) => m.body)) } } as unknown as Env;
    /** The (zone, date) pairs one cron run at `iso` sends for our tenants; then the consumer finishes them. */
    const runAt = async (iso: string) => {
      sent.length = 0;
      await scheduleNightly(fakeEnv, Date.parse(iso));
      const mine = sent.filter((m) => byZone.has(m.tenantId));
      for (const m of mine) {
        await env.DB.prepare(`update nightly_runs set status = 'done' where tenant_id = ? and as_of_date = ?`).bind(m.tenantId, m.date).run();
      }
      return mine.map((m) => `${byZone.get(m.tenantId)} ${m.date}`).sort();
    };

    // 1 Dec 10:30 UTC: Kiritimati (UTC+14) is at 00:30 on 2 Dec, so its 1 Dec has ended; Shanghai
    // (18:30), UTC (10:30) and Los Angeles (02:30) are still inside 1 Dec.
    expect(await runAt('2026-12-01T10:30:00Z')).toEqual(['Pacific/Kiritimati 2026-12-01']);
    // 15:30 UTC: nothing new (Shanghai is at 23:30); Kiritimati's finished date is not sent again.
    expect(await runAt('2026-12-01T15:30:00Z')).toEqual([]);
    // 16:30 UTC: Shanghai passes midnight.
    expect(await runAt('2026-12-01T16:30:00Z')).toEqual(['Asia/Shanghai 2026-12-01']);
    // 2 Dec 00:30 UTC: UTC's 1 Dec has ended; Los Angeles is at 16:30 on 1 Dec.
    expect(await runAt('2026-12-02T00:30:00Z')).toEqual(['UTC 2026-12-01']);
    // 08:30 UTC: Los Angeles (UTC−8) passes midnight.
    expect(await runAt('2026-12-02T08:30:00Z')).toEqual(['America/Los_Angeles 2026-12-01']);
    // 10:30 UTC: a day after the first run, Kiritimati's 2 Dec has ended too.
    expect(await runAt('2026-12-02T10:30:00Z')).toEqual(['Pacific/Kiritimati 2026-12-02']);
  });

  it('catches up a missed night: every ended date in order, one message each', async () => {
    const { tenant } = await signUp({ locale: 'en' });
    await env.DB.prepare('update tenants set timezone = ?, last_snapshot_date = ? where id = ?').bind('Asia/Shanghai', '2026-11-30', tenant.id).run();
    const sent: NightlyMessage[] = [];
    const fakeEnv = { ...env, NIGHTLY_QUEUE: { sendBatch: async (batch: { body: NightlyMessage }[]) => void sent.push(...batch.map((m) => m.body)) } } as unknown as Env;
    // The cron did not run for three days; at 4 Dec 01:00 Shanghai time (3 Dec 17:00 UTC):
    await scheduleNightly(fakeEnv, Date.parse('2026-12-03T17:00:00Z'));
    expect(sent.filter((m) => m.tenantId === tenant.id).map((m) => m.date)).toEqual(['2026-12-01', '2026-12-02', '2026-12-03']);
  });
});
