// "Recompute these dates": after an import, a settings change or a sample signup. It is the
// nightly job itself — one queue message per date, handled by the same consumer — recorded as a
// stats_jobs row whose progress is counted from nightly_runs. The dates are marked queued first,
// in the same batch as the job row, so the hourly scheduler does not send them again and a run
// that finishes before the marks are written cannot be overwritten by them.
//
// Overlapping jobs are allowed (no 409): the consumer is idempotent, a later job re-marks its
// dates queued and both jobs finish when those dates' runs do. The cost is bounded by the range
// limit and by recompute being for owners and admins only.
import { tenantDatabase } from '../../db/client';
import { type FieldError, rootMessage } from '../errors';
import { tenantRepos, type TenantRepos } from '../repos/tenant';
import { datesInRange, daysInRange } from '../repos/stats-read';
import { addDays, localDate } from '../services/dates';
import { newId } from '../services/ids';
import { QUEUE_SEND_BATCH_MAX, type NightlyMessage } from './messages';

export const RECOMPUTE_DEFAULT_DAYS = 90;
export const RECOMPUTE_MAX_DAYS = 400;

export interface RecomputeRange {
  from: string;
  to: string;
  /** Dates to compute; 0 when the workspace has no finished day in the range. */
  total: number;
}

/**
 * The dates a request covers, or the field errors that make it invalid. Pure.
 * `yesterday` is the last day that has ended in the workspace's time zone; `firstDay` its first day.
 */
export function planRecompute(request: { from?: string; to?: string }, yesterday: string, firstDay: string): RecomputeRange | { errors: FieldError[] } {
  const to = request.to ?? yesterday;
  if (to > yesterday) {
    // Today's snapshot would be partial and then count as done: the night would never redo it.
    return { errors: [{ path: 'to', message: `Use a day that has ended (${yesterday} or earlier in the workspace's time zone).` }] };
  }
  const requestedFrom = request.from ?? addDays(to, -(RECOMPUTE_DEFAULT_DAYS - 1));
  if (requestedFrom > to) return { errors: [{ path: 'from', message: 'Use a date on or before `to`.' }] };
  const from = requestedFrom < firstDay ? firstDay : requestedFrom;
  if (from > to) return { from, to, total: 0 };
  const total = daysInRange(from, to);
  if (total > RECOMPUTE_MAX_DAYS) {
    return { errors: [{ path: 'from', message: `Recompute at most ${RECOMPUTE_MAX_DAYS} days at a time (this range has ${total} from the workspace's first day ${firstDay}).` }] };
  }
  return { from, to, total };
}

export interface NightlyQueue {
  sendBatch(messages: Iterable<{ body: NightlyMessage; contentType?: 'json' }>): Promise<unknown>;
}

/** Records the job (with its audit entry) and sends one message per date. Returns the job id. */
export async function startRecompute(queue: NightlyQueue, repos: TenantRepos, range: RecomputeRange, actor: { userId: string; now: number }): Promise<string> {
  const id = newId();
  const audit = repos.audit.entry({
    actorUserId: actor.userId, action: 'recompute', entityType: 'statistics', entityId: id,
    before: null, after: { from: range.from, to: range.to, total: range.total }, at: actor.now,
  });
  await repos.reports.createJob({ id, from: range.from, to: range.to, total: range.total, createdBy: actor.userId, createdAt: actor.now }, [audit]);
  const messages = range.total > 0 ? datesInRange(range.from, range.to).map((date) => ({ tenantId: repos.tenantId, date })) : [];
  try {
    for (let i = 0; i < messages.length; i += QUEUE_SEND_BATCH_MAX) {
      await queue.sendBatch(messages.slice(i, i + QUEUE_SEND_BATCH_MAX).map((body) => ({ body, contentType: 'json' as const })));
    }
  } catch (error) {
    // Dates already sent still compute; dates after the last nightly snapshot that were marked
    // queued but never sent are re-sent by the scheduler once they look lost (REQUEUE_AFTER_MS).
    // The job itself would never finish: drop it.
    await repos.reports.deleteJob(id);
    throw error;
  }
  return id;
}

/**
 * Right after a signup with sample data: the last SAMPLE_STATS_DAYS days (wrangler.toml, 90) of its
 * generated history, as a job created by the owner, so the reports page has data within seconds.
 * Runs in the background (waitUntil); a failure is logged — the hourly schedule still fills in
 * new days and an admin can recompute.
 */
export async function recomputeSampleWorkspace(env: Env, tenant: { id: string; timezone: string }, ownerUserId: string, now: number): Promise<void> {
  const configured = Number(env.SAMPLE_STATS_DAYS ?? RECOMPUTE_DEFAULT_DAYS);
  const days = Number.isInteger(configured) ? Math.min(Math.max(configured, 0), RECOMPUTE_MAX_DAYS) : RECOMPUTE_DEFAULT_DAYS;
  if (days === 0) return;
  try {
    const repos = tenantRepos(tenantDatabase(env, tenant.id), tenant.id);
    const yesterday = addDays(localDate(now, tenant.timezone), -1);
    const firstDay = (await repos.reports.firstDay(tenant.timezone)) ?? yesterday;
    const range = planRecompute({ from: addDays(yesterday, -(days - 1)) }, yesterday, firstDay);
    if ('errors' in range || range.total === 0) return;
    await startRecompute(env.NIGHTLY_QUEUE, repos, range, { userId: ownerUserId, now });
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', job: 'recompute', tenantId: tenant.id, message: rootMessage(error) }));
  }
}
