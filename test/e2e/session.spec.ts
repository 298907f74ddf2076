import { expect, test } from '@playwright/test';
import { createAccount, fetchTemplates, logIn, pageScrollWidth } from './helpers';

test.use({ locale: 'en-US' });

test('logging out and back in returns to the pipeline', async ({ page, request, baseURL }) => {
	const account = await createAccount(request, baseURL!, { label: 'session' });

	await logIn(page, account);
	await expect(page).toHaveURL(new RegExp(`/${account.slug}/board/`));
	await expect(page.getByTestId('pipeline-name')).toHaveText('New business');

	await page.getByRole('button', { name: `Account menu for ${account.name}` }).click();
	await page.getByRole('button', { name: 'Log out' }).click();
	await expect(page).toHaveURL(/\/login$/);

	// The session is gone: a workspace page sends us back to the login page.
	await page.goto(`/${account.slug}`);
	await expect(page).toHaveURL(/\/login\?next=/);

	await logIn(page, account);
	await expect(page).toHaveURL(new RegExp(`/${account.slug}/board/`));
	await expect(page.getByTestId('pipeline-name')).toHaveText('New business');
	await expect(page.getByTestId('board-column').first()).toBeVisible();
});

test('changing the password logs out every other browser and keeps this one', async ({ page, browser, request, baseURL }) => {
	const account = await createAccount(request, baseURL!, { label: 'pwchange' });
	const other = await browser.newContext({ locale: 'en-US' });
	const otherPage = await other.newPage();
	await logIn(otherPage, account);
	await expect(otherPage).toHaveURL(new RegExp(`/${account.slug}/board/`));

	await logIn(page, account);
	await expect(page).toHaveURL(new RegExp(`/${account.slug}/board/`));
	await page.getByRole('button', { name: `Account menu for ${account.name}` }).click();
	await page.getByRole('link', { name: 'Account and password' }).click();
	await expect(page).toHaveURL(/\/account$/);
	await expect(page.getByTestId('account-who')).toContainText(account.email);

	const newPassword = 'a brand new passphrase 2026';
	await page.getByLabel('Current password').fill('not the password');
	await page.getByLabel('New password', { exact: true }).fill(newPassword);
	await page.getByLabel('New password again').fill(newPassword);
	await page.getByRole('button', { name: 'Change password' }).click();
	await expect(page.getByText('The current password is incorrect.')).toBeVisible();

	await page.getByLabel('Current password').fill(account.password);
	await page.getByRole('button', { name: 'Change password' }).click();
	await expect(page.getByTestId('password-changed')).toBeVisible();

	// This browser carries on; the other one is logged out.
	await page.goto(`/${account.slug}`);
	await expect(page.getByTestId('pipeline-name')).toHaveText('New business');
	await otherPage.goto(`/${account.slug}`);
	await expect(otherPage).toHaveURL(/\/login\?next=/);
	await logIn(otherPage, { email: account.email, password: newPassword });
	await expect(otherPage).toHaveURL(new RegExp(`/${account.slug}/board/`));
	await other.close();
});

test('a wrong password shows that the email or password is incorrect', async ({ page, request, baseURL }) => {
	const account = await createAccount(request, baseURL!, { label: 'wrongpw' });

	await logIn(page, { email: account.email, password: 'not the password' });

	await expect(page.getByTestId('form-error')).toHaveText('The email or password is incorrect.');
	await expect(page).toHaveURL(/\/login$/);
	await expect(page.getByRole('button', { name: 'Log in' })).toBeEnabled();
});

test('the language switch changes the visible text and is remembered', async ({ page }) => {
	await page.goto('/login');
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome back');
	await expect(page.locator('html')).toHaveAttribute('lang', 'en');

	await page.getByRole('button', { name: '中文（简体）' }).click();
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('欢迎回来');
	await expect(page.getByRole('button', { name: '登录' })).toBeVisible();
	await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');

	await page.reload();
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('欢迎回来');

	await page.getByRole('button', { name: 'English' }).click();
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome back');
});

test.describe('on a 360 px phone', () => {
	test.use({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });

	test('the board does not scroll sideways', async ({ page, request, baseURL }) => {
		const account = await createAccount(request, baseURL!, { label: 'phone', locale: 'zh-CN' });
		await logIn(page, account);
		await expect(page.getByTestId('board-column').first()).toBeVisible();
		expect(await pageScrollWidth(page)).toBeLessThanOrEqual(360);
	});
});

test.describe('on a small laptop', () => {
	test.use({ viewport: { width: 1024, height: 700 } });

	test('a long pipeline scrolls inside the board, not the page', async ({ page, request, baseURL }) => {
		const templates = await fetchTemplates(request);
		const longest = [...templates].sort((a, b) => b.pipelines[0]!.stages.length - a.pipelines[0]!.stages.length)[0]!;
		const account = await createAccount(request, baseURL!, { label: 'laptop', template: longest.id });
		await logIn(page, account);
		const columns = page.getByTestId('board-column');
		await expect(columns).toHaveCount(longest.pipelines[0]!.stages.length);
		expect(await pageScrollWidth(page)).toBeLessThanOrEqual(1024);
		// The last stage is reachable by scrolling the board.
		await columns.last().scrollIntoViewIfNeeded();
		await expect(columns.last()).toBeInViewport();
	});
});
