// SvelteKit 3 reads its config from the plugin call (there is no svelte.config.js).
// The app is a static SPA: adapter-static writes web/build/, which wrangler serves as assets
// with the SPA fallback (wrangler.toml [assets]).
import adapter from '@sveltejs/adapter-static';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// Absolute paths, so building from the repository root (`vite build --config web/vite.config.ts`)
// and from web/ give the same result: adapter-static resolves `pages` against the working directory.
const WEB_ROOT = new URL('.', import.meta.url).pathname;
const BUILD_DIR = `${WEB_ROOT}build`;

export default defineConfig({
	root: WEB_ROOT,
	plugins: [
		sveltekit({
			adapter: adapter({ pages: BUILD_DIR, assets: BUILD_DIR, fallback: 'index.html', strict: true }),
		}),
	],
	build: {
		// The reports page's ECharts chunk (line, bar, funnel, SVG renderer: ~570 kB, ~190 kB gzip) is
		// loaded only by that page (dynamic import); everything else stays far below this.
		chunkSizeWarningLimit: 600,
	},
	server: {
		// `vite dev` on its own: send /api to a running `wrangler dev` (npx wrangler dev, port 8787).
		proxy: { '/api': 'http://localhost:8787' },
	},
});
