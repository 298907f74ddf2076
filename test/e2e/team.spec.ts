// The team: an owner invites someone by link, the invitee creates their account from it in
// another browser and lands on the board; members see no settings; roles change in the list;
// a viewer's board is read-only.
import { expect, test, type Page } from '@playwright/test';
import { PASSWORD, createAccount, logIn, pageScrollWidth, uniqueEmail } from './helpers';

const columns = (page: Page) => page.getByTestId('board-column');

test.describe('the team in English', () => {
	test.use({ locale: 'en-US', permissions: ['clipboard-read', 'clipboard-write'] });

	test('an invitee joins from the link, has no settings, and becomes a viewer with a read-only board', async ({ page, browser, request, baseURL }) => {
		const owner = await createAccount(request, baseURL!, { label: 'team-owner', sampleData: true });
		await logIn(page, owner);
		await expect(page).toHaveURL(new RegExp(`/${owner.slug}/board/`));

		// The owner invites a member and copies the link.
		await page.getByTestId('settings-link').click();
		await page.getByRole('link', { name: 'Team' }).click();
		await expect(page.getByTestId('owner-rules')).toContainText('at least one owner');
		await expect(page.getByTestId('pending-empty')).toBeVisible();
		const email = uniqueEmail('invitee');
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Role', { exact: true }).selectOption('member');
		await page.getByRole('button', { name: 'Create invitation link' }).click();
		const link = page.getByTestId('invite-link');
		await expect(link).toHaveValue(new RegExp(`/invite/[A-Za-z0-9_-]{40,}$`));
		const url = await link.inputValue();
		await page.getByTestId('copy-link').click();
		await expect(page.getByTestId('copy-link')).toHaveText('Copied');
		expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(url);
		await expect(page.getByTestId('pending-invitations')).toContainText(email);

		// A second browser: the invitee creates their account from the link.
		const invitee = await browser.newContext({ locale: 'en-US', viewport: { width: 360, height: 740 } });
		const second = await invitee.newPage();
		await second.goto(url);
		await expect(second.getByTestId('invite-summary')).toHaveText(`E2E Tester invited ${email} to join as Member.`);
		await expect(second.getByRole('heading', { name: 'Join E2E team-owner' })).toBeVisible();
		expect(await pageScrollWidth(second)).toBeLessThanOrEqual(360);
		await second.getByLabel('Your name').fill('Ivy Invitee');
		await second.getByLabel('Choose a password').fill(PASSWORD);
		await second.getByTestId('create-and-join').click();
		await expect(second).toHaveURL(new RegExp(`/${owner.slug}/board/`));
		await expect(columns(second).first()).toBeVisible();

		// A member sees no settings, and the settings address explains why.
		await expect(second.getByTestId('settings-link')).toHaveCount(0);
		await second.goto(`/${owner.slug}/settings`);
		await expect(second.getByTestId('settings-denied')).toContainText('Settings are for owners and admins');

		// The link is used up.
		await second.goto(url);
		await expect(second.getByTestId('invite-invalid')).toContainText('can no longer be used');

		// Back as the owner: the member is listed; make them a viewer.
		await page.reload();
		const row = page.getByTestId('member-row').filter({ hasText: email });
		await expect(row).toContainText('Ivy Invitee');
		await expect(page.getByTestId('pending-empty')).toBeVisible();
		await row.getByTestId('member-role').selectOption('viewer');
		await expect(page.getByTestId('team-notice')).toHaveText('Ivy Invitee is now Viewer.');
		await page.reload();
		await expect(page.getByTestId('member-row').filter({ hasText: email }).getByTestId('member-role')).toHaveValue('viewer');

		// The viewer's board: no quick-add, the drawer's fields are disabled.
		await second.goto(`/${owner.slug}`);
		await expect(columns(second).first()).toBeVisible();
		await expect(second.getByTestId('quick-add')).toHaveCount(0);
		await second.getByTestId('card-title').first().click();
		const drawer = second.getByTestId('opportunity-drawer');
		await expect(drawer.getByLabel('Title', { exact: true })).toBeDisabled();
		await expect(drawer.getByLabel('Title', { exact: true })).not.toBeEditable();
		await expect(drawer.getByRole('button', { name: 'Save' })).toHaveCount(0);
		await invitee.close();
	});

	test('an existing user logs in from the link and joins; the last owner cannot be demoted; making someone owner asks first', async ({ page, browser, request, baseURL }) => {
		const owner = await createAccount(request, baseURL!, { label: 'team-transfer', sampleData: false });
		const other = await createAccount(request, baseURL!, { label: 'team-other', sampleData: false });
		await logIn(page, owner);
		await expect(page).toHaveURL(new RegExp(`/${owner.slug}/board/`));
		// Invite the other (existing) account: they open the link logged out, log in first and come back to join.
		await page.goto(`/${owner.slug}/settings/members`);
		await page.getByLabel('Email').fill(other.email);
		await page.getByRole('button', { name: 'Create invitation link' }).click();
		const url = await page.getByTestId('invite-link').inputValue();
		const otherContext = await browser.newContext({ locale: 'en-US' });
		const second = await otherContext.newPage();
		await second.goto(url);
		await second.getByTestId('login-first').click();
		await expect(second).toHaveURL(/\/login\?next=/);
		await second.locator('#login-email').fill(other.email);
		await second.locator('#login-password').fill(other.password);
		await second.locator('form button[type="submit"]').click();
		await expect(second).toHaveURL(url);
		await second.getByTestId('join').click();
		await expect(second).toHaveURL(new RegExp(`/${owner.slug}/board/`));
		await otherContext.close();

		await page.reload();
		const mine = page.getByTestId('member-row').filter({ hasText: owner.email });
		await mine.getByTestId('member-role').selectOption('admin');
		await expect(page.getByTestId('team-error')).toContainText('at least one owner');
		await expect(mine.getByTestId('member-role')).toHaveValue('owner');

		const theirs = page.getByTestId('member-row').filter({ hasText: other.email });
		await theirs.getByTestId('member-role').selectOption('owner');
		const dialog = page.getByTestId('transfer-dialog');
		await expect(dialog).toContainText('you become an admin');
		await dialog.getByRole('button', { name: 'Make owner' }).click();
		await expect(page.getByTestId('member-row').filter({ hasText: other.email }).getByTestId('member-role')).toHaveValue('owner');
		await expect(page.getByTestId('member-row').filter({ hasText: owner.email }).getByTestId('member-role')).toHaveValue('admin');
		// Now an admin: the owner's role cannot be changed from here.
		await expect(page.getByTestId('member-row').filter({ hasText: other.email }).getByTestId('member-role')).toBeDisabled();

		// On a 360 px phone the team page does not scroll sideways.
		await page.setViewportSize({ width: 360, height: 740 });
		await expect(page.getByTestId('members')).toBeVisible();
		expect(await pageScrollWidth(page)).toBeLessThanOrEqual(360);
	});
});

test.describe('the invite page in Chinese', () => {
	test.use({ locale: 'zh-CN' });

	test('an expired or unknown link says so', async ({ page }) => {
		await page.goto('/invite/not-a-real-token');
		await expect(page.getByTestId('invite-invalid')).toContainText('此邀请已无法使用');
	});
});
