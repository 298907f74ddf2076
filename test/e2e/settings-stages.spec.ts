// Settings → Pipelines & stages: an owner adds, renames, reorders (mouse and keyboard) and deletes
// stages, moving a deleted stage's opportunities; the board then shows the new order, names and
// counts. Each test has its own workspace without sample data.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { createAccount, logIn, pageScrollWidth } from './helpers';

const stageItems = (page: Page) => page.getByTestId('stage-list').locator('li[data-stage-id]');
const stageItem = (page: Page, name: string) => stageItems(page).filter({ has: page.getByTestId('stage-name').getByText(name, { exact: true }) });
const stageNames = (page: Page) => stageItems(page).getByTestId('stage-name');

async function openSettings(page: Page, request: Parameters<typeof createAccount>[0], baseURL: string, locale: 'en' | 'zh-CN' = 'en') {
	const account = await createAccount(request, baseURL, { sampleData: false, label: 'stages', locale });
	await logIn(page, account);
	await expect(page).toHaveURL(new RegExp(`/${account.slug}/board/`));
	return account;
}

/** A real mouse drag of a stage onto the place of another one. */
async function drag(page: Page, item: Locator, onto: Locator) {
	const from = (await item.getByTestId('stage-name').boundingBox())!;
	const to = (await onto.boundingBox())!;
	await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
	await page.mouse.down();
	await page.mouse.move(from.x + from.width / 2 + 5, from.y + from.height / 2 - 5, { steps: 3 });
	await page.mouse.move(to.x + to.width / 2, to.y + 4, { steps: 12 });
	await page.mouse.up();
}

test.describe('pipelines and stages settings in English', () => {
	test.use({ locale: 'en-US' });

	test('add, rename, reorder by mouse and keyboard, delete with a move; the board follows', async ({ page, baseURL }) => {
		const account = await openSettings(page, page.request, baseURL!);
		for (const title of ['Alpha deal', 'Beta deal']) {
			const response = await page.request.post(`/api/t/${account.slug}/opportunities`, { headers: { origin: baseURL! }, data: { title, accountName: 'Hengda', amount: 1000 } });
			expect(response.status(), await response.text()).toBe(201);
		}

		await page.getByTestId('settings-link').click();
		await page.getByRole('link', { name: 'Pipelines & stages' }).click();
		await expect(stageNames(page)).toHaveText(['Lead', 'Qualified', 'Proposal & quote', 'Negotiation', 'Won', 'Lost']);
		await expect(stageItem(page, 'Lead').getByTestId('stage-count')).toHaveText('2 opportunities');

		// Add a stage: it goes before the won/lost stages. A missing name is caught next to the field.
		await page.getByRole('button', { name: 'Add stage' }).click();
		await expect(page.getByText('Enter a name.')).toBeVisible();
		await page.getByLabel('New stage name').fill('Site visit');
		await page.getByLabel('Win probability (%)').fill('45');
		await page.getByRole('button', { name: 'Add stage' }).click();
		await expect(page.getByTestId('stages-status')).toHaveText('Site visit added.');
		await expect(stageNames(page)).toHaveText(['Lead', 'Qualified', 'Proposal & quote', 'Negotiation', 'Site visit', 'Won', 'Lost']);

		// Rename one inline; a bad probability is refused next to its field first.
		await page.getByRole('button', { name: 'Edit Qualified' }).click();
		const editor = page.getByTestId('stage-editor');
		await editor.getByLabel('Name').fill('Discovery');
		await editor.getByLabel('Win probability (%)').fill('120');
		await editor.getByRole('button', { name: 'Save' }).click();
		await expect(editor.getByText('Enter a whole number from 0 to 100.')).toBeVisible();
		await editor.getByLabel('Win probability (%)').fill('25');
		await editor.getByLabel('Notes').check();
		await editor.getByRole('button', { name: 'Save' }).click();
		await expect(editor).toHaveCount(0);
		await expect(stageNames(page)).toHaveText(['Lead', 'Discovery', 'Proposal & quote', 'Negotiation', 'Site visit', 'Won', 'Lost']);
		await expect(stageItem(page, 'Discovery')).toContainText('25%');

		// Reorder with the mouse: Site visit above Negotiation.
		await drag(page, stageItem(page, 'Site visit'), stageItem(page, 'Negotiation'));
		await expect(page.getByTestId('stages-status')).toHaveText('Stage order saved.');
		await expect(stageNames(page)).toHaveText(['Lead', 'Discovery', 'Proposal & quote', 'Site visit', 'Negotiation', 'Won', 'Lost']);

		// Reorder with the keyboard: Discovery one place down.
		await stageItem(page, 'Discovery').focus();
		await page.keyboard.press('Space');
		await expect(page.getByTestId('stages-announcer')).toHaveText('Picked up Discovery, position 2 of 7.');
		await page.keyboard.press('ArrowDown');
		await expect(page.getByTestId('stages-announcer')).toHaveText('Discovery moved to position 3 of 7.');
		await page.keyboard.press('Space');
		await expect(page.getByTestId('stages-status')).toHaveText('Stage order saved.');
		await expect(stageNames(page)).toHaveText(['Lead', 'Proposal & quote', 'Discovery', 'Site visit', 'Negotiation', 'Won', 'Lost']);

		// Delete Lead: its 2 opportunities must go somewhere.
		await page.getByRole('button', { name: 'Delete Lead' }).click();
		const dialog = page.getByTestId('delete-stage-dialog');
		await expect(dialog.getByText('Move its 2 opportunities to…')).toBeVisible();
		await dialog.getByRole('button', { name: 'Delete stage' }).click();
		await expect(dialog.getByText('Choose where the opportunities go.')).toBeVisible();
		await dialog.getByLabel('Move its 2 opportunities to…').selectOption({ label: 'Discovery (Open)' });
		await dialog.getByRole('button', { name: 'Delete stage' }).click();
		await expect(dialog).toHaveCount(0);
		await expect(page.getByTestId('stages-status')).toHaveText('Lead deleted; 2 opportunities moved to Discovery.');
		await expect(stageNames(page)).toHaveText(['Proposal & quote', 'Discovery', 'Site visit', 'Negotiation', 'Won', 'Lost']);
		await expect(stageItem(page, 'Discovery').getByTestId('stage-count')).toHaveText('2 opportunities');

		// The board shows it all.
		await page.goto(`/${account.slug}`);
		const columns = page.getByTestId('board-column');
		await expect(columns.getByTestId('stage-name')).toHaveText(['Proposal & quote', 'Discovery', 'Site visit', 'Negotiation', 'Won', 'Lost']);
		const discovery = columns.nth(1);
		await expect(discovery.getByTestId('stage-count')).toHaveText('2');
		await expect(discovery.locator('li[data-item-id]', { hasText: 'Alpha deal' })).toBeVisible();
		await expect(discovery.locator('li[data-item-id]', { hasText: 'Beta deal' })).toBeVisible();
	});

	test('pipelines are added, renamed and archived; the last one cannot be archived', async ({ page, baseURL }) => {
		const account = await openSettings(page, page.request, baseURL!);
		await page.goto(`/${account.slug}/settings/pipelines`);
		const list = page.getByTestId('pipeline-list');
		await expect(list.locator('li')).toHaveCount(2);
		await page.getByLabel('New pipeline name').fill('Channel partners');
		await page.getByRole('button', { name: 'Add pipeline' }).click();
		await expect(page.getByTestId('stages-status')).toHaveText('Channel partners added with a default set of stages.');
		await expect(page.getByRole('heading', { name: 'Stages of Channel partners' })).toBeVisible();
		await expect(stageNames(page)).toHaveText(['Lead', 'Qualified', 'Proposal', 'Negotiation', 'Won', 'Lost']);

		// The new pipeline is last (its name turns into an input while it is renamed).
		const partners = list.locator('li').nth(2);
		await expect(partners).toContainText('Channel partners');
		await partners.getByRole('button', { name: 'Rename' }).click();
		await partners.getByLabel('Pipeline name').fill('Partners');
		await partners.getByRole('button', { name: 'Save' }).click();
		await expect(list.getByRole('button', { name: 'Partners', exact: true })).toBeVisible();
		await list.getByRole('button', { name: 'Move Partners up' }).click();
		await expect(list.locator('li').nth(1)).toContainText('Partners');

		page.on('dialog', (dialog) => void dialog.accept());
		for (const name of ['New business', 'Upsell & renewals']) {
			await list.locator('li', { hasText: name }).getByRole('button', { name: 'Archive' }).click();
			await expect(page.getByTestId('stages-status')).toHaveText(`${name} archived.`);
		}
		await expect(list.locator('li')).toHaveCount(1);
		await expect(list.getByRole('button', { name: 'Archive' })).toBeDisabled();
	});
});

test.describe('pipelines and stages settings in Chinese on a phone', () => {
	test.use({ locale: 'zh-CN', viewport: { width: 360, height: 740 } });

	test('fits 360 px and speaks Chinese', async ({ page, baseURL }) => {
		const account = await openSettings(page, page.request, baseURL!, 'zh-CN');
		await page.goto(`/${account.slug}/settings/pipelines`);
		await expect(page.getByRole('heading', { name: '“新客户开发”的阶段' })).toBeVisible();
		await page.getByRole('button', { name: '编辑“潜在客户”' }).click();
		await expect(page.getByTestId('stage-editor').getByText('进入此阶段需填写')).toBeVisible();
		expect(await pageScrollWidth(page)).toBeLessThanOrEqual(360);
	});
});
