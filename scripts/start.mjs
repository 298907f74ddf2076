#!/usr/bin/env node
// `npm start`: build the SPA, apply migrations to the local D1, serve everything through
// `wrangler dev` on http://localhost:8787 and make sure a demo workspace exists (through the
// real signup API, so the demo is exactly what a user gets). Prints the demo log-in.
import { spawn, spawnSync } from 'node:child_process';

const PORT = Number(process.env.PORT ?? 8787);
const ORIGIN = `http://localhost:${PORT}`;
const DEMO = {
  email: process.env.DEMO_EMAIL ?? 'demo@example.com',
  password: process.env.DEMO_PASSWORD ?? 'jihui-demo-2026',
  name: process.env.DEMO_LOCALE === 'en' ? 'Demo Owner' : '演示账号',
  workspaceName: process.env.DEMO_LOCALE === 'en' ? 'Demo Trading Co' : '演示贸易有限公司',
  template: process.env.DEMO_TEMPLATE ?? 'b2b-general',
  locale: process.env.DEMO_LOCALE === 'en' ? 'en' : 'zh-CN',
  sampleData: true,
};

// Offline machines: without these, wrangler stalls on telemetry and cf.json look-ups.
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

/** @param {string} label @param {string} command @param {string[]} args */
function run(label, command, args) {
  const started = Date.now();
  process.stdout.write(`▸ ${label}… `);
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) {
    process.stdout.write('failed\n');
    process.stderr.write(result.stdout + result.stderr);
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const started = Date.now();
run('Building the web app', 'npm', ['run', '--silent', 'build']);
run('Applying migrations to the local D1', npx, ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local']);

console.log(`▸ Starting wrangler dev on ${ORIGIN}`);
const server = spawn(npx, ['wrangler', 'dev', '--port', String(PORT), '--ip', '127.0.0.1', '--test-scheduled', '--show-interactive-dev-session=false'], {
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
});
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));

async function waitForHealth() {
  for (let i = 0; i < 240; i++) {
    try {
      const response = await fetch(`${ORIGIN}/api/health`);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('wrangler dev did not become healthy within 60 s');
}

async function ensureDemoWorkspace() {
  const response = await fetch(`${ORIGIN}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN },
    body: JSON.stringify(DEMO),
  });
  if (response.status === 201) return { created: true, slug: (await response.json()).tenant.slug };
  if (response.status === 409) return { created: false };
  throw new Error(`Creating the demo workspace failed: ${response.status} ${await response.text()}`);
}

try {
  await waitForHealth();
  const demo = await ensureDemoWorkspace();
  const line = '─'.repeat(60);
  console.log(`\n${line}\n  Jihui is running on ${ORIGIN}  (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`  Demo log-in: ${DEMO.email} / ${DEMO.password}${demo.created ? `  (workspace "${DEMO.workspaceName}" created)` : ''}`);
  console.log(`  Or sign up at ${ORIGIN}/signup.  Stop with Ctrl+C.\n${line}\n`);
} catch (error) {
  console.error(String(error));
  server.kill('SIGTERM');
  process.exit(1);
}
