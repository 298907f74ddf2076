// The reports page in Chromium against the real API: a sample workspace (a year of generated
// history, its last 90 days recomputed on request) renders every chart and table with real
// names, follows the pipeline and range pickers, and downloads CSV; a fresh empty workspace shows
// the "no snapshot yet" state and computes on demand.
import { readFile } from 'node:fs/promises';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { PASSWORD, createAccount, logIn, uniqueEmail, type Account } from './helpers';

interface Pipeline {
	id: string;
	name: string;
	stages: { id: string; name: string; kind: string }[];
}
interface Catalog {
	members: { id: string; name: string }[];
}

const SECTIONS = ['funnel', 'trend', 'breakdown', 'win-rate', 'follow-up', 'forecast', 'accuracy', 'probabilities'];
const RANGE_DAYS = 90;

/** Yesterday in the workspace's time zone (the accounts are created in Asia/Shanghai). */
function yesterdayInShanghai(): string {
	const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
	return new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

function daysBefore(date: string, days: number): string {
	return new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Asks for the last 90 days (as "Compute now" does; the e2e server turns off the recompute a sample
 * signup starts by itself) and waits until each day has its snapshot.
 */
async function waitForSnapshots(request: APIRequestContext, slug: string, origin: string) {
	const to = yesterdayInShanghai();
	const from = daysBefore(to, RANGE_DAYS - 1);
	const job = await request.post(`/api/t/${slug}/stats/recompute`, { data: { from, to }, headers: { origin } });
	expect(job.status()).toBe(202);
	await expect
		.poll(
			async () => {
				const response = await request.get(`/api/t/${slug}/stats/series?metric=openCount&from=${from}&to=${to}`);
				return response.ok() ? ((await response.json()) as { points: unknown[] }).points.length : -response.status();
			},
			{ timeout: 150_000, intervals: [1_000, 2_000, 3_000] },
		)
		.toBe(RANGE_DAYS);
}

async function rowTexts(page: Page, table: string): Promise<string[]> {
	return page.getByTestId(`table-${table}`).locator('tbody tr').allTextContents();
}

async function firstColumn(page: Page, table: string): Promise<string[]> {
	return page.getByTestId(`table-${table}`).locator('tbody tr > th').allTextContents();
}

async function openReports(page: Page, account: Account, locale: 'en' | 'zh-CN') {
	await page.addInitScript((value) => localStorage.setItem('jihui.locale', value), locale);
	await logIn(page, account);
	await page.waitForURL(/\/board\//);
	await page.getByTestId('nav-reports').click();
	await page.waitForURL(new RegExp(`/${account.slug}/reports$`));
}

test.describe('reports of a sample workspace', () => {
	// One workspace for the tests below: computing its 90 days is the slow part.
	test.describe.configure({ mode: 'serial', timeout: 240_000 });

	let account: Account;
	let pipelines: Pipeline[];
	let catalog: Catalog;

	test.beforeAll(async ({ browser, baseURL }) => {
		test.setTimeout(240_000);
		const context = await browser.newContext({ baseURL });
		account = await createAccount(context.request, baseURL!, { label: 'reports', locale: 'zh-CN' });
		pipelines = ((await (await context.request.get(`/api/t/${account.slug}/pipelines`)).json()) as { pipelines: Pipeline[] }).pipelines;
		catalog = (await (await context.request.get(`/api/t/${account.slug}/catalog`)).json()) as Catalog;
		expect(pipelines.length).toBeGreaterThan(1);
		await waitForSnapshots(context.request, account.slug, baseURL!);
		await context.close();
	});

	test('every section draws its chart and fills its table with names, in English', async ({ page }) => {
		await openReports(page, account, 'en');
		await expect(page.getByRole('heading', { level: 1, name: 'Reports' })).toBeVisible();
		for (const id of SECTIONS) {
			const section = page.getByTestId(`section-${id}`);
			await expect(section, id).toBeVisible();
			const charts = section.getByTestId('report-chart');
			expect(await charts.count(), `${id} has a chart`).toBeGreaterThan(0);
			for (const chart of await charts.all()) {
				await expect(chart, `${id} chart rendered`).toHaveAttribute('data-rendered', 'true');
				await expect(chart.locator('svg').first()).toBeAttached();
				expect(await chart.getAttribute('aria-label')).toBeTruthy();
			}
			for (const table of await section.locator('table').all()) {
				expect(await table.locator('thead th').count(), `${id} table has headers`).toBeGreaterThan(1);
				expect(await table.locator('tbody tr').count(), `${id} table has rows`).toBeGreaterThan(0);
			}
		}

		// Names, not ids: stages of the template, owners from the team.
		const stageNames = new Set(pipelines.flatMap((pipeline) => pipeline.stages.map((stage) => stage.name)));
		const memberNames = new Set(catalog.members.map((member) => member.name));
		const funnelKey = `funnel-${pipelines[0]!.id}`;
		const funnelStages = await firstColumn(page, funnelKey);
		expect(funnelStages.length).toBeGreaterThan(2);
		for (const name of funnelStages) expect(stageNames, name).toContain(name);
		const owners = await firstColumn(page, 'by-owner');
		expect(owners.length).toBeGreaterThan(1);
		for (const name of owners) expect(memberNames, name).toContain(name);
		for (const name of await firstColumn(page, 'followup-owner')) expect(memberNames, name).toContain(name);
		expect((await firstColumn(page, 'followup-channel')).some((name) => ['Call', 'Visit', 'Meeting', 'Email', 'WeChat', 'Other'].includes(name))).toBe(true);

		// Won history exists, so the win rate and the calibrated probabilities say something.
		await expect(page.getByTestId('tile-winRate90').locator('dd')).toHaveText(/\d+%/);
		await expect(page.getByTestId('probability-sentences').locator('li').first()).toHaveText(/you set \d+%, your history says \d+%/);
		await expect(page.getByTestId('backtest-coverage')).toHaveText(/\d+%/);
		// Money in the workspace currency (CNY for these accounts).
		await expect(page.getByTestId('tile-openAmount').locator('dd')).toHaveText(/CN¥|¥/);
	});

	test('the pipeline and the range change the figures', async ({ page }) => {
		await openReports(page, account, 'en');
		await expect(page.getByTestId('section-funnel').getByTestId('report-chart').first()).toHaveAttribute('data-rendered', 'true');
		const allOpen = await page.getByTestId('tile-openCount').locator('dd').textContent();
		// All pipelines: one funnel per pipeline.
		await expect(page.getByTestId('section-funnel').locator('[data-testid^="view-funnel-"]')).toHaveCount(pipelines.length);

		const second = pipelines[1]!;
		await page.getByTestId('reports-pipeline').selectOption(second.id);
		await expect(page.getByTestId('section-funnel').locator('[data-testid^="view-funnel-"]')).toHaveCount(1);
		const secondStages = new Set(second.stages.map((stage) => stage.name));
		const shown = await firstColumn(page, `funnel-${second.id}`);
		expect(shown.length).toBeGreaterThan(1);
		for (const name of shown) expect(secondStages, name).toContain(name);
		await expect(page.getByTestId('tile-openCount').locator('dd')).not.toHaveText(allOpen ?? '');

		// 90 days (the default) → 30 days: the trend table follows, one row per day.
		await expect(page.getByTestId('range-90')).toHaveAttribute('aria-pressed', 'true');
		await expect(page.getByTestId('table-trend').locator('tbody tr')).toHaveCount(RANGE_DAYS, { timeout: 20_000 });
		const before = await rowTexts(page, 'trend');
		await page.getByTestId('range-30').click();
		await expect(page.getByTestId('table-trend').locator('tbody tr')).toHaveCount(30);
		expect(await rowTexts(page, 'trend')).toEqual(before.slice(-30));
		await expect(page.getByTestId('section-trend').getByTestId('report-chart')).toHaveAttribute('data-rendered', 'true');

		// An earlier snapshot: the as-of line and the trend's last day follow the picked date.
		const asOf = await page.getByTestId('reports-as-of').textContent();
		const earlier = daysBefore(yesterdayInShanghai(), 45);
		await page.getByTestId('reports-date').fill(earlier);
		await expect(page.getByTestId('reports-as-of')).not.toHaveText(asOf ?? '');
		await expect(page.getByTestId('reports-date')).toHaveValue(earlier);
		await expect(page.getByTestId('table-trend').locator('tbody tr')).toHaveCount(30);
		await expect(page.getByTestId('table-trend').locator('tbody tr').last().locator('th')).toHaveText(
			new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${earlier}T00:00:00Z`)),
		);
	});

	test('charts and CSV in Chinese: the owner table downloads with a BOM and Chinese headers', async ({ page }) => {
		await openReports(page, account, 'zh-CN');
		await expect(page.getByRole('heading', { level: 1, name: '报表' })).toBeVisible();
		await expect(page.getByTestId('nav-reports')).toHaveAttribute('aria-current', 'page');
		await expect(page.getByTestId('section-forecast').getByTestId('report-chart').first()).toHaveAttribute('data-rendered', 'true');
		await expect(page.getByTestId('probability-sentences').locator('li').first()).toHaveText(/你设置的是 \d+%，历史数据显示为 \d+%/);

		const owners = await firstColumn(page, 'by-owner');
		const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-by-owner').click()]);
		expect(download.suggestedFilename()).toMatch(/^by-owner-\d{4}-\d{2}-\d{2}\.csv$/);
		const bytes = await readFile((await download.path())!);
		// UTF-8 byte order mark first, so Excel reads the Chinese correctly.
		expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
		const lines = bytes.toString('utf8').slice(1).split('\r\n');
		expect(lines[0]).toBe('负责人,进行中,进行中金额 (CNY),加权金额 (CNY),本月赢单数,本月赢单金额 (CNY),近 90 天赢单率');
		expect(lines.at(-1)).toBe('');
		const rows = lines.slice(1, -1);
		expect(rows).toHaveLength(owners.length);
		// A row: the owner's name, then plain numbers (no currency signs or grouping).
		const first = rows[0]!.split(',');
		expect(first[0]).toBe(owners[0]);
		expect(first[1]).toMatch(/^\d+$/);
		expect(first[2]).toMatch(/^\d+(\.\d+)?$/);

		// The forecast table downloads too, one row per period.
		const [forecastCsv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-forecast-month').click()]);
		const forecastLines = (await readFile((await forecastCsv.path())!)).toString('utf8').slice(1).split('\r\n');
		expect(forecastLines[0]).toContain('P10 (CNY)');
		expect(forecastLines.slice(1, -1)).toHaveLength(2);
	});
});

test.describe('a workspace without statistics', () => {
	test('says statistics are computed every night, and an owner can compute them now', async ({ page, baseURL }) => {
		test.setTimeout(120_000);
		const account = await createAccount(page.request, baseURL!, { label: 'reports-empty', sampleData: false, locale: 'zh-CN' });
		await openReports(page, account, 'zh-CN');
		const notice = page.getByTestId('reports-no-snapshot');
		await expect(notice).toBeVisible();
		await expect(notice).toContainText('统计数据在每晚');
		await page.getByTestId('compute-now').click();
		// The workspace started today (Asia/Shanghai): no day of it has ended, so the job has
		// nothing to compute and the page says so instead of waiting forever.
		await expect(page.getByTestId('recompute-nothing')).toHaveText(/工作区的第一天还没有结束/);
		await expect(page.getByTestId('compute-now')).toBeHidden();
	});
});

test.describe('a workspace where members see only their own opportunities', () => {
	test('a member is told why reports are not for them', async ({ page, browser, baseURL }) => {
		const ownerContext = await browser.newContext({ baseURL });
		const owner = await createAccount(ownerContext.request, baseURL!, { label: 'reports-own-only', sampleData: false });
		const headers = { origin: baseURL! };
		expect((await ownerContext.request.patch(`/api/t/${owner.slug}/settings`, { headers, data: { membersSeeOwnOnly: true } })).status()).toBe(200);
		const email = uniqueEmail('reports-member');
		const invited = await ownerContext.request.post(`/api/t/${owner.slug}/invitations`, { headers, data: { email, role: 'member' } });
		expect(invited.status(), await invited.text()).toBe(201);
		const token = ((await invited.json()) as { acceptUrl: string }).acceptUrl.split('/invite/')[1]!;
		await ownerContext.close();

		// The member joins through the API in the page's own context, which keeps the session.
		const joined = await page.request.post(`/api/invitations/${token}/accept`, { headers, data: { name: 'Mia Member', password: PASSWORD } });
		expect(joined.status(), await joined.text()).toBeLessThan(300);
		await page.addInitScript(() => localStorage.setItem('jihui.locale', 'en'));
		await page.goto(`/${owner.slug}/reports`);
		await expect(page.getByTestId('reports-restricted')).toContainText('members see only their own opportunities');
		await expect(page.getByTestId('section-funnel')).toHaveCount(0);
	});
});
