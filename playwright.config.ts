// End-to-end tests: Debian's Chromium against `wrangler dev` serving the built SPA and the API,
// with its own local D1 state (.wrangler/e2e), rebuilt from the migrations on every run.
import { defineConfig, devices } from '@playwright/test';

const CI = Boolean(process.env.CI);

// E2E_PORT lets two checkouts run their browser tests side by side (each its own server and state).
const PORT = Number(process.env.E2E_PORT ?? 8788);
// localhost, not 127.0.0.1: Chromium treats http://localhost as a secure context, so the
// session cookie (Secure; SameSite=Lax) is kept.
const BASE_URL = `http://localhost:${PORT}`;
const E2E_STATE = `.wrangler/e2e-${PORT}`;
const WRANGLER_ENV = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

export default defineConfig({
	testDir: 'test/e2e',
	fullyParallel: true,
	forbidOnly: CI,
	retries: 0,
	timeout: 30_000,
	expect: { timeout: 10_000 },
	reporter: CI ? [['list'], ['html', { open: 'never' }]] : 'list',
	use: {
		baseURL: BASE_URL,
		trace: 'retain-on-failure',
		screenshot: 'only-on-failure',
	},
	projects: [
		{
			name: 'chromium',
			use: {
				...devices['Desktop Chrome'],
				browserName: 'chromium',
				launchOptions: {
					// Playwright cannot download browsers on these machines: use the system Chromium.
					executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
					args: [
						'--no-sandbox',
						'--disable-gpu',
						'--disable-background-networking',
						'--disable-component-update',
						'--disable-sync',
						'--no-first-run',
						'--disable-quic',
					],
				},
			},
		},
	],
	webServer: {
		// wrangler dev refuses to start without the assets directory, so build first; migrations go
		// to a fresh, separate state directory so runs never see each other's (or dev's) data.
		command: [
			`rm -rf ${E2E_STATE}`,
			'npx vite build --config web/vite.config.ts --logLevel warn',
			`npx wrangler d1 migrations apply DB --local --persist-to ${E2E_STATE}`,
			// SAMPLE_STATS_DAYS 0: the many sample signups of the suite do not each start a 90-day
			// recompute in the background (on 2 cores that slows every other test); the reports test
			// asks for its own recompute, and test/api/stats.test.ts covers the one after signup.
			`npx wrangler dev --port ${PORT} --ip 127.0.0.1 --persist-to ${E2E_STATE} --var SAMPLE_STATS_DAYS:0 --var PASSWORD_KDF:weak-for-tests-only --show-interactive-dev-session=false`,
		].join(' && '),
		url: `${BASE_URL}/api/health`,
		env: WRANGLER_ENV,
		reuseExistingServer: !CI,
		timeout: 120_000,
		stdout: 'ignore',
		stderr: 'pipe',
	},
});
