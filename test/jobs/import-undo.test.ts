// Undo removes exactly what an import created — its opportunities with their history, the accounts,
// catalog entries, stage and pending member it added — and leaves everything else, including the
// records it updated (with their new values).
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { signUp } from '../helpers/api';
import { importFile, waitForImport } from '../helpers/imports';

const TABLES = ['opportunities', 'accounts', 'stage_changes', 'opportunity_products', 'products', 'sources', 'stages', 'memberships'] as const;

async function counts(tenantId: string) {
  const result = {} as Record<(typeof TABLES)[number], number>;
  for (const table of TABLES) {
    result[table] = (await env.DB.prepare(`select count(*) as n from ${table} where tenant_id = ?`).bind(tenantId).first<{ n: number }>())!.n;
  }
  return result;
}

describe('undoing an import', () => {
  it('removes exactly what it created, in steps through the queue', async () => {
    const { client, tenant } = await signUp();
    const base = `/api/t/${tenant.slug}`;
    const mine = await client.post(`${base}/opportunities`, { title: 'My own deal', accountName: 'Existing Co', amount: 100 });
    expect(mine.status).toBe(201);
    const before = await counts(tenant.id);

    const lines = ['External ID,Title,Company,Stage,Product,Source,Owner,Amount,Created,Close Date'];
    lines.push([mine.body.id, 'My own deal (updated by import)', 'Existing Co', '', '', '', '', '', '', ''].join(','));
    for (let i = 1; i <= 1_200; i++) {
      lines.push([`U-${i}`, `Undo deal ${i}`, i % 3 ? `New Co ${i % 10}` : 'Existing Co', i % 4 === 0 ? 'Won' : 'Imported Stage', `Widget ${i % 2}`, 'Trade fair 2025', 'Li Lei', String(i), '2025-05-01', i % 4 === 0 ? '2025-06-01' : ''].join(','));
    }
    const { result } = await importFile(client, tenant.slug, lines.join('\r\n'), {
      valueMap: { stage: { 'Imported Stage': 'create' }, owner: { 'Li Lei': 'create' } },
    });
    expect(result.counts).toEqual({ rows: 1_201, created: 1_200, updated: 1, skipped: 0, failed: 0 });
    const during = await counts(tenant.id);
    expect(during.opportunities).toBe(before.opportunities + 1_200);
    expect(during.accounts).toBe(before.accounts + 10);
    expect(during.products).toBe(before.products + 2);
    expect(during.stages).toBe(before.stages + 1);
    expect(during.memberships).toBe(before.memberships + 1);

    const undo = await client.request('DELETE', `${base}/imports/${result.id}`);
    expect(undo.status).toBe(202);
    expect(undo.body.status).toBe('undoing');
    const undone = await waitForImport(client, tenant.slug, result.id, ['undone']);
    expect(undone.status).toBe('undone');

    const after = await counts(tenant.id);
    // The updated record's move into its stage history is its own: only stage_changes of removed rows go.
    expect(after).toEqual(before);
    const own = await client.get(`${base}/opportunities/${mine.body.id}`);
    expect(own.status).toBe(200);
    expect(own.body.title).toBe('My own deal (updated by import)');
    expect(own.body.accountName).toBe('Existing Co');
    const audit = await client.get(`${base}/audit?entityType=import`);
    expect(audit.body.entries.map((e: { action: string }) => e.action).sort()).toEqual(['import', 'undo']);
    // An undone import cannot be undone again; a preview cannot be undone.
    expect((await client.request('DELETE', `${base}/imports/${result.id}`)).status).toBe(409);
  });
});
