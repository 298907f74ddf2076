// A 50,000-row file through the real route and queue: every row accounted for, and the same file
// again updates every row and creates none.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { signUp } from '../helpers/api';
import { importFile } from '../helpers/imports';

const ROWS = 50_000;
const DUPLICATES = 300; // rows repeating an earlier row's external id: they update what it created
// Rows without a title: reported, not imported (none among the repeated rows or their originals).
const isInvalid = (i: number) => i > DUPLICATES && i <= ROWS - DUPLICATES && i % 250 === 0;
const INVALID = Array.from({ length: ROWS }, (_, i) => i + 1).filter(isInvalid).length;

// Dates within the last three days: the statistics recompute that follows an import then covers
// three days, not months (it runs on the same local queue and would slow the re-import down).
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

function bigFile(): string {
  const lines = ['External ID,Title,Company,Stage,Amount,Created,Close Date'];
  for (let i = 1; i <= ROWS; i++) {
    const ext = i > ROWS - DUPLICATES ? `E-${i - (ROWS - DUPLICATES)}` : `E-${i}`;
    const title = isInvalid(i) ? '' : `Deal ${i}`;
    const won = i % 4 === 0;
    lines.push([ext, title, `Company ${i % 997}`, won ? 'Won' : 'Qualified', `${1000 + (i % 5000)}.50`, daysAgo(3 - (i % 2)), won ? daysAgo(1) : ''].join(','));
  }
  return lines.join('\r\n');
}

describe('a 50,000-row import', () => {
  it('accounts for every row (created + updated + skipped = rows) and a re-import creates nothing', async () => {
    const { client, tenant } = await signUp();
    const file = bigFile();
    const started = Date.now();
    const first = await importFile(client, tenant.slug, file, {}, 400_000);
    const firstMs = Date.now() - started;
    expect(first.result.status).toBe('done');
    const counts = first.result.counts;
    expect(counts).toEqual({ rows: ROWS, created: ROWS - DUPLICATES - INVALID, updated: DUPLICATES, skipped: INVALID, failed: 0 });
    expect(counts.created + counts.updated + counts.skipped + counts.failed).toBe(ROWS);
    const count = async () => (await env.DB.prepare('select count(*) as n from opportunities where tenant_id = ?').bind(tenant.id).first<{ n: number }>())!.n;
    expect(await count()).toBe(ROWS - DUPLICATES - INVALID);
    // Positions stay unique within each column (the unique index would have refused otherwise) and history exists for each.
    const history = await env.DB.prepare('select count(distinct opportunity_id) as n from stage_changes where tenant_id = ?').bind(tenant.id).first<{ n: number }>();
    expect(history!.n).toBe(ROWS - DUPLICATES - INVALID);

    const again = Date.now();
    const second = await importFile(client, tenant.slug, file, {}, 400_000);
    const secondMs = Date.now() - again;
    expect(second.result.counts).toEqual({ rows: ROWS, created: 0, updated: ROWS - INVALID, skipped: INVALID, failed: 0 });
    expect(await count()).toBe(ROWS - DUPLICATES - INVALID);
    const duplicates = await env.DB.prepare('select count(*) as n from (select external_id from opportunities where tenant_id = ? group by external_id having count(*) > 1)').bind(tenant.id).first<{ n: number }>();
    expect(duplicates!.n).toBe(0);
    console.log(`50,000-row import in workerd: first ${(firstMs / 1000).toFixed(1)} s (${Math.round(ROWS / (firstMs / 1000))} rows/s), re-import ${(secondMs / 1000).toFixed(1)} s`);
  }, 900_000);
});
