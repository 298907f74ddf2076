// The queue consumer: one message = one tenant and one local date. It recomputes that date's
// snapshot from source data and replaces the rows atomically, so re-delivery and re-runs give
// identical rows. Each message is acked or retried on its own; after the retries a poison
// message goes to the dead letter queue, whose consumer logs it with the tenant.
import { tenantDatabase } from '../../db/client';
import { tenantRepos } from '../repos/tenant';
import { NightlyMessageSchema } from './messages';
import { rootMessage } from '../errors';

export const DEAD_LETTER_QUEUE = 'jihui-nightly-dlq';

/** Exponential back-off: the configured first delay, doubled per attempt, at most an hour. */
export function retryDelaySeconds(env: Env, attempts: number): number {
  const first = Number(env.NIGHTLY_RETRY_DELAY_SECONDS ?? 60);
  return Math.min((Number.isFinite(first) && first >= 0 ? first : 60) * 2 ** Math.max(0, attempts - 1), 3600);
}

export async function processNightlyBatch(batch: MessageBatch<unknown>, env: Env, now: number): Promise<void> {
  if (batch.queue === DEAD_LETTER_QUEUE) {
    for (const message of batch.messages) {
      const parsed = NightlyMessageSchema.safeParse(message.body);
      console.error(JSON.stringify({ level: 'error', job: 'nightly', deadLetter: true, messageId: message.id, tenantId: parsed.data?.tenantId, date: parsed.data?.date, body: message.body }));
      try {
        if (parsed.success) await tenantRepos(tenantDatabase(env, parsed.data.tenantId), parsed.data.tenantId).snapshots.markFailed(parsed.data.date, now);
        message.ack();
      } catch (error) {
        console.error(JSON.stringify({ level: 'error', job: 'nightly', deadLetter: true, messageId: message.id, message: rootMessage(error) }));
        message.retry();
      }
    }
    return;
  }
  for (const message of batch.messages) {
    const parsed = NightlyMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      // Retrying cannot fix a malformed message: log it and drop it.
      console.error(JSON.stringify({ level: 'error', job: 'nightly', messageId: message.id, message: 'malformed message', body: message.body }));
      message.ack();
      continue;
    }
    const { tenantId, date } = parsed.data;
    try {
      const repos = tenantRepos(tenantDatabase(env, tenantId), tenantId);
      const tenant = await repos.workspace.get();
      if (!tenant) {
        // The workspace was deleted after the message was sent: nothing to compute.
        message.ack();
        continue;
      }
      // Computed as of the end of `date` in the tenant's timezone (worker/repos/stats.ts); the
      // date's forecast rows (worker/repos/forecasts.ts) are written in the same atomic batch.
      const forecastStatements = await repos.forecasts.statementsFor(date, tenant, now);
      await repos.snapshots.writeSnapshot(date, tenant, now, forecastStatements);
      message.ack();
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', job: 'nightly', tenantId, date, attempts: message.attempts, message: rootMessage(error) }));
      message.retry({ delaySeconds: retryDelaySeconds(env, message.attempts) });
    }
  }
}
