import { z } from 'zod';

/** One nightly job: compute tenant `tenantId`'s snapshot for its local calendar date `date`. */
export const NightlyMessageSchema = z.object({
  tenantId: z.string().min(1),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});
export type NightlyMessage = z.infer<typeof NightlyMessageSchema>;

export const nightlyMessageId = (m: NightlyMessage) => `${m.tenantId}:${m.date}`;

// Queues accept at most 100 messages per sendBatch call.
export const QUEUE_SEND_BATCH_MAX = 100;
