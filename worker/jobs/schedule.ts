// The hourly cron only fans out: for every tenant whose local day has ended since its last
// snapshot, one queue message per missing date (so a missed hour or night is caught up).
// It computes nothing itself, and one tenant's odd data never stops the others.
import { createDatabase } from '../../db/client';
import { tenantDirectory } from '../repos/directory';
import { addDays, localDate } from '../services/dates';
import { QUEUE_SEND_BATCH_MAX, type NightlyMessage } from './messages';

// Catch-up is bounded per run; the next hourly run continues where this one stopped.
export const MAX_DATES_PER_TENANT_PER_RUN = 31;

export interface ScheduleTenant {
  id: string;
  timezone: string;
  lastSnapshotDate: string | null;
  createdAt: number;
}

/** The dates whose snapshot `tenant` still needs at `now`, oldest first. Pure. */
export function dueDates(tenant: ScheduleTenant, now: number): string[] {
  const yesterday = addDays(localDate(now, tenant.timezone), -1);
  const first = tenant.lastSnapshotDate ? addDays(tenant.lastSnapshotDate, 1) : localDate(tenant.createdAt, tenant.timezone);
  const dates: string[] = [];
  for (let d = first; d <= yesterday && dates.length < MAX_DATES_PER_TENANT_PER_RUN; d = addDays(d, 1)) dates.push(d);
  return dates;
}

export async function scheduleNightly(env: Env, now: number): Promise<{ tenants: number; messages: number }> {
  const tenants = await tenantDirectory(createDatabase(env.DB)).listForSchedule();
  const messages: NightlyMessage[] = [];
  let due = 0;
  for (const tenant of tenants) {
    try {
      const dates = dueDates(tenant, now);
      if (dates.length > 0) due++;
      for (const date of dates) messages.push({ tenantId: tenant.id, date });
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', job: 'schedule', tenantId: tenant.id, message: String(error) }));
    }
  }
  for (let i = 0; i < messages.length; i += QUEUE_SEND_BATCH_MAX) {
    await env.NIGHTLY_QUEUE.sendBatch(messages.slice(i, i + QUEUE_SEND_BATCH_MAX).map((body) => ({ body, contentType: 'json' as const })));
  }
  return { tenants: due, messages: messages.length };
}
