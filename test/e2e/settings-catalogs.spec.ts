// Workspace administration as the owner: catalogs (add a lead source, archive another, reorder
// types with the keyboard) reach the board's drawer pickers; renaming the workspace updates the
// header; the audit log lists all of it.
import { expect, test, type Page } from '@playwright/test';
import { createAccount, logIn, pageScrollWidth } from './helpers';

const entries = (page: Page) => page.getByTestId('catalog-entry');
const entryNames = (page: Page) => entries(page).evaluateAll((items) => items.map((item) => item.getAttribute('data-name') ?? ''));

test.describe('settings in English', () => {
	test.use({ locale: 'en-US' });

	test('catalog changes reach the pickers, a rename reaches the header, and the audit log lists them', async ({ page, request, baseURL }) => {
		const account = await createAccount(request, baseURL!, { sampleData: false, label: 'settings' });
		await logIn(page, account);
		await expect(page).toHaveURL(new RegExp(`/${account.slug}/board/`));

		// A card to open the drawer on later.
		const lead = page.getByTestId('board-column').first();
		await lead.getByTestId('quick-add').click();
		await lead.getByTestId('quick-add-form').getByLabel('Opportunity title').fill('Picker check');
		await lead.getByTestId('quick-add-form').getByRole('button', { name: 'Add', exact: true }).click();
		await expect(lead.locator('li[data-item-id]', { hasText: 'Picker check' })).toBeVisible();

		await page.getByTestId('settings-link').click();
		await page.getByRole('link', { name: 'Types, sources & products' }).click();
		await expect(page.getByRole('tab', { name: 'Opportunity types' })).toHaveAttribute('aria-selected', 'true');

		// Lead sources: add one, archive the first existing one.
		await page.getByRole('tab', { name: 'Lead sources' }).click();
		await expect(entries(page).first()).toBeVisible();
		const archivedSource = (await entryNames(page))[0]!;
		await page.getByTestId('catalog-add').getByLabel('Name').fill('Trade fair 2027');
		await page.getByTestId('catalog-add').getByRole('button', { name: 'Add' }).click();
		await expect(page.getByRole('status')).toContainText('“Trade fair 2027” added.');
		await expect(entries(page).last()).toHaveAttribute('data-name', 'Trade fair 2027');
		const archivedRow = entries(page).filter({ hasText: archivedSource }).first();
		await archivedRow.getByRole('button', { name: 'Archive' }).click();
		await expect(archivedRow.getByText('Archived', { exact: true })).toBeVisible();
		await expect(archivedRow.getByRole('button', { name: 'Restore' })).toBeVisible();

		// A duplicate name is explained next to the field.
		await page.getByTestId('catalog-add').getByLabel('Name').fill('trade fair 2027');
		await page.getByTestId('catalog-add').getByRole('button', { name: 'Add' }).click();
		await expect(page.getByTestId('catalog-add').getByText('An active entry already has this name.')).toBeVisible();

		// Opportunity types: move the first one down with the keyboard.
		await page.getByRole('tab', { name: 'Opportunity types' }).click();
		await expect(entries(page).nth(1)).toBeVisible();
		const [firstType, secondType] = await entryNames(page);
		await page.getByRole('button', { name: `Move “${firstType}” down` }).focus();
		await page.keyboard.press('Enter');
		await expect(page.getByRole('status')).toContainText('New order saved.');
		expect((await entryNames(page)).slice(0, 2)).toEqual([secondType, firstType]);
		// The focus follows the moved entry, so it can keep moving.
		await expect(page.getByRole('button', { name: `Move “${firstType}” down` })).toBeFocused();
		await page.reload();
		await expect(entries(page).nth(1)).toBeVisible();
		expect((await entryNames(page)).slice(0, 2)).toEqual([secondType, firstType]);

		// The board's drawer pickers reflect it.
		await page.goto(`/${account.slug}`);
		await page.getByTestId('board-column').first().locator('li[data-item-id]', { hasText: 'Picker check' }).getByTestId('card-title').click();
		const drawer = page.getByTestId('opportunity-drawer');
		const sourceOptions = drawer.locator('#edit-source option');
		await expect(sourceOptions.filter({ hasText: 'Trade fair 2027' })).toHaveCount(1);
		await expect(sourceOptions.filter({ hasText: archivedSource })).toHaveCount(0);
		const typeOptions = await drawer.locator('#edit-type option').allTextContents();
		expect(typeOptions.slice(1, 3)).toEqual([secondType, firstType]);
		await page.keyboard.press('Escape');

		// Rename the workspace and change its default language: the header follows, the UI language does not.
		await page.goto(`/${account.slug}/settings/workspace`);
		await page.getByLabel('Workspace name').fill('Renamed Harbour Co');
		await page.getByLabel('Default language').selectOption('zh-CN');
		await page.getByRole('button', { name: 'Save settings' }).click();
		await expect(page.getByRole('status')).toContainText('Settings saved.');
		await expect(page.getByRole('banner').getByText('Renamed Harbour Co')).toBeVisible();
		await expect(page.locator('html')).toHaveAttribute('lang', 'en');
		await expect(page.getByRole('button', { name: 'Save settings' })).toBeVisible();

		// The audit log lists the changes, newest first.
		await page.getByRole('link', { name: 'Audit log' }).click();
		const rows = page.getByTestId('audit-row');
		await expect(rows.first()).toContainText('Workspace settings');
		await expect(rows.first()).toContainText('Renamed Harbour Co');
		await expect(rows.first()).toContainText('Default language: English → 简体中文');
		await expect(rows.filter({ hasText: 'Reordered' })).toContainText(`${secondType}, ${firstType}`);
		await expect(rows.filter({ hasText: 'Archived' }).filter({ hasText: archivedSource })).toHaveCount(1);
		await expect(rows.filter({ hasText: 'Created' }).filter({ hasText: 'Trade fair 2027' })).toHaveCount(1);

		// Filter by type.
		await page.getByLabel('Type').selectOption('opportunity_type');
		await expect(rows).toHaveCount(1);
		await expect(rows.first()).toContainText('Reordered');
	});

	test('an entry dragged by its handle with the mouse or the keyboard keeps its new place', async ({ page, request, baseURL }) => {
		const account = await createAccount(request, baseURL!, { sampleData: false, label: 'dragtypes' });
		await logIn(page, account);
		await expect(page).toHaveURL(new RegExp(`/${account.slug}/board/`));
		await page.goto(`/${account.slug}/settings/catalogs`);
		await expect(entries(page).nth(2)).toBeVisible();
		const before = await entryNames(page);
		const from = (await entries(page).nth(2).getByTestId('drag-handle').boundingBox())!;
		const to = (await entries(page).nth(0).boundingBox())!;
		await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
		await page.mouse.down();
		await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2 - 5, { steps: 3 });
		await page.mouse.move(from.x + from.width / 2, to.y + 4, { steps: 12 });
		await expect(entries(page).first()).toHaveAttribute('data-name', before[2]!);
		await page.mouse.up();
		await expect(page.getByRole('status')).toContainText('New order saved.');
		const expected = [before[2]!, before[0]!, before[1]!, ...before.slice(3)];
		expect(await entryNames(page)).toEqual(expected);
		await page.reload();
		await expect(entries(page).nth(2)).toBeVisible();
		expect(await entryNames(page)).toEqual(expected);

		// The same handle with the keyboard: Space picks up, an arrow moves, Space puts down (one save).
		await page.getByRole('button', { name: `Drag “${expected[0]}” to reorder` }).focus();
		await page.keyboard.press('Space');
		await page.keyboard.press('ArrowDown');
		await page.keyboard.press('Space');
		await expect(page.getByRole('status')).toContainText('New order saved.');
		const keyed = [expected[1]!, expected[0]!, ...expected.slice(2)];
		expect(await entryNames(page)).toEqual(keyed);
		await page.reload();
		await expect(entries(page).nth(2)).toBeVisible();
		expect(await entryNames(page)).toEqual(keyed);
	});

	test('the catalogs page works at 360 px and says why a used entry cannot be deleted', async ({ page, request, baseURL }) => {
		await page.setViewportSize({ width: 360, height: 740 });
		const account = await createAccount(request, baseURL!, { sampleData: false, label: 'narrow' });
		await logIn(page, account);
		await expect(page).toHaveURL(new RegExp(`/${account.slug}/board/`));
		await page.goto(`/${account.slug}/settings/catalogs`);
		await page.getByRole('tab', { name: 'Products' }).click();
		await expect(entries(page).first()).toBeVisible();
		expect(await pageScrollWidth(page)).toBeLessThanOrEqual(360);
		// An opportunity uses the first product, so deleting it is refused with an explanation.
		const first = entries(page).first();
		const name = (await first.getAttribute('data-name'))!;
		const catalog = (await (await page.request.get(`/api/t/${account.slug}/catalog`)).json()) as { products: { id: string; name: string }[] };
		const product = catalog.products.find((p) => p.name === name)!;
		const created = await page.request.post(`/api/t/${account.slug}/opportunities`, {
			headers: { origin: baseURL! },
			data: { title: 'Uses the product', accountName: 'Narrow Buyer', products: [{ productId: product.id, quantity: 1 }] },
		});
		expect(created.status()).toBe(201);
		page.on('dialog', (dialog) => void dialog.accept());
		await first.getByRole('button', { name: 'Delete' }).click();
		await expect(page.getByTestId('catalog-error')).toContainText(`“${name}” is used by 1 record,`);
		await expect(page.getByTestId('catalog-error')).toContainText('Archive it instead');
		await expect(entries(page).filter({ hasText: name })).toHaveCount(1);
		expect(await pageScrollWidth(page)).toBeLessThanOrEqual(360);
		for (const path of ['workspace', 'audit']) {
			await page.goto(`/${account.slug}/settings/${path}`);
			await expect(page.getByRole('heading', { level: 2 })).toBeVisible();
			expect(await pageScrollWidth(page)).toBeLessThanOrEqual(360);
		}
	});
});

test.describe('settings in Chinese', () => {
	test.use({ locale: 'zh-CN' });

	test('the audit log summarises a change in Chinese', async ({ page, request, baseURL }) => {
		const account = await createAccount(request, baseURL!, { sampleData: false, label: 'zh', locale: 'zh-CN' });
		await logIn(page, account);
		await expect(page).toHaveURL(new RegExp(`/${account.slug}/board/`));
		await page.goto(`/${account.slug}/settings/workspace`);
		await page.getByLabel('成员只能看到自己的商机').check();
		await page.getByRole('button', { name: '保存设置' }).click();
		await expect(page.getByRole('status')).toContainText('设置已保存。');
		await page.goto(`/${account.slug}/settings/audit`);
		await expect(page.getByTestId('audit-row').first()).toContainText('修改 · 工作空间设置');
		await expect(page.getByTestId('audit-row').first()).toContainText('成员只看自己的: 关 → 开');
	});
});
