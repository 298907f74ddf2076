// Text search (opportunities, accounts): substrings of any length, any script, special characters
// literal. (A 17-character Chinese term answered 500 before: D1 refuses LIKE patterns over 50 bytes.)
import { describe, expect, it } from 'vitest';
import { signUp } from '../helpers/api';

const LONG_NAME = '深圳市前海华强北电子科技发展有限公司第三分公司采购部';

describe('search', () => {
  it('finds opportunities and accounts by long Chinese and long Latin terms', async () => {
    const { client, tenant } = await signUp({ template: 'b2b-general' });
    const base = `/api/t/${tenant.slug}`;
    const latin = 'International Widgets and Gadgets Manufacturing Company Limited (Europe)';
    for (const name of [LONG_NAME, latin]) {
      expect((await client.post(`${base}/opportunities`, { title: `Deal with ${name}`, accountName: name })).status).toBe(201);
    }
    for (const [term, expected] of [
      [LONG_NAME.slice(2, 22), LONG_NAME],
      [latin.slice(5, 70).toUpperCase(), latin],
    ] as const) {
      const q = encodeURIComponent(term);
      const opportunities = await client.get(`${base}/opportunities?q=${q}`);
      expect(opportunities.status, opportunities.text).toBe(200);
      expect(opportunities.body.opportunities.map((o: { accountName: string }) => o.accountName)).toEqual([expected]);
      const accounts = await client.get(`${base}/accounts?q=${q}`);
      expect(accounts.status, accounts.text).toBe(200);
      expect(accounts.body.accounts.map((a: { name: string }) => a.name)).toEqual([expected]);
    }
  });

  it('matches %, _ and \\ literally', async () => {
    const { client, tenant } = await signUp({ template: 'b2b-general' });
    const base = `/api/t/${tenant.slug}`;
    for (const title of ['50% off_deal', '50 percent offXdeal', 'path\\to']) await client.post(`${base}/opportunities`, { title });
    const titles = async (q: string) => (await client.get(`${base}/opportunities?q=${encodeURIComponent(q)}`)).body.opportunities.map((o: { title: string }) => o.title);
    expect(await titles('% off_')).toEqual(['50% off_deal']);
    expect(await titles('h\\t')).toEqual(['path\\to']);
  });
});
