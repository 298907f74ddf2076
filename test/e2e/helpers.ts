// Shared setup for the browser tests: unique accounts created straight through the API (fast),
// and the template list the gallery is built from.
import type { APIRequestContext, Page } from '@playwright/test';
import { expect } from '@playwright/test';

export const PASSWORD = 'correct horse battery';

type Text = { 'zh-CN': string; en: string };
export interface TemplateSummary {
	id: string;
	name: Text;
	hasSampleData: boolean;
	pipelines: { key: string; name: Text; stages: { key: string; name: Text; probability: number; kind: 'open' | 'won' | 'lost' }[] }[];
}

let counter = 0;

/** An email no other test (or earlier run against a reused server) has used. */
export function uniqueEmail(label: string): string {
	counter += 1;
	return `${label}-${Date.now().toString(36)}-${counter}-${crypto.randomUUID().slice(0, 8)}@e2e.jihui.test`;
}

export async function fetchTemplates(request: APIRequestContext): Promise<TemplateSummary[]> {
	const response = await request.get('/api/templates');
	expect(response.status()).toBe(200);
	return ((await response.json()) as { templates: TemplateSummary[] }).templates;
}

export interface Account {
	email: string;
	password: string;
	name: string;
	slug: string;
}

/**
 * Signs up through the API. Mutations must prove they are same-origin; a browser sends
 * Sec-Fetch-Site itself, the API client here sends Origin.
 */
export async function createAccount(
	request: APIRequestContext,
	baseURL: string,
	{ template = 'b2b-general', locale = 'en', label = 'user', sampleData = true }: { template?: string; locale?: 'en' | 'zh-CN'; label?: string; sampleData?: boolean } = {},
): Promise<Account> {
	const email = uniqueEmail(label);
	const name = 'E2E Tester';
	// Each account comes from its own (made-up) address: the suite signs up more workspaces than
	// one address may per hour. wrangler dev passes CF-Connecting-IP through; Cloudflare's edge
	// overwrites it, so this does not bypass the limit in production.
	const address = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
	const response = await request.post('/api/auth/signup', {
		headers: { origin: baseURL, 'cf-connecting-ip': address },
		data: { email, password: PASSWORD, name, workspaceName: `E2E ${label}`, template, locale, timezone: 'Asia/Shanghai', sampleData },
	});
	expect(response.status(), await response.text()).toBe(201);
	const body = (await response.json()) as { tenant: { slug: string } };
	return { email, password: PASSWORD, name, slug: body.tenant.slug };
}

export async function logIn(page: Page, account: { email: string; password: string }) {
	await page.goto('/login');
	await page.locator('#login-email').fill(account.email);
	await page.locator('#login-password').fill(account.password);
	await page.locator('form button[type="submit"]').click();
}

/** Width of the whole document: wider than the viewport means the page scrolls sideways. */
export function pageScrollWidth(page: Page): Promise<number> {
	// A string expression: this file is also type-checked without the DOM lib (root tsconfig).
	return page.evaluate<number>('document.documentElement.scrollWidth');
}
