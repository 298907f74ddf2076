// CSV import in Chromium against the real API and its queue: a messy file (Chinese and English
// headers, UTF-8 with BOM, a bad date, a row without a title, currency amounts, a "赢单" status) is
// uploaded, one mapping fixed by hand, the preview's row errors seen, the import run with its
// progress polled to the end; the board, the team page and the reports show the imported data; the
// error CSV holds the row not imported; an export of the opportunities imports back as updates.
// Then the main flow in Chinese with a GBK file (as Chinese Excel saves it) at 360 px, and undo;
// and a customers (accounts) file, whose fields differ.
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { createAccount, logIn, pageScrollWidth } from './helpers';

// The import runs on wrangler dev's local queue: allow for its batching and the recompute after it.
const JOB_TIMEOUT = 90_000;

/** A calendar date `days` from today (UTC), as ISO. */
function day(days: number): string {
	return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** GBK bytes for a text, from the platform's own GBK decoder (Node has no GBK encoder). */
function encodeGbk(text: string): Uint8Array {
	const table = new Map<string, number[]>();
	const decoder = new TextDecoder('gbk');
	for (let lead = 0x81; lead <= 0xfe; lead++) {
		for (let trail = 0x40; trail <= 0xfe; trail++) {
			if (trail === 0x7f) continue;
			const char = decoder.decode(new Uint8Array([lead, trail]));
			if (char.length === 1 && char !== '\ufffd' && !table.has(char)) table.set(char, [lead, trail]);
		}
	}
	const bytes: number[] = [];
	for (const char of text) {
		const code = char.codePointAt(0)!;
		if (code < 0x80) bytes.push(code);
		else {
			const pair = table.get(char);
			if (!pair) throw new Error(`No GBK code for ${char}`);
			bytes.push(...pair);
		}
	}
	return new Uint8Array(bytes);
}

function csv(rows: string[][]): string {
	return rows.map((row) => row.map((cell) => (/[",\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(',')).join('\r\n') + '\r\n';
}

async function upload(page: Page, name: string, buffer: Buffer, entityLabel?: string) {
	if (entityLabel) await page.getByTestId('import-entity').selectOption({ label: entityLabel });
	await page.getByTestId('import-file').setInputFiles({ name, mimeType: 'text/csv', buffer });
	await expect(page.getByTestId('import-chosen')).toContainText(name);
	await page.getByTestId('import-read').click();
	await expect(page.getByTestId('import-mapping')).toBeVisible({ timeout: 20_000 });
}

const mappingSelect = (page: Page, column: string) => page.locator(`[data-testid="mapping-row"][data-column="${column}"]`).getByTestId('mapping-field');

/** From the mapping screen through the values screen (when there is one) to the preview. */
async function toPreview(page: Page) {
	await page.getByTestId('mapping-next').click();
	await expect(page.getByTestId('import-values').or(page.getByTestId('import-preview'))).toBeVisible({ timeout: 20_000 });
	if (await page.getByTestId('import-values').isVisible()) await page.getByTestId('values-next').click();
	await expect(page.getByTestId('import-preview')).toBeVisible({ timeout: 20_000 });
}

async function commitAndWait(page: Page) {
	await page.getByTestId('import-commit').click();
	await expect(page.getByTestId('import-run')).toBeVisible();
	await expect(page.getByTestId('import-summary')).toBeVisible({ timeout: JOB_TIMEOUT });
}

test.describe('CSV import', () => {
	test.describe.configure({ timeout: 300_000 });

	test('a messy file: fix a mapping, see row errors, import with progress, error CSV, export and re-import', async ({ page, request, baseURL }) => {
		const owner = await createAccount(request, baseURL!, { label: 'import-owner', sampleData: false });
		await logIn(page, owner);
		await expect(page).toHaveURL(new RegExp(`/${owner.slug}/board/`));

		// The empty board offers the import to an admin.
		await page.getByTestId('board-empty-import').click();
		await expect(page).toHaveURL(new RegExp(`/${owner.slug}/import$`));
		await expect(page.getByRole('heading', { name: 'Import data', level: 1 })).toBeVisible();
		await expect(page.getByTestId('history-empty')).toBeVisible();

		const header = ['机会名称', 'Company', '金额', 'Status', '阶段', '创建日期', 'Close Date', '负责人', 'Ref No.', '备注说明'];
		const rows = [
			['Acme rollout', 'Acme Ltd', '¥12,345.50', '赢单', '赢单', day(-80), day(-20), owner.name, 'R-1', 'Signed, "finally"'],
			['Beta pilot', 'Beta Co', '$1,000', 'open', 'Negociation', day(-40), day(30), '王小明', 'R-2', ''],
			['Gamma upgrade', 'Gamma Inc', '3,500', 'open', 'Lead', '2026-13-45', day(20), owner.name, 'R-3', 'bad created date'],
			['', 'Delta LLC', '500', 'open', 'Lead', day(-10), '', owner.name, 'R-4', 'no title'],
			['Epsilon deal', 'Epsilon', '¥8,000', 'Lost', 'Lost', day(-70), day(-30), '王小明', 'R-5', ''],
			['Zeta 二期', '智达科技', '￥20,000', 'open', 'Qualified', day(-15), day(45), owner.name, 'R-6', ''],
		];
		const file = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv([header, ...rows]), 'utf8')]);
		await upload(page, 'messy-deals.csv', file);

		// The suggestions: Chinese and English headers recognised; two columns left for us to map.
		await expect(mappingSelect(page, '机会名称')).toHaveValue('title');
		await expect(mappingSelect(page, '金额')).toHaveValue('amount');
		await expect(mappingSelect(page, 'Status')).toHaveValue('status');
		await expect(mappingSelect(page, '创建日期')).toHaveValue('createdAt');
		await expect(mappingSelect(page, 'Ref No.')).toHaveValue('');
		await expect(page.locator('[data-testid="mapping-row"][data-column="Company"]')).toContainText('Acme Ltd');
		// Date columns get a format picker.
		await expect(page.locator('[data-testid="mapping-row"][data-column="创建日期"]').getByTestId('mapping-date-format')).toHaveValue('iso');
		// Unmapping the title blocks the next step and says why; mapping it back unblocks it.
		await mappingSelect(page, '机会名称').selectOption('');
		await expect(page.getByTestId('mapping-required')).toContainText('Title');
		await expect(page.getByTestId('mapping-next')).toBeDisabled();
		await mappingSelect(page, '机会名称').selectOption('title');
		// Fix the mapping by hand: the reference becomes the external id (re-imports update), the remarks notes.
		await mappingSelect(page, 'Ref No.').selectOption('externalId');
		await mappingSelect(page, '备注说明').selectOption('notes');
		await page.getByTestId('mapping-next').click();

		// Values: "赢单" is the won stage, a misspelt stage is a near match, an unknown owner becomes pending.
		const values = page.getByTestId('import-values');
		await expect(values).toBeVisible({ timeout: 20_000 });
		const stageRow = (value: string) => values.locator(`[data-testid="value-group"][data-field="stage"] [data-testid="value-row"][data-value="${value}"]`);
		await expect(stageRow('Negociation').getByTestId('value-near')).toBeVisible();
		await expect(stageRow('Negociation').getByTestId('value-target').locator('option:checked')).toHaveText(/Negotiation$/);
		await expect(stageRow('赢单').getByTestId('value-target').locator('option:checked')).toHaveText(/Won$/);
		const pending = values.locator('[data-testid="value-group"][data-field="owner"] [data-testid="value-row"][data-value="王小明"]');
		await expect(pending.getByTestId('value-target')).toHaveValue('create');
		await page.getByTestId('values-next').click();

		// The preview: counts and the row problems, nothing written yet.
		const preview = page.getByTestId('import-preview');
		await expect(preview).toBeVisible({ timeout: 20_000 });
		await expect(page.getByTestId('preview-rows')).toHaveText('6');
		await expect(page.getByTestId('preview-create')).toHaveText('5');
		await expect(page.getByTestId('preview-update')).toHaveText('0');
		await expect(page.getByTestId('preview-skip')).toHaveText('1');
		await expect(page.getByTestId('preview-errors')).toHaveText('1');
		const missingTitle = page.locator('[data-testid="issue-row"][data-severity="error"]');
		await expect(missingTitle).toHaveCount(1);
		await expect(missingTitle).toHaveAttribute('data-row', '5');
		await expect(missingTitle).toContainText('Required value missing');
		const badDate = page.locator('[data-testid="issue-row"][data-severity="warning"]').filter({ hasText: '2026-13-45' });
		await expect(badDate).toHaveAttribute('data-row', '4');
		await expect(badDate).toContainText('创建日期');
		await expect(badDate).toContainText('Not a date in the chosen format');
		const beforeCommit = await page.request.get(`/api/t/${owner.slug}/opportunities?limit=100`);
		expect(((await beforeCommit.json()) as { opportunities: unknown[] }).opportunities).toHaveLength(0);

		// Import: the progress bar, polled until done, then the summary.
		const polls: { status: string; done: number; total: number }[] = [];
		page.on('response', (response) => {
			if (response.request().method() === 'GET' && /\/api\/t\/[^/]+\/imports\/[^/]+$/.test(new URL(response.url()).pathname)) {
				void response.json().then((body: { status: string; progress: { done: number; total: number } }) => polls.push({ status: body.status, ...body.progress }));
			}
		});
		await page.getByTestId('import-commit').click();
		await expect(page.getByTestId('import-run')).toBeVisible();
		await expect(page.getByTestId('import-summary')).toBeVisible({ timeout: JOB_TIMEOUT });
		await expect.poll(() => polls.at(-1)).toEqual({ status: 'done', done: 5, total: 5 });
		expect(polls.slice(0, -1).every((poll) => ['queued', 'running'].includes(poll.status))).toBe(true);
		await expect(page.getByTestId('import-summary-title')).toHaveText('Import finished');
		await expect(page.getByTestId('summary-rows')).toHaveText('6');
		await expect(page.getByTestId('summary-created')).toHaveText('5');
		await expect(page.getByTestId('summary-updated')).toHaveText('0');
		await expect(page.getByTestId('summary-skipped')).toHaveText('1');
		const historyRow = page.getByTestId('history-row').filter({ hasText: 'messy-deals.csv' });
		await expect(historyRow).toHaveAttribute('data-status', 'done');
		await expect(historyRow).toContainText(owner.name);
		await expect(historyRow.getByTestId('history-counts')).toHaveText('5 created · 0 updated · 1 skipped · 0 failed');

		// The error CSV: the original columns plus row and error, holding only the row not imported.
		const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('summary-download-errors').click()]);
		const errorCsv = await readFile((await download.path())!);
		expect([...errorCsv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
		const errorText = errorCsv.toString('utf8').slice(1);
		const [errorHeader, ...errorLines] = errorText.trim().split(/\r?\n/);
		expect(errorHeader).toContain('机会名称,Company,金额,Status');
		expect(errorHeader).toMatch(/\brow\b/);
		expect(errorHeader).toMatch(/\berror\b/);
		expect(errorText).toContain('Delta LLC');
		expect(errorText).not.toContain('Acme rollout');
		expect(errorLines.filter((line) => line.includes('Delta LLC'))).toHaveLength(1);

		// The board has the imported opportunities.
		await page.getByTestId('summary-board').click();
		await expect(page).toHaveURL(new RegExp(`/${owner.slug}/board/`));
		await expect(page.getByText('Beta pilot')).toBeVisible();
		await expect(page.getByText('Zeta 二期')).toBeVisible();
		await expect(page.getByTestId('board-empty')).toHaveCount(0);

		// The unknown owner is a pending member, to invite later.
		await page.goto(`/${owner.slug}/settings/members`);
		const pendingMember = page.getByTestId('pending-member').filter({ hasText: '王小明' });
		await expect(pendingMember).toContainText('Pending — invite later');
		await pendingMember.getByTestId('pending-invite').click();
		await expect(page.getByTestId('invite-for')).toContainText('王小明');
		await expect(page.locator('#invite-email')).toBeFocused();
		// Once the real person has joined, the pending member's work is handed over (here: to the owner).
		await pendingMember.getByTestId('pending-hand-over').click();
		const handOver = page.getByTestId('remove-dialog');
		await expect(handOver).toContainText('Hand over the work of 王小明?');
		await handOver.locator('#reassign-to').selectOption({ label: `${owner.name} · Owner` });
		await handOver.locator('button[type="submit"]').click();
		await expect(page.getByTestId('pending-members')).toHaveCount(0);
		const mine = await page.request.get(`/api/t/${owner.slug}/opportunities?limit=100&ownerId=me`);
		expect(((await mine.json()) as { opportunities: unknown[] }).opportunities).toHaveLength(5);

		// The reports fill from the imported history (the import recomputes its date range).
		await page.goto(`/${owner.slug}/reports`);
		await expect(async () => {
			await page.reload();
			await expect(page.getByTestId('tile-openCount').locator('dd')).toHaveText('2', { timeout: 5_000 });
		}).toPass({ timeout: JOB_TIMEOUT, intervals: [2_000, 3_000, 5_000] });

		// Export the opportunities and import that file back: updates, no duplicates.
		await page.goto(`/${owner.slug}/opportunities`);
		const [exported] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
		const exportedFile = await readFile((await exported.path())!);
		expect(exportedFile.toString('utf8')).toContain('Acme rollout');
		await page.goto(`/${owner.slug}/import`);
		await upload(page, 'opportunities-export.csv', exportedFile);
		await expect(mappingSelect(page, 'externalId')).toHaveValue('externalId');
		await expect(mappingSelect(page, 'title')).toHaveValue('title');
		await toPreview(page);
		await expect(page.getByTestId('preview-rows')).toHaveText('5');
		await expect(page.getByTestId('preview-create')).toHaveText('0');
		await expect(page.getByTestId('preview-update')).toHaveText('5');
		await expect(page.getByTestId('preview-errors')).toHaveText('0');
		await commitAndWait(page);
		await expect(page.getByTestId('summary-created')).toHaveText('0');
		await expect(page.getByTestId('summary-updated')).toHaveText('5');
		const after = await page.request.get(`/api/t/${owner.slug}/opportunities?limit=100`);
		const titles = ((await after.json()) as { opportunities: { title: string }[] }).opportunities.map((o) => o.title).sort();
		expect(titles).toEqual(['Acme rollout', 'Beta pilot', 'Epsilon deal', 'Gamma upgrade', 'Zeta 二期']);
	});

	test('in Chinese at 360 px: a GBK file from Excel, imported and undone', async ({ page, request, baseURL }) => {
		await page.setViewportSize({ width: 360, height: 740 });
		const owner = await createAccount(request, baseURL!, { label: 'import-zh', locale: 'zh-CN', sampleData: false });
		await page.addInitScript(() => localStorage.setItem('jihui.locale', 'zh-CN'));
		await logIn(page, owner);
		await expect(page).toHaveURL(new RegExp(`/${owner.slug}/board/`));

		// From settings: the nav links to the import page.
		await page.goto(`/${owner.slug}/settings`);
		await page.getByTestId('settings-import-link').click();
		await expect(page.getByRole('heading', { name: '导入数据', level: 1 })).toBeVisible();
		// The page belongs to the settings area: on a phone the board stays one tap away.
		await expect(page.getByTestId('settings-link')).toHaveAttribute('aria-current', 'page');
		await expect(page.getByTestId('nav-board')).toBeVisible();

		// A file that cannot be read is refused with a reason, in Chinese.
		await page.getByTestId('import-file').setInputFiles({ name: '空.csv', mimeType: 'text/csv', buffer: Buffer.alloc(0) });
		await page.getByTestId('import-read').click();
		await expect(page.getByTestId('import-error')).toHaveText('文件是空的。');
		await expect(page.getByTestId('import-upload')).toBeVisible();
		// A workbook is refused before any upload, saying how to turn it into a CSV.
		await page.getByTestId('import-file').setInputFiles({
			name: '商机.xlsx',
			mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
			buffer: Buffer.from('PK'),
		});
		await expect(page.locator('#import-file-error')).toHaveText('请选择 .csv 或 .txt 文件。Excel 或 WPS 表格（.xlsx、.xls）请先另存为 CSV。');

		const text = csv([
			['商机名称', '客户名称', '预计金额', '阶段', '负责人', '创建时间', '成交日期'],
			['华东区域扩容', '上海明达贸易有限公司', '￥58,000', '赢单', owner.name, day(-50), day(-5)],
			['新门店系统', '杭州云帆科技', '12,000元', '意向确认', owner.name, day(-20), ''],
			['年度维保续约', '南京恒信', '9,800', '潜在客户', owner.name, day(-3), ''],
		]);
		await upload(page, '商机导出.csv', Buffer.from(encodeGbk(text)), '机会');
		await expect(page.getByTestId('import-mapping')).toContainText('GB18030');
		await expect(mappingSelect(page, '商机名称')).toHaveValue('title');
		await expect(mappingSelect(page, '预计金额')).toHaveValue('amount');
		await expect(page.locator('[data-testid="mapping-row"][data-column="客户名称"]')).toContainText('上海明达贸易有限公司');
		expect(await pageScrollWidth(page)).toBeLessThanOrEqual(360);

		await toPreview(page);
		await expect(page.getByTestId('preview-create')).toHaveText('3');
		await expect(page.getByTestId('preview-no-issues')).toHaveText('没有发现问题：每一行都可以导入。');
		await expect(page.getByTestId('import-commit')).toHaveText(/导入 3 行/);
		expect(await pageScrollWidth(page)).toBeLessThanOrEqual(360);

		await commitAndWait(page);
		await expect(page.getByTestId('import-summary-title')).toHaveText('导入完成');
		await expect(page.getByTestId('summary-created')).toHaveText('3');
		const list = await page.request.get(`/api/t/${owner.slug}/opportunities?limit=100`);
		const imported = ((await list.json()) as { opportunities: { title: string; status: string }[] }).opportunities;
		expect(imported.map((o) => o.title).sort()).toEqual(['年度维保续约', '新门店系统', '华东区域扩容'].sort());
		expect(imported.find((o) => o.title === '华东区域扩容')?.status).toBe('won');
		expect(await pageScrollWidth(page)).toBeLessThanOrEqual(360);

		// Undo, after confirming: the three opportunities are gone again.
		const row = page.getByTestId('history-row').filter({ hasText: '商机导出.csv' });
		await expect(row.getByTestId('history-status')).toHaveText('已完成');
		// On a phone each history line is a card whose cells name their column.
		const statusLabel = await row.getByTestId('history-status').locator('xpath=..').evaluate((cell) => getComputedStyle(cell, '::before').content);
		expect(statusLabel).toBe('"状态: "');
		await row.getByTestId('history-undo').click();
		const dialog = page.getByTestId('undo-dialog');
		await expect(dialog).toContainText('撤销“商机导出.csv”的导入？');
		await dialog.getByTestId('undo-confirm').click();
		await expect(row.getByTestId('history-status')).toHaveText('已撤销', { timeout: JOB_TIMEOUT });
		await expect(page.getByTestId('history-notice')).toHaveText('“商机导出.csv”的导入已撤销。');
		const afterUndo = await page.request.get(`/api/t/${owner.slug}/opportunities?limit=100`);
		expect(((await afterUndo.json()) as { opportunities: unknown[] }).opportunities).toHaveLength(0);
	});

	test('customers: the entity picked on upload decides the fields', async ({ page, request, baseURL }) => {
		const owner = await createAccount(request, baseURL!, { label: 'import-accounts', sampleData: false });
		await logIn(page, owner);
		await expect(page).toHaveURL(new RegExp(`/${owner.slug}/board/`));
		await page.goto(`/${owner.slug}/import`);
		const text = csv([
			['公司名称', 'Industry', '城市', 'Phone', 'Website'],
			['北京星河科技有限公司', 'Software', '北京', '+86 10 8888 0000', 'https://xinghe.example'],
			['Acme Trading Ltd', 'Retail', 'Shanghai', '', ''],
		]);
		await upload(page, 'customers.csv', Buffer.from(text, 'utf8'), 'Customers (accounts)');
		// Customers have names, not titles: the field list is the accounts one.
		await expect(mappingSelect(page, '公司名称')).toHaveValue('name');
		await expect(mappingSelect(page, '公司名称').locator('option')).not.toContainText(['Title']);
		await expect(mappingSelect(page, '城市')).toHaveValue('city');
		await toPreview(page);
		await expect(page.getByTestId('preview-create')).toHaveText('2');
		await commitAndWait(page);
		await expect(page.getByTestId('summary-created')).toHaveText('2');
		// No board or reports links for customers.
		await expect(page.getByTestId('summary-board')).toHaveCount(0);
		const accounts = await page.request.get(`/api/t/${owner.slug}/accounts?q=${encodeURIComponent('星河')}`);
		const found = ((await accounts.json()) as { accounts: { name: string }[] }).accounts;
		expect(found.map((a) => a.name)).toEqual(['北京星河科技有限公司']);
		await expect(page.getByTestId('history-row').filter({ hasText: 'customers.csv' })).toContainText('Customers (accounts)');
	});
});
