// The Worker: HTTP (API + SPA assets), the hourly scheduler and the nightly queue consumer.
import { app } from './app';
import { processNightlyBatch } from './jobs/nightly';
import { scheduleNightly } from './jobs/schedule';

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith('/api/') || pathname === '/api') return app.fetch(request, env, ctx);
    return env.ASSETS.fetch(request);
  },
  async scheduled(controller, env, _ctx) {
    const result = await scheduleNightly(env, controller.scheduledTime);
    console.log(JSON.stringify({ level: 'info', job: 'schedule', ...result }));
  },
  async queue(batch, env, _ctx) {
    await processNightlyBatch(batch, env, Date.now());
  },
} satisfies ExportedHandler<Env, unknown>;
