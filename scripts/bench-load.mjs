#!/usr/bin/env node
// `npm run bench:load`: the Worker under a fixed request rate, against its SQLite floor, in one run.
// 1. a fresh local D1 (own state dir) with 50 workspaces signed up through the API and 2,000
//    opportunities each written straight into the SQLite file (the shape the API writes);
// 2. `wrangler dev` serving it on loopback; this process drives it open-loop at a fixed rate
//    (each request sent at its due time, latency counted from that time — no coordinated omission): board reads, list reads, moves, follow-up writes, logins, then a mix —
//    latency percentiles and errors (any non-2xx, timeouts, connection errors);
// 3. the board and list reads' repo code run directly on the same SQLite file (the floor), with
//    the ratio. Targets (issue 7): at 200 req/s, reads and moves p99 ≤ 100 ms with 0 errors; board
//    p99 ≤ 1.5 × floor + 20 ms. Load generator and server share this machine's cores.
// Sizes: BENCH_LOAD_TENANTS (50), BENCH_LOAD_OPPORTUNITIES (2,000), BENCH_LOAD_RATE (200),
// BENCH_LOAD_SECONDS (15 per scenario).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { build } from 'esbuild';
import { generateNKeysBetween } from 'fractional-indexing';
import { d1File, env, ms, percentile, prepareState, startMiniflare, summary } from './bench-lib.mjs';

const PORT = 8798;
const ORIGIN = `http://127.0.0.1:${PORT}`;
const STATE = '.wrangler/bench-load';
const TENANTS = Number(process.env.BENCH_LOAD_TENANTS ?? 50);
const OPPORTUNITIES = Number(process.env.BENCH_LOAD_OPPORTUNITIES ?? 2000);
const RATE = Number(process.env.BENCH_LOAD_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 15);
const LOGIN_RATE = Number(process.env.BENCH_LOAD_LOGIN_RATE ?? 5);
const PASSWORD = 'bench load password 2026';
const FLOOR_SAMPLES = 300;

const id = () => randomBytes(12).toString('hex');

console.log('▸ building, migrating a fresh local D1, bundling the Worker…');
prepareState(STATE);

// ── 1. workspaces through the API, opportunities into the file ─────────────────────────────
console.log(`▸ signing up ${TENANTS} workspaces…`);
const setup = await startMiniflare(STATE, PORT);
/** @type {{ slug: string; tenantId: string; userId: string; email: string; cookie: string; pipelineId: string; open: string[] }[]} */
const tenants = [];
try {
  for (let i = 0; i < TENANTS; i++) {
    const email = `load-${i}-${Date.now()}@example.com`;
    const response = await fetch(`${ORIGIN}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN, 'cf-connecting-ip': `10.9.${i >> 4}.${1 + (i & 15)}` },
      body: JSON.stringify({ email, password: PASSWORD, name: `Load ${i}`, workspaceName: `Load ${i}`, template: 'b2b-general', locale: 'en' }),
    });
    if (response.status !== 201) throw new Error(`signup ${i}: ${response.status} ${await response.text()}`);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
    const { tenant, user } = await response.json();
    const { pipelines } = await (await fetch(`${ORIGIN}/api/t/${tenant.slug}/pipelines`, { headers: { cookie } })).json();
    const pipeline = pipelines[0];
    const open = pipeline.stages.filter((/** @type {{ kind: string; requiredFields: string[] }} */ s) => s.kind === 'open' && s.requiredFields.length === 0).map((/** @type {{ id: string }} */ s) => s.id);
    tenants.push({ slug: tenant.slug, tenantId: tenant.id, userId: user.id, email, cookie, pipelineId: pipeline.id, open });
  }
} finally {
  await setup.dispose();
}

console.log(`▸ seeding ${TENANTS} × ${OPPORTUNITIES} opportunities…`);
const file = d1File(STATE);
const sqlite = new DatabaseSync(file);
sqlite.exec('pragma journal_mode = wal; begin');
const now = Date.now();
const insertOpportunity = sqlite.prepare(
  'insert into opportunities (id, tenant_id, pipeline_id, stage_id, title, account_id, owner_id, amount, expected_close_date, status, position, version, stage_entered_at, created_by, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
);
const insertChange = sqlite.prepare('insert into stage_changes (id, tenant_id, opportunity_id, pipeline_id, from_stage_id, to_stage_id, changed_at, changed_by, amount) values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
const insertAccount = sqlite.prepare('insert into accounts (id, tenant_id, name, owner_id, version, created_at, updated_at) values (?, ?, ?, ?, 1, ?, ?)');
/** Cards to move, one per move request: (tenant, card, target stage), each card moved once at version 1. */
/** @type {{ tenant: typeof tenants[number]; id: string; to: string }[]} */
const moves = [];
for (const tenant of tenants) {
  const accounts = Array.from({ length: 100 }, (_, k) => {
    const accountId = id();
    insertAccount.run(accountId, tenant.tenantId, `Account ${k}`, tenant.userId, now, now);
    return accountId;
  });
  const perStage = Math.ceil(OPPORTUNITIES / tenant.open.length);
  for (const [s, stageId] of tenant.open.entries()) {
    const keys = generateNKeysBetween(null, null, perStage);
    for (let k = 0; k < perStage && s * perStage + k < OPPORTUNITIES; k++) {
      const n = s * perStage + k;
      const oid = id();
      const amount = 10_000 + ((n * 7919) % 990_000);
      insertOpportunity.run(oid, tenant.tenantId, tenant.pipelineId, stageId, `Opportunity ${n}`, accounts[n % 100], tenant.userId, amount, '2027-06-30', 'open', keys[k], 1, now - n * 60_000, tenant.userId, now - n * 60_000, now);
      insertChange.run(id(), tenant.tenantId, oid, tenant.pipelineId, null, stageId, now - n * 60_000, tenant.userId, amount);
      moves.push({ tenant, id: oid, to: tenant.open[(s + 1) % tenant.open.length] });
    }
  }
}
sqlite.exec('commit; pragma wal_checkpoint(truncate)');
sqlite.close();
// Interleave tenants so consecutive moves hit different workspaces.
for (let i = moves.length - 1; i > 0; i--) {
  const j = (i * 2654435761) % (i + 1);
  [moves[i], moves[j]] = [moves[j], moves[i]];
}

// ── 2. wrangler dev under load ─────────────────────────────────────────────────────────────
console.log('▸ starting wrangler dev…');
const dev = spawn('npx', ['wrangler', 'dev', '--port', String(PORT), '--ip', '127.0.0.1', '--persist-to', STATE, '--show-interactive-dev-session=false', '--var', 'SAMPLE_STATS_DAYS:0'], { env, stdio: 'ignore', detached: true });
const stopDev = async () => {
  try {
    if (dev.pid) process.kill(-dev.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  await new Promise((resolve) => (dev.exitCode !== null ? resolve(null) : dev.once('exit', resolve)));
};

/** @type {{ name: string; rate: number; latency: { p50: number; p95: number; p99: number }; requests: number; errors: number; statuses: Record<string, number> }[]} */
const results = [];
let pick = 0;
const anyTenant = () => tenants[pick++ % tenants.length];
let nextMove = 0;
const headersFor = (/** @type {{ cookie: string }} */ tenant, json = false) => ({ cookie: tenant.cookie, origin: ORIGIN, ...(json ? { 'content-type': 'application/json' } : {}) });

/** Request builders: each call returns the next request of that kind. */
const kinds = {
  board: () => { const t = anyTenant(); return { method: 'GET', path: `/api/t/${t.slug}/pipelines/${t.pipelineId}/board`, headers: headersFor(t) }; },
  list: () => { const t = anyTenant(); return { method: 'GET', path: `/api/t/${t.slug}/opportunities?limit=50`, headers: headersFor(t) }; },
  move: () => {
    const m = moves[nextMove++ % moves.length];
    return { method: 'POST', path: `/api/t/${m.tenant.slug}/opportunities/${m.id}/move`, headers: headersFor(m.tenant, true), body: JSON.stringify({ stageId: m.to, version: 1 }) };
  },
  followUp: () => {
    const m = moves[(nextMove++ * 7) % moves.length];
    return { method: 'POST', path: `/api/t/${m.tenant.slug}/opportunities/${m.id}/activities`, headers: headersFor(m.tenant, true), body: JSON.stringify({ kind: 'call', subject: 'Load call', doneAt: new Date().toISOString() }) };
  },
  login: () => { const t = anyTenant(); return { method: 'POST', path: '/api/auth/login', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: JSON.stringify({ email: t.email, password: PASSWORD }) }; },
};

/**
 * One open-loop, fixed-rate run: request i is due at start + i / rate, whatever happened to the
 * earlier ones (a closed loop — or a per-second token bucket, which is how autocannon's -R paces —
 * sends late or in bursts when the server is slow, and hides the wait: coordinated omission).
 * Latency is measured from the DUE time to the end of the response body, so time spent queued
 * behind a slow server counts. Keep-alive connections, as many as are in flight.
 * @param {string} name @param {number} rate @param {() => { method: string; path: string; headers: Record<string, string>; body?: string }} next
 */
async function run(name, rate, next) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const latencies = /** @type {number[]} */ ([]);
  const statuses = /** @type {Record<string, number>} */ ({});
  let failures = 0;
  const total = Math.round(rate * SECONDS);
  const start = performance.now() + 50;
  /** @type {Promise<void>[]} */
  const inFlight = [];
  /** @param {number} due */
  const send = (due) =>
    new Promise((resolve) => {
      const r = next();
      const request = http.request(`${ORIGIN}${r.path}`, { method: r.method, headers: r.headers, agent, timeout: 10_000 }, (response) => {
        response.on('data', () => {});
        response.on('end', () => {
          latencies.push(performance.now() - due);
          statuses[response.statusCode ?? 0] = (statuses[response.statusCode ?? 0] ?? 0) + 1;
          resolve(undefined);
        });
      });
      request.on('error', () => {
        failures++;
        resolve(undefined);
      });
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.end(r.body);
    });
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait - 0.5));
    inFlight.push(send(due));
  }
  await Promise.all(inFlight);
  agent.destroy();
  const ok = Object.entries(statuses).filter(([s]) => Number(s) < 300).reduce((n, [, c]) => n + c, 0);
  const errors = total - ok;
  results.push({ name, rate, latency: summary(latencies), requests: total, errors, statuses });
  console.log(`  ${name.padEnd(12)} ${String(total).padStart(6)} requests  p50 ${ms(percentile(latencies, 50))}  p95 ${ms(percentile(latencies, 95))}  p99 ${ms(percentile(latencies, 99))}  errors ${errors}${failures ? ` (${failures} connection errors)` : ''}  ${JSON.stringify(statuses)}`);
}

try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${ORIGIN}/api/health`)).ok) break;
    } catch {
      // starting
    }
    if (i > 240) throw new Error('wrangler dev did not start');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // Warm-up: every tenant's board once (isolate, statement cache).
  for (const t of tenants) await fetch(`${ORIGIN}/api/t/${t.slug}/pipelines/${t.pipelineId}/board`, { headers: { cookie: t.cookie } });
  console.log(`▸ ${SECONDS} s per scenario at a fixed rate through wrangler dev (${tenants.length} workspaces × ${OPPORTUNITIES} opportunities)`);
  await run('board', RATE, kinds.board);
  await run('list', RATE, kinds.list);
  await run('moves', RATE, kinds.move);
  await run('follow-ups', RATE, kinds.followUp);
  await run('logins', LOGIN_RATE, kinds.login);
  const mix = [kinds.board, kinds.board, kinds.board, kinds.board, kinds.board, kinds.list, kinds.list, kinds.move, kinds.move, kinds.followUp];
  let m = 0;
  await run('mixed', RATE, () => mix[m++ % mix.length]());
} finally {
  await stopDev();
}

// ── 3. the floor: the same reads' repo code on the SQLite file ──────────────────────────────
const outfile = join(STATE, 'board-floor.mjs');
await build({ entryPoints: ['test/bench/board-floor.ts'], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'warning', external: ['node:*'] });
const { openFloor } = await import(join(process.cwd(), outfile));
const floorDb = openFloor(d1File(STATE));
/** @param {(t: typeof tenants[number]) => Promise<unknown>} read */
async function floorOf(read) {
  for (let i = 0; i < 20; i++) await read(tenants[i % tenants.length]);
  const samples = [];
  for (let i = 0; i < FLOOR_SAMPLES; i++) {
    const t = tenants[i % tenants.length];
    const t0 = performance.now();
    await read(t);
    samples.push(performance.now() - t0);
  }
  return summary(samples);
}
const floors = {
  board: await floorOf((t) => floorDb.board(t.tenantId, t.pipelineId)),
  list: await floorOf((t) => floorDb.list(t.tenantId)),
};
floorDb.close();

const fmt = (/** @type {number} */ v) => `${v.toFixed(1)} ms`.padStart(9);
console.log(`\nFixed-rate load through wrangler dev on loopback (target: reads and moves p99 ≤ 100 ms, 0 errors at ${RATE} req/s)\n`);
console.log('scenario       rate   requests      p50      p95      p99  errors  target');
for (const r of results) {
  const target = r.name === 'logins' ? '(Argon2id, 19 MiB)' : r.latency.p99 <= 100 && r.errors === 0 ? 'met' : 'MISSED';
  console.log(`${r.name.padEnd(12)} ${String(r.rate).padStart(6)} ${String(r.requests).padStart(10)} ${fmt(r.latency.p50)}${fmt(r.latency.p95)}${fmt(r.latency.p99)} ${String(r.errors).padStart(7)}  ${target}`);
}
console.log(`\nFloor: the same repo code on the same SQLite file, in Node, ${FLOOR_SAMPLES} sequential reads`);
console.log('read             p50      p95      p99   API p99 / floor p99   board target: p99 ≤ 1.5 × floor + 20 ms');
for (const [name, floor] of Object.entries(floors)) {
  const api = results.find((r) => r.name === name);
  const ratio = api ? api.latency.p99 / floor.p99 : NaN;
  const bound = 1.5 * floor.p99 + 20;
  const verdict = name === 'board' && api ? `${fmt(api.latency.p99)} vs ${fmt(bound)} → ${api.latency.p99 <= bound ? 'met' : 'MISSED'}` : '';
  console.log(`${name.padEnd(10)} ${fmt(floor.p50)}${fmt(floor.p95)}${fmt(floor.p99)}   ${ratio.toFixed(2).padStart(8)}×             ${verdict}`);
}
process.exit(0);
