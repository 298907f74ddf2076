// The pipeline board: quick-add, drag and drop with the mouse and the keyboard, fields a stage
// requires, lost reasons, follow-ups, and the phone's two-tap move. Each test has its own
// workspace without sample data, so the column figures are exact.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { createAccount, logIn } from './helpers';

const columns = (page: Page) => page.getByTestId('board-column');
const cardIn = (column: Locator, title: string) => column.locator('li[data-item-id]', { hasText: title });

async function openBoard(page: Page, request: Parameters<typeof createAccount>[0], baseURL: string, options: Parameters<typeof createAccount>[2] = {}) {
	const account = await createAccount(request, baseURL, { sampleData: false, ...options });
	await logIn(page, account);
	await expect(page).toHaveURL(new RegExp(`/${account.slug}/board/`));
	await expect(columns(page).first()).toBeVisible();
	return account;
}

async function quickAdd(page: Page, column: Locator, fields: { title: string; account?: string; amount?: string }, labels = { title: 'Opportunity title', account: /Customer name/, amount: /^Amount in/, save: 'Add' }) {
	await column.getByTestId('quick-add').click();
	const form = column.getByTestId('quick-add-form');
	await form.getByLabel(labels.title).fill(fields.title);
	if (fields.account) await form.getByLabel(labels.account).fill(fields.account);
	if (fields.amount) await form.getByLabel(labels.amount).fill(fields.amount);
	await form.getByRole('button', { name: labels.save, exact: true }).click();
	await expect(cardIn(column, fields.title)).toBeVisible();
}

/** A real mouse drag: press on the card (not on its buttons), move in steps, wait for the drop zone to take the placeholder, release. */
async function drag(page: Page, card: Locator, target: Locator) {
	const id = await card.getAttribute('data-item-id');
	const from = (await card.getByTestId('card-amount').boundingBox())!;
	const to = (await target.getByTestId('column-cards').boundingBox())!;
	await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
	await page.mouse.down();
	await page.mouse.move(from.x + from.width / 2 + 10, from.y + from.height / 2 + 5, { steps: 3 });
	await page.mouse.move(to.x + to.width / 2, to.y + Math.min(to.height / 2, 30), { steps: 12 });
	await expect(target.locator(`li[data-item-id="${id}"]`)).toHaveCount(1);
	await page.mouse.up();
}

test.describe('the board in English', () => {
	test.use({ locale: 'en-US' });

	test('a card added with quick-add is dragged to the next stage with the mouse and the figures follow', async ({ page, request, baseURL }) => {
		await openBoard(page, request, baseURL!, { label: 'drag' });
		const [lead, qualified] = [columns(page).nth(0), columns(page).nth(1)];

		await quickAdd(page, lead, { title: 'Packaging line', account: 'Suzhou Hengda', amount: '12800' });
		await expect(lead.getByTestId('stage-count')).toHaveText('1');
		await expect(lead.getByTestId('stage-amount')).toContainText('12,800');
		await expect(page.getByTestId('summary-open-count')).toHaveText('1');

		await drag(page, cardIn(lead, 'Packaging line'), qualified);

		await expect(cardIn(qualified, 'Packaging line')).toBeVisible();
		await expect(cardIn(lead, 'Packaging line')).toHaveCount(0);
		await expect(qualified.getByTestId('stage-count')).toHaveText('1');
		await expect(lead.getByTestId('stage-count')).toHaveText('0');
		await expect(qualified.getByTestId('stage-amount')).toContainText('12,800');

		// The server agrees: after a reload the card is still there.
		await page.reload();
		await expect(cardIn(columns(page).nth(1), 'Packaging line')).toBeVisible();
		await expect(columns(page).nth(1).getByTestId('stage-count')).toHaveText('1');
	});

	test('the keyboard picks a card up, moves it a stage right, and the stage asks for its required amount', async ({ page, request, baseURL }) => {
		await openBoard(page, request, baseURL!, { label: 'keys' });
		const [qualified, proposal] = [columns(page).nth(1), columns(page).nth(2)];
		// Quick-add puts a new card on top: Cold storage first, then ERP rollout below it.
		await quickAdd(page, qualified, { title: 'ERP rollout' });
		await quickAdd(page, qualified, { title: 'Cold storage', amount: '900' });

		const card = cardIn(qualified, 'ERP rollout');
		await card.focus();
		const announcer = page.getByTestId('board-announcer');
		await page.keyboard.press('Space');
		await expect(announcer).toContainText('Picked up ERP rollout. Column Qualified, position 2 of 2.');
		await page.keyboard.press('ArrowUp');
		await expect(announcer).toContainText('ERP rollout: Column Qualified, position 1 of 2.');
		await page.keyboard.press('ArrowRight');
		await expect(announcer).toContainText('Column Proposal & quote, position 1 of 1.');
		await page.keyboard.press('Enter');

		// Proposal needs an amount: the move is undone and the amount asked for.
		const dialog = page.getByTestId('required-fields-dialog');
		await expect(dialog).toBeVisible();
		await expect(cardIn(qualified, 'ERP rollout')).toBeVisible();
		await dialog.getByRole('button', { name: 'Save and move' }).click();
		await expect(dialog.getByText('Enter an amount of 0 or more.')).toBeVisible();
		await dialog.getByLabel(/Amount/).fill('5000');
		await dialog.getByRole('button', { name: 'Save and move' }).click();

		await expect(cardIn(proposal, 'ERP rollout')).toBeVisible();
		await expect(cardIn(proposal, 'ERP rollout').getByTestId('card-amount')).toContainText('5,000');
		await expect(proposal.getByTestId('stage-count')).toHaveText('1');
		await expect(qualified.getByTestId('stage-count')).toHaveText('1');
		await expect(announcer).toContainText('ERP rollout moved to Proposal & quote.');

		// Escape puts a picked-up card back where it was.
		const other = cardIn(qualified, 'Cold storage');
		await other.focus();
		await page.keyboard.press('Enter');
		await page.keyboard.press('ArrowRight');
		await expect(cardIn(proposal, 'Cold storage')).toBeVisible();
		await page.keyboard.press('Escape');
		await expect(cardIn(qualified, 'Cold storage')).toBeVisible();
		await expect(announcer).toContainText('Move of Cold storage cancelled.');
	});

	test('a move over someone else’s change is undone and says what changed', async ({ page, request, baseURL }) => {
		const account = await openBoard(page, request, baseURL!, { label: 'conflict' });
		const lead = columns(page).nth(0);
		await quickAdd(page, lead, { title: 'Boiler service', amount: '300' });
		const id = (await cardIn(lead, 'Boiler service').getAttribute('data-item-id'))!;

		// A colleague renames it meanwhile (the page still holds version 1).
		const renamed = await page.request.patch(`/api/t/${account.slug}/opportunities/${id}`, { headers: { origin: baseURL! }, data: { version: 1, title: 'Boiler service 2027' } });
		expect(renamed.status()).toBe(200);

		await cardIn(lead, 'Boiler service').getByTestId('card-move').click();
		await page.getByTestId('move-dialog').getByRole('button', { name: 'Qualified' }).click();
		await expect(page.getByTestId('toast')).toContainText('Someone else changed “Boiler service 2027” meanwhile (title now “Boiler service 2027”)');
		await expect(cardIn(lead, 'Boiler service 2027')).toBeVisible();
		await expect(columns(page).nth(1).getByTestId('stage-count')).toHaveText('0');
	});

	test('filters live in the address and narrow the board', async ({ page, request, baseURL }) => {
		await openBoard(page, request, baseURL!, { label: 'filters' });
		const lead = columns(page).nth(0);
		await quickAdd(page, lead, { title: 'Forklift fleet' });
		await quickAdd(page, lead, { title: 'Solar roof' });
		await page.getByLabel('Search title or customer').fill('solar');
		await expect(page).toHaveURL(/\?q=solar$/);
		await expect(cardIn(lead, 'Forklift fleet')).toHaveCount(0);
		await expect(lead.getByTestId('stage-count')).toHaveText('1');
		await page.reload();
		await expect(page.getByLabel('Search title or customer')).toHaveValue('solar');
		await expect(cardIn(columns(page).nth(0), 'Solar roof')).toBeVisible();
		await expect(cardIn(columns(page).nth(0), 'Forklift fleet')).toHaveCount(0);
	});
	test('logs a follow-up, plans the next one, and marks the opportunity lost with a reason', async ({ page, request, baseURL }) => {
		await openBoard(page, request, baseURL!, { label: 'lost' });
		const lead = columns(page).nth(0);
		const lost = columns(page).last();
		await quickAdd(page, lead, { title: 'Factory retrofit', account: 'Hengda Machinery', amount: '80000' });
		await cardIn(lead, 'Factory retrofit').getByTestId('card-title').click();
		const drawer = page.getByTestId('opportunity-drawer');

		await drawer.getByLabel('Customer feedback').fill('Wants to see the plan next week');
		await drawer.getByRole('button', { name: 'Log a call' }).click();
		await expect(drawer.getByTestId('follow-up-done')).toContainText('Wants to see the plan next week');
		await drawer.getByLabel('When').fill('2031-03-05T10:00');
		await drawer.getByLabel('Expected result').fill('Budget confirmed');
		await drawer.getByRole('button', { name: 'Plan follow-up' }).click();
		await expect(drawer.getByTestId('follow-up-planned')).toContainText('Budget confirmed');
		await expect(cardIn(lead, 'Factory retrofit').getByTestId('follow-up-signal')).toHaveAttribute('data-signal', 'planned');

		await drawer.getByRole('button', { name: 'Mark as lost' }).click();
		const dialog = page.getByTestId('required-fields-dialog');
		await expect(dialog.getByRole('heading')).toHaveText('Why was it lost?');
		await dialog.getByRole('button', { name: 'Save and move' }).click();
		await expect(dialog).toBeVisible();
		await dialog.getByLabel('Lost reason').selectOption({ index: 1 });
		await dialog.getByRole('button', { name: 'Save and move' }).click();
		await expect(drawer.getByTestId('panel-status')).toHaveText('Lost');

		await drawer.getByRole('button', { name: 'Close' }).click();
		await expect(cardIn(lost, 'Factory retrofit')).toBeVisible();
		await expect(lost.getByTestId('stage-count')).toHaveText('1');
		await expect(lead.getByTestId('stage-count')).toHaveText('0');
		await expect(page.getByTestId('summary-open-count')).toHaveText('0');
	});

	test('the drawer edits the customer, key contacts, product lines, needs and probability', async ({ page, request, baseURL }) => {
		await openBoard(page, request, baseURL!, { label: 'drawer' });
		const lead = columns(page).nth(0);
		await quickAdd(page, lead, { title: 'Warehouse racking' });
		await cardIn(lead, 'Warehouse racking').getByTestId('card-title').click();
		const drawer = page.getByTestId('opportunity-drawer');
		await expect(drawer.getByTestId('panel-title')).toHaveText('Warehouse racking');

		await drawer.getByLabel('Customer', { exact: true }).fill('Ningbo Port Logistics');
		await drawer.getByLabel('Win probability (%)').fill('150');
		await drawer.getByLabel('Customer needs').fill('Racking for three halls');
		await drawer.getByRole('button', { name: 'Add a product' }).click();
		const line = drawer.getByTestId('product-line');
		await line.getByLabel('Quantity').fill('2');
		await line.getByLabel(/^Unit price/).fill('2500');
		await expect(drawer.getByTestId('lines-total')).toContainText('5,000');

		await drawer.getByRole('button', { name: 'New contact' }).click();
		await drawer.getByRole('button', { name: 'Add contact' }).click();
		await expect(drawer.getByRole('group', { name: 'New contact' }).getByText('This field is required.')).toBeVisible();
		await drawer.getByLabel('Name', { exact: true }).fill('Chen Li');
		await drawer.getByLabel('Role', { exact: true }).fill('Buyer');
		await drawer.getByLabel('Phone').fill('+86 138 0000 0000');
		await drawer.getByRole('button', { name: 'Add contact' }).click();
		await expect(drawer.getByTestId('key-contact')).toContainText('Chen Li');
		await expect(drawer.getByTestId('key-contact').getByRole('radio', { name: 'Primary' })).toBeChecked();

		// A probability above 100 is refused next to its field; nothing is sent.
		await drawer.getByRole('button', { name: 'Save changes' }).click();
		await expect(drawer.getByText('Use a whole number from 0 to 100.')).toBeVisible();
		await drawer.getByLabel('Win probability (%)').fill('35');
		await drawer.getByRole('button', { name: 'Save changes' }).click();
		await expect(drawer.getByText('Saved.')).toBeVisible();

		// The amount followed the lines (it was not typed), and the card shows the new customer.
		const card = cardIn(lead, 'Warehouse racking');
		await expect(card.getByTestId('card-amount')).toContainText('5,000');
		await expect(card).toContainText('Ningbo Port Logistics');
		await expect(lead.getByTestId('stage-amount')).toContainText('5,000');

		// All of it was stored: a fresh page shows it again.
		await page.reload();
		await cardIn(columns(page).nth(0), 'Warehouse racking').getByTestId('card-title').click();
		const again = page.getByTestId('opportunity-drawer');
		await expect(again.getByLabel('Customer', { exact: true })).toHaveValue('Ningbo Port Logistics');
		await expect(again.getByLabel('Win probability (%)')).toHaveValue('35');
		await expect(again.getByLabel('Customer needs')).toHaveValue('Racking for three halls');
		await expect(again.getByTestId('product-line')).toHaveCount(1);
		await expect(again.getByTestId('product-line').getByLabel('Quantity')).toHaveValue('2');
		await expect(again.getByTestId('key-contact')).toContainText('Chen Li');
		await expect(again.getByLabel('Role of Chen Li')).toHaveValue('Buyer');

		// Removing the line and the contact is saved too.
		await again.getByRole('button', { name: 'Remove line 1' }).click();
		await again.getByRole('button', { name: 'Remove Chen Li' }).click();
		await again.getByRole('button', { name: 'Save changes' }).click();
		await expect(again.getByText('Saved.')).toBeVisible();
		await page.reload();
		await cardIn(columns(page).nth(0), 'Warehouse racking').getByTestId('card-title').click();
		await expect(page.getByTestId('opportunity-drawer').getByText('No products yet.')).toBeVisible();
		await expect(page.getByTestId('opportunity-drawer').getByText('No key contacts yet.')).toBeVisible();
	});
});


const ZH_QUICK_ADD = { title: '商机名称', account: /客户名称/, amount: /^金额/, save: '添加' };

test.describe('看板（中文）', () => {
	test.use({ locale: 'zh-CN' });

	test('记录跟进、安排下次跟进，并以输单原因标记输单', async ({ page, request, baseURL }) => {
		await openBoard(page, request, baseURL!, { label: 'zh', locale: 'zh-CN' });
		const lead = columns(page).nth(0);
		const lost = columns(page).last();
		await quickAdd(page, lead, { title: '厂房改造', account: '恒达机械', amount: '80000' }, ZH_QUICK_ADD);
		await expect(cardIn(lead, '厂房改造').getByTestId('follow-up-signal')).toHaveAttribute('data-signal', 'none');

		await cardIn(lead, '厂房改造').getByTestId('card-title').click();
		const drawer = page.getByTestId('opportunity-drawer');
		await expect(drawer.getByTestId('panel-title')).toHaveText('厂房改造');

		await drawer.getByLabel('客户反馈').fill('客户希望下周看方案');
		await drawer.getByRole('button', { name: '记录电话' }).click();
		await expect(drawer.getByTestId('follow-up-done')).toContainText('客户希望下周看方案');

		await drawer.getByLabel('时间').fill('2031-03-05T10:00');
		await drawer.getByLabel('预期结果').fill('确认预算');
		await drawer.getByRole('button', { name: '安排跟进' }).click();
		await expect(drawer.getByTestId('follow-up-planned')).toContainText('确认预算');
		await expect(cardIn(lead, '厂房改造').getByTestId('follow-up-signal')).toHaveAttribute('data-signal', 'planned');

		// Completing the plan turns it into a record.
		await drawer.getByRole('button', { name: '标记为已完成…' }).click();
		await drawer.getByTestId('follow-up-planned').getByLabel('跟进结果').fill('预算已确认');
		await drawer.getByRole('button', { name: '完成', exact: true }).click();
		await expect(drawer.getByTestId('follow-up-planned')).toHaveCount(0);
		await expect(drawer.getByTestId('follow-up-done')).toHaveCount(2);
		await expect(cardIn(lead, '厂房改造').getByTestId('follow-up-signal')).toHaveAttribute('data-signal', 'none');

		await drawer.getByRole('button', { name: '标记为输单' }).click();
		const dialog = page.getByTestId('required-fields-dialog');
		await expect(dialog.getByRole('heading')).toHaveText('输单原因是什么？');
		await dialog.getByLabel('输单原因').selectOption({ index: 1 });
		await dialog.getByRole('button', { name: '保存并移动' }).click();
		await expect(drawer.getByTestId('panel-status')).toHaveText('输单');

		await drawer.getByRole('button', { name: '关闭' }).click();
		await expect(cardIn(lost, '厂房改造')).toBeVisible();
		await expect(lost.getByTestId('stage-count')).toHaveText('1');
		await expect(lead.getByTestId('stage-count')).toHaveText('0');
		await expect(page.getByTestId('summary-open-count')).toHaveText('0');
	});
	test('用鼠标拖到下一阶段，用键盘移动并按提示补填金额，数量与金额随之更新', async ({ page, request, baseURL }) => {
		await openBoard(page, request, baseURL!, { label: 'zh-move', locale: 'zh-CN' });
		const [lead, qualified, proposal] = [columns(page).nth(0), columns(page).nth(1), columns(page).nth(2)];
		await quickAdd(page, lead, { title: '包装产线', account: '苏州恒达', amount: '12800' }, ZH_QUICK_ADD);
		await expect(lead.getByTestId('stage-amount')).toContainText('12,800');

		await drag(page, cardIn(lead, '包装产线'), qualified);
		await expect(cardIn(qualified, '包装产线')).toBeVisible();
		await expect(qualified.getByTestId('stage-count')).toHaveText('1');
		await expect(lead.getByTestId('stage-count')).toHaveText('0');
		await expect(qualified.getByTestId('stage-amount')).toContainText('12,800');

		await quickAdd(page, qualified, { title: 'ERP 实施' }, ZH_QUICK_ADD);
		const announcer = page.getByTestId('board-announcer');
		await cardIn(qualified, 'ERP 实施').focus();
		await page.keyboard.press('Space');
		await expect(announcer).toContainText('已拿起“ERP 实施”。');
		await page.keyboard.press('ArrowRight');
		await expect(announcer).toContainText('“方案/报价”列，第 1 个，共 1 个。');
		await page.keyboard.press('Space');

		const dialog = page.getByTestId('required-fields-dialog');
		await expect(dialog.getByRole('heading')).toHaveText('进入“方案/报价”还需要填写以下信息');
		await dialog.getByRole('button', { name: '保存并移动' }).click();
		await expect(dialog.getByText('请输入大于或等于 0 的金额。')).toBeVisible();
		await dialog.getByLabel(/金额/).fill('5000');
		await dialog.getByRole('button', { name: '保存并移动' }).click();

		await expect(cardIn(proposal, 'ERP 实施')).toBeVisible();
		await expect(proposal.getByTestId('stage-count')).toHaveText('1');
		await expect(proposal.getByTestId('stage-amount')).toContainText('5,000');
		await expect(qualified.getByTestId('stage-count')).toHaveText('1');
		await expect(page.getByTestId('summary-open-count')).toHaveText('2');
	});
});

test.describe('on a 360 px phone', () => {
	test.use({ locale: 'zh-CN', viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });

	test('a card moves in two taps and a follow-up is logged in two taps', async ({ page, request, baseURL }) => {
		await openBoard(page, request, baseURL!, { label: 'phone', locale: 'zh-CN' });
		const lead = columns(page).nth(0);
		const qualified = columns(page).nth(1);
		await quickAdd(page, lead, { title: '展厅灯光', amount: '6000' }, ZH_QUICK_ADD);

		await cardIn(lead, '展厅灯光').getByTestId('card-move').tap();
		await page.getByTestId('move-dialog').getByRole('button', { name: '意向确认' }).tap();
		await expect(qualified.getByTestId('stage-count')).toHaveText('1');
		await expect(lead.getByTestId('stage-count')).toHaveText('0');

		// The stage strip brings the column into view.
		await page.getByTestId('stage-strip-item').nth(1).tap();
		await expect(cardIn(qualified, '展厅灯光')).toBeInViewport();

		await cardIn(qualified, '展厅灯光').getByTestId('card-title').tap();
		const drawer = page.getByTestId('opportunity-drawer');
		await drawer.getByRole('button', { name: '记录微信沟通' }).tap();
		await expect(drawer.getByTestId('follow-up-done')).toContainText('微信');
	});
});

test.describe('the list view and long columns', () => {
	test.use({ locale: 'en-US' });

	test('lists opportunities with a totals row and opens one on its own page', async ({ page, request, baseURL }) => {
		await openBoard(page, request, baseURL!, { label: 'list' });
		const lead = columns(page).nth(0);
		await quickAdd(page, lead, { title: 'Dock levellers', amount: '2000' });
		await quickAdd(page, lead, { title: 'Canteen fit-out', amount: '3000' });

		await page.getByRole('link', { name: 'List view' }).click();
		const table = page.getByTestId('opportunity-table');
		await expect(table.locator('tbody tr')).toHaveCount(2);
		await expect(page.getByTestId('list-total')).toContainText('5,000');
		await table.getByRole('button', { name: /Amount/ }).click();
		await expect(page).toHaveURL(/sort=amount/);
		await expect(table.locator('tbody tr').first()).toContainText('Canteen fit-out');

		await table.getByRole('link', { name: 'Dock levellers' }).click();
		await expect(page.getByTestId('panel-title')).toHaveText('Dock levellers');
		await expect(page.getByTestId('stage-history')).toContainText('Lead');

		// Editing: a required field is checked before saving; a valid change is saved with its version.
		await page.getByLabel('Title', { exact: true }).fill('');
		await page.getByRole('button', { name: 'Save changes' }).click();
		await expect(page.getByText('This field is required.')).toBeVisible();
		await page.getByLabel('Title', { exact: true }).fill('Dock levellers (4 bays)');
		await page.getByLabel(/^Amount/).fill('2500');
		await page.getByRole('button', { name: 'Save changes' }).click();
		await expect(page.getByText('Saved.')).toBeVisible();
		await expect(page.getByTestId('panel-title')).toHaveText('Dock levellers (4 bays)');
	});

	test('a long column shows its first 50 cards and loads the rest on demand', async ({ page, request, baseURL }) => {
		const account = await createAccount(request, baseURL!, { sampleData: false, label: 'long' });
		await logIn(page, account);
		await expect(columns(page).first()).toBeVisible();
		const titles = Array.from({ length: 53 }, (_, index) => `Bulk ${String(index + 1).padStart(2, '0')}`);
		// One at a time: concurrent creates at the end of one column can exhaust the API's position retries (500).
		for (const title of titles) {
			const response = await page.request.post(`/api/t/${account.slug}/opportunities`, { headers: { origin: baseURL! }, data: { title, amount: 100 } });
			expect(response.status()).toBe(201);
		}
		await page.reload();
		const lead = columns(page).nth(0);
		await expect(lead.getByTestId('stage-count')).toHaveText('53');
		await expect(lead.locator('li[data-item-id]')).toHaveCount(50);
		await lead.getByTestId('load-more').click();
		await expect(lead.locator('li[data-item-id]')).toHaveCount(53);
		await expect(lead.getByTestId('load-more')).toHaveCount(0);
	});
});

test.describe('on a touch tablet', () => {
	test.use({ locale: 'en-US', viewport: { width: 900, height: 800 }, hasTouch: true, isMobile: true });

	test('a long press drags a card to the next stage with the finger', async ({ page, request, baseURL }) => {
		await openBoard(page, request, baseURL!, { label: 'touch' });
		const [lead, qualified] = [columns(page).nth(0), columns(page).nth(1)];
		await quickAdd(page, lead, { title: 'Kiosk screens', amount: '700' });
		const card = cardIn(lead, 'Kiosk screens');
		const id = await card.getAttribute('data-item-id');
		const from = (await card.getByTestId('card-amount').boundingBox())!;
		const to = (await qualified.getByTestId('column-cards').boundingBox())!;

		// Chromium's DevTools protocol sends real touch events (Playwright only taps).
		const cdp = await page.context().newCDPSession(page);
		const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number, y: number) =>
			cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
		const [x0, y0] = [from.x + from.width / 2, from.y + from.height / 2];
		const [x1, y1] = [to.x + to.width / 2, to.y + Math.min(to.height / 2, 30)];
		await touch('touchStart', x0, y0);
		await page.waitForTimeout(450); // the long press that tells a drag from a scroll
		for (let step = 1; step <= 12; step += 1) await touch('touchMove', x0 + ((x1 - x0) * step) / 12, y0 + ((y1 - y0) * step) / 12);
		await expect(qualified.locator(`li[data-item-id="${id}"]`)).toHaveCount(1);
		await touch('touchEnd', x1, y1);

		await expect(cardIn(qualified, 'Kiosk screens')).toBeVisible();
		await expect(qualified.getByTestId('stage-count')).toHaveText('1');
		await expect(lead.getByTestId('stage-count')).toHaveText('0');
	});
});
