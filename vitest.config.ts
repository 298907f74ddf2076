// Unit, API, job and isolation tests all run inside workerd (the Workers runtime) with a real
// local D1 and Queue, configured from wrangler.toml. Storage is isolated per test file.
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { unstable_readConfig } from 'wrangler';

// Offline machines: miniflare would otherwise try to fetch cf.json and stall.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
process.env.WRANGLER_SEND_METRICS ??= 'false';

export default defineConfig(async () => {
  const migrations = await readD1Migrations('db/migrations');
  const config = unstable_readConfig({ config: './wrangler.toml' });
  // The weak password parameters below are for the test servers only: never in wrangler.toml.
  if ('PASSWORD_KDF' in (config.vars ?? {})) throw new Error('wrangler.toml must not set PASSWORD_KDF (test servers only)');
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          // SAMPLE_STATS_DAYS 0: sample signups in the tests do not start a background recompute
          // (dozens of them would keep the local queue busy); test/api/stats.test.ts turns it on.
          // PASSWORD_KDF: cheap Argon2id parameters (worker/auth/password.ts) — sign-ups were most of the suite's time.
          bindings: { TEST_MIGRATIONS: migrations, NIGHTLY_RETRY_DELAY_SECONDS: '0', SAMPLE_STATS_DAYS: '0', PASSWORD_KDF: 'weak-for-tests-only', FUZZ_REQUESTS: process.env.FUZZ_REQUESTS ?? '10000', FUZZ_SEED: process.env.FUZZ_SEED ?? '20261207' },
          // wrangler.toml's consumers (retries, dead letter queue), without the wait for a batch to fill.
          queueConsumers: Object.fromEntries(
            (config.queues.consumers ?? []).map((c: { queue: string; max_batch_size?: number; max_retries?: number; dead_letter_queue?: string }) => [
              c.queue,
              { maxBatchSize: c.max_batch_size, maxBatchTimeout: 0, maxRetries: c.max_retries, deadLetterQueue: c.dead_letter_queue },
            ]),
          ),
        },
      }),
    ],
    test: {
      include: ['test/{unit,api,jobs,isolation,fuzz}/**/*.test.ts'],
      setupFiles: ['./test/helpers/apply-migrations.ts'],
      testTimeout: 30_000,
    },
  };
});
