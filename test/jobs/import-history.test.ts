// History rebuilt from a file's dates: created, closed and stage-entered dates become stage changes,
// so the recomputed statistics show the file's win rate and sales cycle.
import { describe, expect, it } from 'vitest';
import { signUp } from '../helpers/api';
import { importFile } from '../helpers/imports';

const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

describe('history from dates', () => {
  it('gives the expected win rate and cycle length, read through GET /stats after the recompute', async () => {
    const { client, tenant } = await signUp();
    const base = `/api/t/${tenant.slug}`;
    // Won after 10, 20 and 30 days; one lost; one still open (entered Proposal on a given date).
    const file = [
      'Title,Status,Stage,Created,Closed Date,Stage Entered,Amount',
      `A,won,,${day(80)},${day(70)},,1000`,
      `B,won,,${day(80)},${day(60)},,2000`,
      `C,won,,${day(90)},${day(60)},,3000`,
      `D,lost,,${day(85)},${day(65)},,500`,
      `E,open,Proposal & quote,${day(75)},,${day(65)},800`,
    ].join('\r\n');
    const { result } = await importFile(client, tenant.slug, file, { mapping: { 'Stage Entered': 'stageEnteredAt' } });
    expect(result.counts).toMatchObject({ created: 5, skipped: 0 });

    const opportunities = (await client.get(`${base}/opportunities?limit=10`)).body.opportunities as { id: string; title: string }[];
    const a = opportunities.find((o) => o.title === 'A')!;
    const history = await client.get(`${base}/opportunities/${a.id}/history`);
    const changes = history.body.history as { changedAt: string }[];
    expect(changes.map((c) => c.changedAt.slice(0, 10)).sort()).toEqual([day(80), day(70)]);

    // The import started a recompute of its date range; wait for the last date's snapshot.
    const asOf = day(60);
    let stats: { asOfDate: string | null; total: Record<string, number | null> | null } | null = null;
    for (let tries = 0; tries < 600; tries++) {
      const response = await client.get(`${base}/stats?date=${asOf}`);
      if (response.status === 200 && response.body.asOfDate === asOf && response.body.total) {
        stats = response.body;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stats, 'the snapshot of the last imported date').not.toBeNull();
    expect(stats!.total).toMatchObject({ wonCountAll: 3, lostCountAll: 1, winRateAll: 0.75, cycleMedianDays: 20, openCount: 1 });
  }, 120_000);
});
