#!/usr/bin/env node
// `npm run bench`: the board endpoint against its floor, side by side in one run.
// 1. a fresh local D1 (own state dir), the Worker's deploy bundle served by workerd on :8790, a
//    workspace signed up through the API and 2,000 open opportunities seeded into it;
// 2. GET /board measured over HTTP on loopback, session and tenant lookup included;
// 3. the same repo code on the same SQLite file directly (test/bench/board-floor.ts).
// Prints p50/p95/p99 for both, their ratio, and the statements one board read runs.
//
// The Worker runs in Miniflare (workerd + its local D1, configured from wrangler.toml) rather
// than under `wrangler dev`: wrangler dev puts a proxy Worker in a second workerd in front of it
// and attaches its local-observability tail Worker, which records a trace of every request and
// D1 query to SQLite on disk: several ms a request that production does not pay.
// BENCH_WRANGLER_DEV=1 also measures the same requests through `wrangler dev`, for comparison.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { generateNKeysBetween } from 'fractional-indexing';
import { d1File, env, ms, npx, prepareState, startMiniflare, summary } from './bench-lib.mjs';

const PORT = 8790;
const ORIGIN = `http://127.0.0.1:${PORT}`;
const STATE = '.wrangler/bench';
const OPPORTUNITIES = Number(process.env.BENCH_OPPORTUNITIES ?? 2000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);

console.log('▸ building the web app and migrating a fresh local D1…');
prepareState(STATE);
/** @type {import('miniflare').Miniflare | null} */
let server = null;
async function startServer() {
  server = await startMiniflare(STATE, PORT);
}
async function stopServer() {
  const running = server;
  server = null;
  await running?.dispose();
}

// One keep-alive connection, as a browser tab holds; every response read to its end.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
/** @param {string} url @param {Record<string, string>} [headers] @returns {Promise<string>} */
const get = (url, headers = {}) =>
  new Promise((resolve, reject) => {
    http.get(url, { agent, headers }, (response) => {
      const chunks = /** @type {Buffer[]} */ ([]);
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${url}: ${response.statusCode}`))));
      response.on('error', reject);
    }).on('error', reject);
  });
/** @param {() => Promise<unknown>} request */
async function sample(request) {
  for (let i = 0; i < 20; i++) await request();
  const samples = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await request();
    samples.push(performance.now() - t0);
  }
  return samples;
}

try {
  await startServer();
  const headers = { 'content-type': 'application/json', origin: ORIGIN };
  const signup = await fetch(`${ORIGIN}/api/auth/signup`, {
    method: 'POST', headers,
    body: JSON.stringify({ email: `bench-${Date.now()}@example.com`, password: 'bench password 2026', name: 'Bench', workspaceName: 'Bench Co', template: 'b2b-general', locale: 'en' }),
  });
  if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${await signup.text()}`);
  const cookie = (signup.headers.get('set-cookie') ?? '').split(';')[0];
  const { tenant } = await signup.json();
  const base = `${ORIGIN}/api/t/${tenant.slug}`;
  const { pipelines } = await (await fetch(`${base}/pipelines`, { headers: { cookie } })).json();
  const pipeline = pipelines[0];
  const open = pipeline.stages.filter((/** @type {{kind: string, requiredFields: string[]}} */ s) => s.kind === 'open');

  // Seeding 2,000 rows through the API takes minutes; the rows are written as SQL instead, with
  // the shape the API writes (fractional positions per column, one stage_changes row each).
  console.log(`▸ seeding ${OPPORTUNITIES} open opportunities…`);
  const started = Date.now();
  const { user } = await (await fetch(`${ORIGIN}/api/auth/me`, { headers: { cookie } })).json();
  await stopServer();
  const id = () => randomBytes(12).toString('hex');
  const now = Date.now();
  const accountIds = Array.from({ length: 300 }, id);
  const rows = [];
  const history = [];
  const perStage = Math.ceil(OPPORTUNITIES / open.length);
  for (const [s, stage] of open.entries()) {
    const keys = generateNKeysBetween(null, null, perStage);
    for (let k = 0; k < perStage && s * perStage + k < OPPORTUNITIES; k++) {
      const n = s * perStage + k;
      const oid = id();
      const amount = 10_000 + ((n * 7919) % 990_000);
      rows.push(`('${oid}','${tenant.id}','${pipeline.id}','${stage.id}','Opportunity ${n}','${accountIds[n % 300]}','${user.id}',${amount},'2027-06-30','open','${keys[k]}',1,${now},'${user.id}',${now},${now})`);
      history.push(`('${id()}','${tenant.id}','${oid}','${pipeline.id}',NULL,'${stage.id}',${now},'${user.id}',${amount})`);
    }
  }
  const chunks = (/** @type {string[]} */ list, /** @type {string} */ head) => {
    const out = [];
    for (let i = 0; i < list.length; i += 200) out.push(`${head} values ${list.slice(i, i + 200).join(',')};`);
    return out;
  };
  const seed = [
    ...chunks(accountIds.map((a, i) => `('${a}','${tenant.id}','Account ${i}','${user.id}',1,${now},${now})`), 'insert into accounts (id, tenant_id, name, owner_id, version, created_at, updated_at)'),
    ...chunks(rows, 'insert into opportunities (id, tenant_id, pipeline_id, stage_id, title, account_id, owner_id, amount, expected_close_date, status, position, version, stage_entered_at, created_by, created_at, updated_at)'),
    ...chunks(history, 'insert into stage_changes (id, tenant_id, opportunity_id, pipeline_id, from_stage_id, to_stage_id, changed_at, changed_by, amount)'),
  ];
  writeFileSync(join(STATE, 'seed.sql'), seed.join('\n'));
  npx(['wrangler', 'd1', 'execute', 'DB', '--local', '--persist-to', STATE, '--file', join(STATE, 'seed.sql')]);
  await startServer();
  console.log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const boardUrl = `${base}/pipelines/${pipeline.id}/board`;
  let totalCount = 0;
  const api = await sample(async () => {
    const body = JSON.parse(await get(boardUrl, { cookie }));
    totalCount = body.columns.reduce((/** @type {number} */ n, /** @type {{count: number}} */ c) => n + c.count, 0);
  });
  const boardBytes = Buffer.byteLength(await get(boardUrl, { cookie }));
  // The fixed cost of any tenant request (HTTP, workerd, session + membership lookup), and below it.
  const baseline = await sample(() => get(base, { cookie }));
  const health = await sample(() => get(`${ORIGIN}/api/health`));
  let viaWranglerDev = null;
  if (process.env.BENCH_WRANGLER_DEV === '1') {
    await stopServer();
    const dev = spawn('npx', ['wrangler', 'dev', '--port', String(PORT), '--ip', '127.0.0.1', '--persist-to', STATE, '--show-interactive-dev-session=false'], { env, stdio: 'ignore', detached: true });
    try {
      for (let i = 0; ; i++) {
        try { if ((await fetch(`${ORIGIN}/api/health`)).ok) break; } catch { /* starting */ }
        if (i > 240) throw new Error('wrangler dev did not start');
        await new Promise((r) => setTimeout(r, 250));
      }
      viaWranglerDev = { board: await sample(() => get(boardUrl, { cookie })), tenant: await sample(() => get(base, { cookie })) };
    } finally {
      try { if (dev.pid) process.kill(-dev.pid, 'SIGTERM'); } catch { /* gone */ }
      await new Promise((r) => dev.once('exit', r));
    }
  }

  // The floor: same repo code on the same SQLite file, in this process.
  const file = d1File(STATE);
  const outfile = join(STATE, 'board-floor.mjs');
  await build({ entryPoints: ['test/bench/board-floor.ts'], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'warning', external: ['node:*'] });
  const { openFloor } = await import(join(process.cwd(), outfile));
  const floorDb = openFloor(file);
  for (let i = 0; i < 20; i++) await floorDb.board(tenant.id, pipeline.id);
  floorDb.takeStatementCount();
  await floorDb.board(tenant.id, pipeline.id);
  const statementsPerRead = floorDb.takeStatementCount();
  const floor = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await floorDb.board(tenant.id, pipeline.id);
    floor.push(performance.now() - t0);
  }
  floorDb.close();

  const a = summary(api);
  const f = summary(floor);
  const line = (/** @type {string} */ label, /** @type {number[]} */ samples) => {
    const v = summary(samples);
    console.log(`${label.padEnd(16)}${ms(v.p50)} ${ms(v.p95)} ${ms(v.p99)}`);
  };
  console.log(`\nBoard read, ${totalCount} opportunities in ${pipeline.stages.length} columns, first 50 cards per column (${(boardBytes / 1024).toFixed(0)} KB of JSON), ${SAMPLES} sequential samples each\n`);
  console.log(`                       p50        p95        p99`);
  line('API over HTTP', api);
  line('SQLite floor', floor);
  console.log(`ratio API/floor ${(a.p50 / f.p50).toFixed(2).padStart(9)}x ${(a.p95 / f.p95).toFixed(2).padStart(9)}x ${(a.p99 / f.p99).toFixed(2).padStart(9)}x`);
  console.log(`\nfor scale, over the same HTTP connection:`);
  line('GET /api/t/:t', baseline);
  console.log('                (session + user + membership lookup: one D1 statement; tiny body)');
  line('GET /api/health', health);
  console.log('                (no session; one D1 statement: select 1)');
  if (viaWranglerDev) {
    console.log('\nthe same through `wrangler dev` (its proxy Worker and local observability in front):');
    line('board', viaWranglerDev.board);
    line('GET /api/t/:t', viaWranglerDev.tenant);
  }
  console.log(`\nD1 statements per board read (board query, one batch): ${statementsPerRead}`);
  console.log('(a tenant request adds 1 statement before it: session + user + membership)');
} finally {
  await stopServer();
}
process.exit(0);
