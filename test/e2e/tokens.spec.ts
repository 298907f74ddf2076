// API tokens and exports in the browser: an owner creates a token (shown once), copies it, an
// integration (this test, without the browser's cookies) uses it, the owner revokes it; the API
// docs page renders the OpenAPI document; the list and the board download their filtered CSV.
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { createAccount, logIn } from './helpers';

test.describe('API tokens and exports', () => {
	test.use({ locale: 'en-US', permissions: ['clipboard-read', 'clipboard-write'] });

	test('create a token, use it from outside the browser, revoke it', async ({ page, request, baseURL }) => {
		const owner = await createAccount(request, baseURL!, { label: 'tokens-owner', sampleData: true });
		await logIn(page, owner);
		await expect(page).toHaveURL(new RegExp(`/${owner.slug}/board/`));

		await page.getByTestId('settings-link').click();
		await page.getByRole('link', { name: 'API tokens' }).click();
		await expect(page.getByTestId('tokens-empty')).toBeVisible();
		await page.getByTestId('token-name').fill('E2E integration');
		await page.getByTestId('token-role').selectOption('viewer');
		await page.getByTestId('token-expiry').selectOption('30');
		await page.getByTestId('token-create').click();

		const created = page.getByTestId('token-created');
		await expect(created).toContainText('Copy it now: it is shown only this once');
		const value = page.getByTestId('token-value');
		await expect(value).toHaveValue(/^jihui_[a-z2-7]+\.[a-z2-7]+$/);
		await page.getByTestId('token-copy').click();
		await expect(page.getByTestId('token-copy')).toHaveText('Copied');
		const token = await page.evaluate<string>('navigator.clipboard.readText()');
		expect(token).toBe(await value.inputValue());
		const row = page.getByTestId('token-row').filter({ hasText: 'E2E integration' });
		await expect(row).toContainText('Viewer');
		await expect(row.getByTestId('token-last-used')).toHaveText('Never');

		// The integration: no cookie, no Origin — only the token.
		const url = `/api/t/${owner.slug}/opportunities?limit=5`;
		const read = await request.get(url, { headers: { authorization: `Bearer ${token}` } });
		expect(read.status()).toBe(200);
		expect(((await read.json()) as { opportunities: unknown[] }).opportunities.length).toBeGreaterThan(0);
		// A viewer token reads but does not write.
		const write = await request.post(`/api/t/${owner.slug}/accounts`, { headers: { authorization: `Bearer ${token}` }, data: { name: 'Not allowed' } });
		expect(write.status()).toBe(403);

		await page.reload();
		await expect(row.getByTestId('token-last-used')).not.toHaveText('Never');
		// Shown once: after a reload the token is gone from the page.
		await expect(page.getByTestId('token-value')).toHaveCount(0);

		await row.getByTestId('token-revoke').click();
		const dialog = page.getByTestId('revoke-dialog');
		await expect(dialog).toContainText('Revoke “E2E integration”?');
		await dialog.getByTestId('revoke-confirm').click();
		await expect(page.getByTestId('tokens-notice')).toHaveText('Token “E2E integration” revoked.');
		await expect(page.getByTestId('tokens-empty')).toBeVisible();
		const after = await request.get(url, { headers: { authorization: `Bearer ${token}` } });
		expect(after.status()).toBe(401);

		// The API docs, from the link on the page.
		await page.getByTestId('api-docs-link').click();
		await expect(page).toHaveURL(/\/api\/docs$/);
		await expect(page.getByRole('heading', { name: 'API documentation' })).toBeVisible();
		await expect(page.getByTestId('docs-tag').filter({ hasText: 'api tokens' })).toBeVisible();
		await page.getByTestId('docs-filter').fill('exports csv');
		const operations = page.getByTestId('docs-operation');
		await expect(operations.first()).toContainText('/api/t/{tenant}/exports/');
		await operations.filter({ hasText: 'opportunities.csv' }).locator('summary').click();
		await expect(operations.filter({ hasText: 'opportunities.csv' })).toContainText('Session cookie · API token (Bearer)');
		// Loaded straight from the address too (the Worker serves the page, no CDN).
		await page.goto('/api/docs');
		await expect(page.getByTestId('docs-tag').first()).toBeVisible();
	});

	test('download the filtered list and the board as CSV', async ({ page, request, baseURL }) => {
		const owner = await createAccount(request, baseURL!, { label: 'export-owner', sampleData: true });
		await logIn(page, owner);
		await expect(page).toHaveURL(new RegExp(`/${owner.slug}/board/`));

		await page.goto(`/${owner.slug}/opportunities?q=a`);
		const total = page.getByTestId('opportunity-table').locator('tfoot th');
		await expect(total).toBeVisible();
		const count = Number((await total.innerText()).replace(/[^0-9]/g, ''));
		expect(count).toBeGreaterThan(0);
		const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
		expect(download.suggestedFilename()).toMatch(new RegExp(`^jihui-${owner.slug}-opportunities-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
		const text = await readFile((await download.path())!, 'utf-8');
		expect(text.startsWith('\uFEFFexternalId,title,pipeline,stage,status')).toBe(true);
		// Data rows (quoted fields may hold line breaks, so count by our ids: 24 base32 characters).
		expect(text.match(/^[a-z2-7]{24},/gm)?.length).toBe(count);

		await page.goto(`/${owner.slug}`);
		await expect(page).toHaveURL(new RegExp(`/${owner.slug}/board/`));
		const [boardDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('board-export-csv').click()]);
		const boardText = await readFile((await boardDownload.path())!, 'utf-8');
		expect(boardText.match(/^[a-z2-7]{24},/gm)?.length).toBeGreaterThan(0);
	});
});
