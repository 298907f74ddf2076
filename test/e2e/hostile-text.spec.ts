// Stored text renders inert (issue 7): markup and script typed into any field is shown as text on
// the board, in the drawer, on the list, the opportunity page and the accounts it creates — never
// parsed. A page script that ran would set window.__xss.
import { expect, test } from '@playwright/test';
import { createAccount, logIn } from './helpers';

test.use({ locale: 'en-US' });

const TITLE = '<img src=x onerror="window.__xss=1">Deal';
const ACCOUNT = '<script>window.__xss=2</script>Acme';
const NEEDS = '<a href="javascript:window.__xss=3">click</a><svg onload="window.__xss=4"></svg>';

test('markup in stored text is shown as text everywhere and never runs', async ({ page, baseURL }) => {
	const account = await createAccount(page.request, baseURL!, { label: 'xss', sampleData: false });
	await logIn(page, account);
	await expect(page).toHaveURL(new RegExp(`/${account.slug}/board/`));
	const created = await page.request.post(`/api/t/${account.slug}/opportunities`, {
		headers: { origin: baseURL! },
		data: { title: TITLE, accountName: ACCOUNT, needs: NEEDS, notes: '{{constructor.constructor("window.__xss=5")()}}', amount: 100 },
	});
	expect(created.status()).toBe(201);
	const { id } = (await created.json()) as { id: string };
	const xss = () => page.evaluate('window.__xss');

	await page.reload();
	const card = page.getByTestId('card-title').filter({ hasText: 'Deal' });
	await expect(card).toHaveText(TITLE);
	await expect(page.locator('img[src="x"]')).toHaveCount(0);
	await card.click();
	await expect(page.getByText(ACCOUNT).first()).toBeVisible();
	expect(await xss()).toBeUndefined();

	await page.goto(`/${account.slug}/opportunities`);
	await expect(page.getByText(TITLE).first()).toBeVisible();
	expect(await xss()).toBeUndefined();

	await page.goto(`/${account.slug}/opportunities/${id}`);
	await expect(page.getByText(TITLE).first()).toBeVisible();
	await expect(page.locator('svg[onload]')).toHaveCount(0);
	await expect(page.locator('a[href^="javascript:"]')).toHaveCount(0);
	expect(await xss()).toBeUndefined();
});
