import { z } from 'zod';
import { isCalendarDate } from '../services/dates';

/** One nightly job: compute tenant `tenantId`'s snapshot for its local calendar date `date`. */
export const NightlyMessageSchema = z.object({
  tenantId: z.string().min(1),
  date: z.string().refine(isCalendarDate, { message: 'Expected a calendar date YYYY-MM-DD' }),
});
export type NightlyMessage = z.infer<typeof NightlyMessageSchema>;

// Queues accept at most 100 messages per sendBatch call.
export const QUEUE_SEND_BATCH_MAX = 100;
