#!/usr/bin/env node
// `npm run bench` (second part): the nightly job at scale, and its floor, side by side in one run.
// 1. a fresh local D1 seeded (straight into its SQLite file) with 1,000 tenants × 1,000
//    opportunities and one tenant with 100,000 — two years of history each: stage changes through
//    the stages, won / lost / still open, follow-ups done and planned, products;
// 2. the deploy bundle in Miniflare (workerd + local D1 + local queues): the big tenant's message
//    alone, then the hourly cron for everyone else (it finds the 1,000 due tenants and fans out);
//    wall time until every snapshot is written, and workerd's peak resident memory (a fresh
//    workerd per phase; it includes the local D1's own SQLite cache);
// 3. the same consumer code in Node on the same SQLite file (test/bench/nightly-floor.ts):
//    time, D1 statements per message and the JS heap one message grows to.
// Sizes: BENCH_NIGHTLY_TENANTS, BENCH_NIGHTLY_OPPORTUNITIES, BENCH_NIGHTLY_BIG; BENCH_TRACE=1 prints
// the time of each statement of the big tenant's floor run.
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DatabaseSync } from 'node:sqlite';
import { build } from 'esbuild';
// Node 24 runs the engine's PRNG straight from TypeScript (type stripping), so every run seeds the same data.
import { mulberry32 } from '../worker/services/forecast/prng.ts';
import { d1File, percentile, prepareState, startMiniflare, storageReport, workerdPeakRss } from './bench-lib.mjs';

const PORT = 8793;
const STATE = '.wrangler/bench-nightly';
const TENANTS = Number(process.env.BENCH_NIGHTLY_TENANTS ?? 1000);
const OPPORTUNITIES = Number(process.env.BENCH_NIGHTLY_OPPORTUNITIES ?? 1000);
const BIG = Number(process.env.BENCH_NIGHTLY_BIG ?? 100_000);
const FLOOR_SAMPLES = Math.min(TENANTS, 20);
const DAY = 86_400_000;
const TIMEZONES = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'UTC', 'Asia/Tokyo', 'Australia/Sydney'];
const KINDS = ['call', 'visit', 'meeting', 'email', 'wechat', 'other'];

const localDate = (/** @type {number} */ at, /** @type {string} */ timeZone) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(at);
const addDays = (/** @type {string} */ date, /** @type {number} */ days) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
const mb = (/** @type {number} */ bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const seconds = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(1)} s`;

const now = Date.now();
// BENCH_NIGHTLY_REUSE=1: keep the state a previous run seeded today (seeding takes minutes) and
// only measure again; the tenants' due date is still yesterday.
const REUSE = process.env.BENCH_NIGHTLY_REUSE === '1';
if (!REUSE) {
  console.log('▸ building, migrating a fresh local D1, bundling the Worker…');
  prepareState(STATE);
}
const file = d1File(STATE);

// ── 1. seed ────────────────────────────────────────────────────────────────────────────────
if (!REUSE) console.log(`▸ seeding ${TENANTS} tenants × ${OPPORTUNITIES} opportunities and one with ${BIG}…`);
let seedStarted = Date.now();
const sqlite = new DatabaseSync(file);
sqlite.exec('pragma journal_mode = wal; pragma synchronous = off; begin');
const insert = (/** @type {string} */ table, /** @type {string[]} */ columns) => {
  const statement = sqlite.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`);
  return (/** @type {unknown[]} */ ...values) => statement.run(.../** @type {never[]} */ (values));
};
const put = {
  tenant: insert('tenants', ['id', 'slug', 'name', 'locale', 'currency', 'timezone', 'fiscal_year_start_month', 'template_id', 'last_snapshot_date', 'created_at', 'updated_at']),
  user: insert('users', ['id', 'email', 'name', 'locale', 'created_at', 'updated_at']),
  membership: insert('memberships', ['tenant_id', 'user_id', 'role', 'created_at']),
  pipeline: insert('pipelines', ['id', 'tenant_id', 'name', 'position', 'created_at']),
  stage: insert('stages', ['id', 'tenant_id', 'pipeline_id', 'name', 'position', 'probability', 'kind', 'created_at']),
  product: insert('products', ['id', 'tenant_id', 'name', 'created_at']),
  opportunity: insert('opportunities', ['id', 'tenant_id', 'pipeline_id', 'stage_id', 'title', 'owner_id', 'type_id', 'source_id', 'amount', 'expected_close_date', 'status', 'lost_reason_id', 'closed_at', 'position', 'stage_entered_at', 'created_by', 'created_at', 'updated_at']),
  change: insert('stage_changes', ['id', 'tenant_id', 'opportunity_id', 'pipeline_id', 'from_stage_id', 'to_stage_id', 'changed_at', 'changed_by', 'amount']),
  activity: insert('activities', ['id', 'tenant_id', 'opportunity_id', 'owner_id', 'kind', 'subject', 'due_at', 'done_at', 'created_by', 'created_at', 'updated_at']),
  line: insert('opportunity_products', ['id', 'tenant_id', 'opportunity_id', 'product_id', 'quantity', 'unit_price']),
};
const counts = { opportunities: 0, changes: 0, activities: 0 };

/** One tenant with two years of history; returns its id and its due date (yesterday, local). */
function seedTenant(/** @type {number} */ index, /** @type {number} */ opportunities) {
  const rand = mulberry32(index + 1);
  const t = `bt${index}`;
  const timezone = TIMEZONES[index % TIMEZONES.length];
  const yesterday = addDays(localDate(now, timezone), -1);
  const created = now - 740 * DAY;
  put.tenant(t, `bench-${index}`, `Bench ${index}`, 'en', 'CNY', timezone, 1 + (index % 4) * 3, 'b2b-general', addDays(yesterday, -1), created, created);
  const owners = Math.max(3, Math.min(20, Math.round(opportunities / 5000)));
  const skill = Array.from({ length: owners }, () => 0.25 + rand() * 0.4);
  for (let k = 0; k < owners; k++) {
    put.user(`${t}u${k}`, `${t}u${k}@bench.invalid`, `Owner ${k}`, 'en', created, created);
    put.membership(t, `${t}u${k}`, k === 0 ? 'owner' : 'member', created);
  }
  const pipeline = `${t}p`;
  put.pipeline(pipeline, t, 'Sales', 0, created);
  const stages = [['Lead', 10, 'open'], ['Qualified', 25, 'open'], ['Proposal', 50, 'open'], ['Negotiation', 75, 'open'], ['Won', 100, 'won'], ['Lost', 0, 'lost']];
  stages.forEach(([name, probability, kind], k) => put.stage(`${t}s${k}`, t, pipeline, name, k, probability, kind, created));
  for (let k = 0; k < 5; k++) put.product(`${t}pr${k}`, t, `Product ${k}`, created);
  let activity = 0;
  for (let n = 0; n < opportunities; n++) {
    const id = `${t}o${n}`;
    const owner = Math.floor(rand() * owners);
    const ownerId = `${t}u${owner}`;
    const createdAt = now - Math.floor(rand() * 730 * DAY);
    const amount = 100 * Math.round(1_000 + rand() * rand() * 99_000);
    let stage = 0;
    let at = createdAt;
    put.change(`${id}c0`, t, id, pipeline, null, `${t}s0`, at, ownerId, amount);
    let step = 1;
    // Advance, lose or stall, a step every few days, until the story reaches today.
    for (;;) {
      const next = at + Math.floor((2 + rand() * 25) * DAY);
      if (next >= now) break;
      const roll = rand();
      let to;
      if (stage === 3) to = roll < skill[owner] + 0.3 ? 4 : 5;
      else if (roll < 0.62) to = stage + 1;
      else if (roll < 0.9) to = 5;
      else break; // stalled: stays open
      put.change(`${id}c${step++}`, t, id, pipeline, `${t}s${stage}`, `${t}s${to}`, next, ownerId, amount);
      stage = to;
      at = next;
      if (stage >= 4) break;
    }
    const kind = stages[stage][2];
    put.opportunity(id, t, pipeline, `${t}s${stage}`, `Deal ${n}`, ownerId, `${t}ty${n % 3}`, `${t}so${n % 4}`, amount,
      addDays(localDate(createdAt, timezone), 30 + Math.floor(rand() * 90)), kind, kind === 'lost' ? `${t}lr${n % 3}` : null,
      kind === 'open' ? null : at, `a${n}`, at, ownerId, createdAt, at);
    if (rand() < 0.5) put.line(`${id}l`, t, id, `${t}pr${n % 5}`, 1, amount);
    const end = kind === 'open' ? now : at;
    const done = Math.floor(rand() * 6);
    for (let k = 0; k < done; k++) {
      const doneAt = createdAt + Math.floor(rand() * (end - createdAt));
      put.activity(`${t}a${activity++}`, t, id, ownerId, KINDS[Math.floor(rand() * KINDS.length)], 'Follow-up', null, doneAt, ownerId, doneAt, doneAt);
    }
    if (kind === 'open' && rand() < 0.7) {
      const dueAt = now + Math.floor((rand() * 30 - 10) * DAY);
      put.activity(`${t}a${activity++}`, t, id, ownerId, KINDS[Math.floor(rand() * KINDS.length)], 'Planned', dueAt, null, ownerId, now - DAY, now - DAY);
    }
    counts.changes += step;
  }
  counts.opportunities += opportunities;
  counts.activities += activity;
  return { id: t, date: yesterday };
}

/** A seeded tenant's id and due date without seeding it again. */
const seeded = (/** @type {number} */ index) => ({ id: `bt${index}`, date: addDays(localDate(now, TIMEZONES[index % TIMEZONES.length]), -1) });
const big = REUSE ? seeded(0) : seedTenant(0, BIG);
const small = [];
for (let i = 1; i <= TENANTS; i++) small.push(REUSE ? seeded(i) : seedTenant(i, OPPORTUNITIES));
if (REUSE) {
  // Forget the previous run's results, so the same dates are due again.
  sqlite.exec(`delete from nightly_runs where tenant_id like 'bt%'; delete from daily_stats where tenant_id like 'bt%'; delete from forecasts where tenant_id like 'bt%'`);
  for (const tenant of [big, ...small]) sqlite.prepare('update tenants set last_snapshot_date = ? where id = ?').run(addDays(tenant.date, -1), tenant.id);
}
sqlite.exec('commit; pragma wal_checkpoint(truncate)');
sqlite.close();
if (!REUSE) console.log(`  ${counts.opportunities.toLocaleString('en')} opportunities, ${counts.changes.toLocaleString('en')} stage changes, ${counts.activities.toLocaleString('en')} follow-ups in ${seconds(Date.now() - seedStarted)}`);

/** Polls the local D1 until `expected` of the given runs are finished; returns the failed count. */
async function waitForRuns(/** @type {import('miniflare').Miniflare} */ server, /** @type {string[]} */ tenantIds, /** @type {number} */ timeoutMs) {
  const db = await server.getD1Database('DB');
  const started = Date.now();
  const ids = JSON.stringify(tenantIds);
  for (;;) {
    const row = await db
      .prepare(`select sum(status = 'done') as done, sum(status = 'failed') as failed from nightly_runs where tenant_id in (select value from json_each(?1)) and status in ('done', 'failed')`)
      .bind(ids)
      .first();
    const finished = Number(row?.done ?? 0) + Number(row?.failed ?? 0);
    if (finished >= tenantIds.length) return Number(row?.failed ?? 0);
    if (Date.now() - started > timeoutMs) throw new Error(`only ${finished} of ${tenantIds.length} nightly runs finished in ${seconds(timeoutMs)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// ── 2. workerd ─────────────────────────────────────────────────────────────────────────────
console.log(`▸ the big tenant's message (${BIG.toLocaleString('en')} opportunities) through the queue…`);
let server = await startMiniflare(STATE, PORT);
const producer = await server.getQueueProducer('NIGHTLY_QUEUE');
let started = performance.now();
await producer.send({ tenantId: big.id, date: big.date }, { contentType: 'json' });
const bigFailed = await waitForRuns(server, [big.id], 30 * 60_000);
const bigMs = performance.now() - started;
const bigRss = workerdPeakRss();
await server.dispose();

console.log(`▸ the hourly cron for ${TENANTS} tenants × ${OPPORTUNITIES} opportunities…`);
server = await startMiniflare(STATE, PORT);
const worker = await server.getWorker('jihui');
started = performance.now();
await worker.scheduled({ scheduledTime: new Date(now), cron: '0 * * * *' });
const fanOutMs = performance.now() - started;
const smallFailed = await waitForRuns(server, small.map((s) => s.id), 60 * 60_000);
const smallMs = performance.now() - started;
const smallRss = workerdPeakRss();
await server.dispose();

// ── 3. the floor: the same consumer in Node on the SQLite file ─────────────────────────────
console.log('▸ the same consumer code in Node on the SQLite file…');
const outfile = join(STATE, 'nightly-floor.mjs');
await build({ entryPoints: ['test/bench/nightly-floor.ts'], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'warning', external: ['node:*'] });
const { runFloor } = await import(join(process.cwd(), outfile));
// A collector to call before each heap reading (see nightly-floor.ts).
setFlagsFromString('--expose-gc');
Object.assign(globalThis, { gc: runInNewContext('gc') });
// Time and statements first, then the live heap in separate runs (its collections cost time).
const bigFloor = await runFloor(file, big.id, big.date, now, { trace: process.env.BENCH_TRACE === '1' });
const smallFloor = [];
for (const tenant of small.slice(0, FLOOR_SAMPLES)) smallFloor.push(await runFloor(file, tenant.id, tenant.date, now));
const bigHeap = (await runFloor(file, big.id, big.date, now, { measureHeap: true })).heapGrowth;
const smallHeap = (await runFloor(file, small[0].id, small[0].date, now, { measureHeap: true })).heapGrowth;
const floorMs = smallFloor.map((r) => r.ms);

const perTenant = smallMs / TENANTS;
console.log(`
Nightly job (statistics + forecasts per tenant and date), deploy bundle in Miniflare vs the same code on SQLite

                                  workerd + local D1          floor (Node + SQLite)      ratio
1 tenant × ${BIG.toLocaleString('en').padEnd(8)} opportunities   ${seconds(bigMs).padStart(10)}                 ${seconds(bigFloor.ms).padStart(10)}            ${(bigMs / bigFloor.ms).toFixed(2)}x
${String(TENANTS).padEnd(5)} tenants × ${String(OPPORTUNITIES).padEnd(5)} opps     ${seconds(smallMs).padStart(10)} in all             ${`${percentile(floorMs, 50).toFixed(0)} ms p50`.padStart(10)} per tenant
                                  ${`${perTenant.toFixed(0)} ms`.padStart(10)} per tenant         ${`${percentile(floorMs, 95).toFixed(0)} ms p95`.padStart(10)}            ${(perTenant / percentile(floorMs, 50)).toFixed(2)}x (per tenant, p50)
cron fan-out (find due tenants, ${TENANTS} messages): ${seconds(fanOutMs)}
D1 statements per message: ${bigFloor.statements} (big tenant), ${[...new Set(smallFloor.map((r) => r.statements))].join('/')} (1,000-opportunity tenants)
peak memory: workerd RSS ${mb(bigRss)} (big tenant phase), ${mb(smallRss)} (1,000-tenant phase) — includes the local D1's SQLite cache;
             JS heap one message holds live (at its statements) in the floor: ${mb(bigHeap)} (big tenant), ${(smallHeap / 1024 / 1024).toFixed(1)} MB (a 1,000-opportunity tenant)
failed runs: ${bigFailed + smallFailed}`);
await storageReport(file);
process.exit(bigFailed + smallFailed > 0 ? 1 : 0);
