// The hourly cron only fans out: for every tenant whose local day has ended since its last
// snapshot, one queue message per missing date (so a missed hour or night is caught up). A date
// is sent once; it is sent again only if its message seems lost (still queued after
// REQUEUE_AFTER_MS, beyond the queue's own retries). Finished dates (done, or failed after the
// retries and logged from the dead letter queue) move the tenant's last snapshot date forward.
// It computes nothing itself, and one tenant's odd data never stops the others.
import { createDatabase } from '../../db/client';
import { tenantDirectory } from '../repos/directory';
import { identityRepo } from '../repos/identity';
import { ATTEMPT_WINDOW_MAX_MS } from '../auth/limits';
import { addDays, localDate } from '../services/dates';
import { QUEUE_SEND_BATCH_MAX, type NightlyMessage } from './messages';
import { rootMessage } from '../errors';

// Catch-up is bounded per run; the next hourly run continues where this one stopped.
export const MAX_DATES_PER_TENANT_PER_RUN = 31;
export const REQUEUE_AFTER_MS = 6 * 60 * 60 * 1000;

export interface ScheduleTenant {
  id: string;
  timezone: string;
  lastSnapshotDate: string | null;
  createdAt: number;
  runs: { asOfDate: string; status: 'queued' | 'done' | 'failed'; updatedAt: number }[];
}

/** What to do for one tenant at `now`: dates to send, and how far its snapshots are complete. Pure. */
export function planTenant(tenant: ScheduleTenant, now: number): { send: string[]; advanceTo: string | null } {
  const yesterday = addDays(localDate(now, tenant.timezone), -1);
  let date = tenant.lastSnapshotDate ? addDays(tenant.lastSnapshotDate, 1) : localDate(tenant.createdAt, tenant.timezone);
  const runs = new Map(tenant.runs.map((r) => [r.asOfDate, r]));
  const finished = (d: string) => runs.get(d)?.status === 'done' || runs.get(d)?.status === 'failed';
  let advanceTo: string | null = null;
  while (date <= yesterday && finished(date)) {
    advanceTo = date;
    date = addDays(date, 1);
  }
  const send: string[] = [];
  for (let d = date, looked = 0; d <= yesterday && looked < MAX_DATES_PER_TENANT_PER_RUN; d = addDays(d, 1), looked++) {
    const run = runs.get(d);
    if (!run || (run.status === 'queued' && now - run.updatedAt >= REQUEUE_AFTER_MS)) send.push(d);
  }
  return { send, advanceTo };
}

export async function scheduleNightly(env: Env, now: number): Promise<{ tenants: number; messages: number }> {
  const db = createDatabase(env.DB);
  const directory = tenantDirectory(db);
  // Housekeeping rides on the same hourly trigger: expired sessions and spent attempt counters.
  await identityRepo(db).purgeExpired(now, ATTEMPT_WINDOW_MAX_MS);
  const tenants = await directory.listForSchedule();
  const messages: NightlyMessage[] = [];
  const advances: { tenantId: string; date: string }[] = [];
  let due = 0;
  for (const tenant of tenants) {
    try {
      const plan = planTenant(tenant, now);
      if (plan.send.length > 0) due++;
      for (const date of plan.send) messages.push({ tenantId: tenant.id, date });
      if (plan.advanceTo) advances.push({ tenantId: tenant.id, date: plan.advanceTo });
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', job: 'schedule', tenantId: tenant.id, message: rootMessage(error) }));
    }
  }
  for (let i = 0; i < messages.length; i += QUEUE_SEND_BATCH_MAX) {
    await env.NIGHTLY_QUEUE.sendBatch(messages.slice(i, i + QUEUE_SEND_BATCH_MAX).map((body) => ({ body, contentType: 'json' as const })));
  }
  await directory.recordSchedule(messages.map((m) => ({ tenantId: m.tenantId, asOfDate: m.date })), advances, now);
  return { tenants: due, messages: messages.length };
}
