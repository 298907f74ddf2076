// The Worker: HTTP (API + SPA assets), the hourly scheduler and the queue consumers (nightly, imports).
import { app } from './app';
import { IMPORT_DEAD_LETTER_QUEUE, IMPORT_QUEUE, processImportBatch } from './jobs/imports';
import { processNightlyBatch } from './jobs/nightly';
import { scheduleNightly } from './jobs/schedule';

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    // The API docs page is a page of the SPA (web/src/routes/api/docs) that renders
    // /api/openapi.json: served from our own assets, no CDN, like every other page.
    if (pathname === '/api/docs' || pathname === '/api/docs/') return env.ASSETS.fetch(new Request(new URL('/', request.url), { headers: request.headers }));
    if (pathname.startsWith('/api/') || pathname === '/api') return app.fetch(request, env, ctx);
    return env.ASSETS.fetch(request);
  },
  async scheduled(controller, env, _ctx) {
    const result = await scheduleNightly(env, controller.scheduledTime);
    console.log(JSON.stringify({ level: 'info', job: 'schedule', ...result }));
  },
  async queue(batch, env, _ctx) {
    // Dispatch by queue name: imports (and their dead letters), else the nightly statistics.
    if (batch.queue === IMPORT_QUEUE || batch.queue === IMPORT_DEAD_LETTER_QUEUE) return processImportBatch(batch, env);
    await processNightlyBatch(batch, env, Date.now());
  },
} satisfies ExportedHandler<Env, unknown>;
