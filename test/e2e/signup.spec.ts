import { expect, test } from '@playwright/test';
import { fetchTemplates, pageScrollWidth, PASSWORD, uniqueEmail } from './helpers';

test.describe('signing up', () => {
	test.use({ locale: 'zh-CN' });

	test('creates a workspace from a non-default template and lands on its board', async ({ page, request }) => {
		const templates = await fetchTemplates(request);
		const template = templates.find((candidate) => candidate.id === 'real-estate') ?? templates.find((candidate) => candidate.id !== templates[0]?.id);
		expect(template, 'needs at least two templates').toBeDefined();
		const pipeline = template!.pipelines[0]!;

		await page.goto('/signup');
		// navigator.language is zh-CN, so the UI starts in Chinese.
		await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
		await expect(page.getByRole('heading', { level: 1 })).toHaveText('搭建你的销售工作空间');

		await page.locator(`[data-testid="template-card"][data-template="${template!.id}"]`).click();
		await expect(page.getByTestId('template-preview')).toHaveAttribute('data-template', template!.id);

		await page.getByLabel('你的姓名').fill('王小明');
		await page.getByLabel('邮箱').fill(uniqueEmail('signup'));
		await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
		await page.getByLabel('工作空间名称').fill('安居地产');
		await expect(page.getByLabel('包含示例数据')).toBeChecked();
		await page.getByRole('button', { name: '创建工作空间' }).click();

		await expect(page).toHaveURL(/\/board\/[^/]+$/);
		await expect(page.getByTestId('pipeline-name')).toHaveText(pipeline.name['zh-CN']);
		const columns = page.getByTestId('board-column');
		await expect(columns.getByTestId('stage-name')).toHaveText(pipeline.stages.map((stage) => stage.name['zh-CN']));

		// The counts shown are the API's per-stage counts, and the sample data put opportunities in.
		const slug = new URL(page.url()).pathname.split('/')[1]!;
		const response = await page.request.get(`/api/t/${slug}/pipelines`);
		const { pipelines } = (await response.json()) as { pipelines: { stages: { count: number }[] }[] };
		const counts = pipelines[0]!.stages.map((stage) => String(stage.count));
		await expect(columns.getByTestId('stage-count')).toHaveText(counts);
		expect(pipelines[0]!.stages.reduce((sum, stage) => sum + stage.count, 0)).toBeGreaterThan(0);
	});

	test('shows client and server field errors next to their fields in the UI language', async ({ page }) => {
		await page.goto('/signup');
		await expect(page.getByTestId('template-card').first()).toBeVisible();
		await page.getByLabel('密码', { exact: true }).fill('short');
		await page.getByRole('button', { name: '创建工作空间' }).click();
		await expect(page.getByText('至少需要 8 个字符。')).toBeVisible();
		await expect(page.getByLabel('你的姓名')).toBeFocused();
		await expect(page.getByRole('button', { name: '创建工作空间' })).toBeEnabled();

		// A rule only the server knows (common passwords) comes back next to its field, translated.
		await page.getByLabel('你的姓名').fill('王小明');
		await page.getByLabel('邮箱').fill(uniqueEmail('common'));
		await page.getByLabel('密码', { exact: true }).fill('password123');
		await page.getByLabel('工作空间名称').fill('小明工作室');
		await page.getByRole('button', { name: '创建工作空间' }).click();
		await expect(page.locator('#signup-password-error')).toHaveText('这个密码太容易被猜到，请换一个。');
		await expect(page.getByTestId('form-error')).toHaveText('请修改标出的字段。');
		await expect(page.getByLabel('密码', { exact: true })).toBeFocused();
	});
});

test('every template card previews its own pipelines and stages', async ({ page, request }) => {
	const templates = await fetchTemplates(request);
	expect(templates.length).toBeGreaterThan(0);
	await page.goto('/signup');
	const cards = page.getByTestId('template-card');
	await expect(cards).toHaveCount(templates.length);
	const preview = page.getByTestId('template-preview');

	for (const template of templates) {
		const card = page.locator(`[data-testid="template-card"][data-template="${template.id}"]`);
		await expect(card).toContainText(template.name.en);
		await card.click();
		await expect(card.locator('input[type="radio"]')).toBeChecked();
		await expect(preview).toHaveAttribute('data-template', template.id);
		const stageNames = template.pipelines.flatMap((pipeline) => pipeline.stages.map((stage) => stage.name.en));
		await expect(preview.getByTestId('preview-stage').locator('.stage-name')).toHaveText(stageNames);
		for (const pipeline of template.pipelines) await expect(preview).toContainText(pipeline.name.en);
	}
});

test.describe('on a 360 px phone', () => {
	test.use({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', hasTouch: true, isMobile: true });

	test('the signup page does not scroll sideways', async ({ page }) => {
		await page.goto('/signup');
		await expect(page.getByTestId('template-preview')).toBeVisible();
		expect(await pageScrollWidth(page)).toBeLessThanOrEqual(360);
	});
});
