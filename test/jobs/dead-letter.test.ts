// A poisoned tenant through the real local queue (wrangler.toml's max_retries and dead letter
// queue; the tests' first retry delay is 0): it is retried, lands in the dead letter queue, is logged
// with its tenant and marked failed — while the other tenants' dates complete.
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { localDate } from '../../worker/services/dates';
import { retryDelaySeconds } from '../../worker/jobs/nightly';
import { signUp } from '../helpers/api';

const statusOf = async (tenantId: string, date: string) =>
  (await env.DB.prepare('select status from nightly_runs where tenant_id = ? and as_of_date = ?').bind(tenantId, date).first<{ status: string }>())?.status ?? null;

describe('a poisoned tenant', () => {
  it('ends in the dead letter queue, logged with its tenant, while the others complete', async () => {
    const poisoned = await signUp({ locale: 'en' });
    const fine = [await signUp({ locale: 'en', sampleData: true }), await signUp({ locale: 'en' })];
    // Odd data (a time zone the runtime does not know) makes every attempt for this tenant fail.
    await env.DB.prepare(`update tenants set timezone = 'Not/A_Zone' where id = ?`).bind(poisoned.tenant.id).run();
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.join(' ')));
    const date = localDate(Date.now(), 'UTC');
    await env.NIGHTLY_QUEUE.sendBatch([poisoned, ...fine].map((s) => ({ body: { tenantId: s.tenant.id, date }, contentType: 'json' as const })));
    await vi.waitFor(
      async () => {
        expect(await statusOf(poisoned.tenant.id, date)).toBe('failed');
        for (const s of fine) expect(await statusOf(s.tenant.id, date)).toBe('done');
      },
      { timeout: 50_000, interval: 250 },
    );
    spy.mockRestore();
    const attempts = errors.filter((e) => e.includes(poisoned.tenant.id) && e.includes('"attempts"'));
    // wrangler.toml: max_retries = 5 → six attempts, then the dead letter queue.
    expect(attempts.length).toBe(6);
    expect(errors.some((e) => e.includes('"deadLetter":true') && e.includes(poisoned.tenant.id))).toBe(true);
    expect(errors.some((e) => fine.some((s) => e.includes(s.tenant.id)))).toBe(false);
    const rows = await env.DB.prepare('select count(*) as n from daily_stats where tenant_id = ?').bind(poisoned.tenant.id).first<{ n: number }>();
    expect(rows!.n).toBe(0);
  }, 60_000);

  it('backs off exponentially from the configured first delay, capped at an hour', () => {
    const configured = { NIGHTLY_RETRY_DELAY_SECONDS: '60' } as unknown as Env;
    expect([1, 2, 3, 6, 7, 10].map((a) => retryDelaySeconds(configured, a))).toEqual([60, 120, 240, 1920, 3600, 3600]);
    expect(retryDelaySeconds({ NIGHTLY_RETRY_DELAY_SECONDS: 'x' } as unknown as Env, 1)).toBe(60);
  });
});
