// Shared by the benchmarks: a fresh local D1 in its own state dir, the Worker's deploy bundle run
// by Miniflare (workerd + local D1 + queues, configured from wrangler.toml), and percentiles.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

// Offline machines: without these, wrangler stalls on telemetry and cf.json look-ups.
export const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

/** @param {string[]} args */
export function npx(args) {
  const result = spawnSync('npx', args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npx ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

/** @param {number[]} values @param {number} p */
export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
/** @param {number[]} samples */
export const summary = (samples) => ({ p50: percentile(samples, 50), p95: percentile(samples, 95), p99: percentile(samples, 99) });
export const ms = (/** @type {number} */ v) => `${v.toFixed(2)} ms`.padStart(10);

/** A fresh state dir with the built SPA, a migrated local D1 and the deploy bundle in `dist`. */
export function prepareState(/** @type {string} */ state) {
  rmSync(state, { recursive: true, force: true });
  spawnSync('npm', ['run', '--silent', 'build'], { env, stdio: 'ignore' });
  npx(['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state]);
  // The deploy bundle (what `wrangler deploy` uploads; no dev-only middleware).
  npx(['wrangler', 'deploy', '--dry-run', '--outdir', join(state, 'dist')]);
}

/** The local D1's SQLite file inside a state dir. */
export function d1File(/** @type {string} */ state) {
  const dir = join(state, 'v3', 'd1', 'miniflare-D1DatabaseObject');
  const file = readdirSync(dir).filter((f) => f.endsWith('.sqlite')).map((f) => join(dir, f))[0];
  if (!file) throw new Error(`no SQLite file under ${dir}`);
  return file;
}

/** The deploy bundle of `state` served by Miniflare on 127.0.0.1:`port`. */
export async function startMiniflare(/** @type {string} */ state, /** @type {number} */ port) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions('wrangler.toml');
  const server = new Miniflare(convertV4MiniflareOptions({
    workers: [{ ...workerOptions, name: 'jihui', modules: true, scriptPath: join(state, 'dist', 'index.js'), modulesRules: undefined }],
    resourcePersistencePath: join(state, 'v3'),
    host: '127.0.0.1',
    port,
  }));
  await server.ready;
  return server;
}

/** Peak resident memory (VmHWM, bytes) of this process's workerd children. */
export function workerdPeakRss() {
  let peak = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (!/^Name:\s*workerd/m.test(status) || !new RegExp(`^PPid:\\s*${process.pid}$`, 'm').test(status)) continue;
      peak = Math.max(peak, Number(/^VmHWM:\s*(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024);
    } catch {
      // the process ended while we looked
    }
  }
  return peak;
}

/**
 * Bytes on disk per table (its indexes included, from SQLite's dbstat) in a seeded D1 file, per row
 * and per opportunity all told, and what a 10 GB D1 database holds at that size.
 * @param {string} file
 */
export async function storageReport(file) {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(file, { readOnly: true });
  const owner = new Map(db.prepare("select name, tbl_name from sqlite_master where type in ('table', 'index')").all().map((r) => [String(r.name), String(r.tbl_name)]));
  /** @type {Map<string, number>} */
  const bytes = new Map();
  for (const row of db.prepare('select name, sum(pgsize) as bytes from dbstat group by name').all()) {
    const table = owner.get(String(row.name)) ?? String(row.name);
    bytes.set(table, (bytes.get(table) ?? 0) + Number(row.bytes));
  }
  const count = (/** @type {string} */ table) => Number(db.prepare(`select count(*) as n from "${table}"`).get()?.n ?? 0);
  const tables = ['opportunities', 'stage_changes', 'activities', 'opportunity_products', 'accounts', 'contacts', 'daily_stats', 'forecasts'];
  const opportunities = count('opportunities');
  const tenantDays = Number(db.prepare('select count(*) as n from (select distinct tenant_id, as_of_date from daily_stats)').get()?.n ?? 0);
  console.log('\nStorage (SQLite pages incl. indexes, dbstat):');
  console.log('table                      rows        bytes   bytes/row');
  let perOpportunity = 0;
  for (const table of tables) {
    const rows = count(table);
    const size = bytes.get(table) ?? 0;
    if (!['daily_stats', 'forecasts'].includes(table)) perOpportunity += opportunities ? size / opportunities : 0;
    console.log(`${table.padEnd(22)} ${String(rows).padStart(10)} ${String(size).padStart(12)} ${(rows ? size / rows : 0).toFixed(0).padStart(10)}`);
  }
  const snapshot = tenantDays ? ((bytes.get('daily_stats') ?? 0) + (bytes.get('forecasts') ?? 0)) / tenantDays : 0;
  const GB10 = 10 * 1000 ** 3;
  console.log(`per opportunity, all told (its history, follow-ups, lines, accounts, contacts, indexes): ${perOpportunity.toFixed(0)} bytes`);
  console.log(`statistics + forecasts per tenant and day: ${(snapshot / 1024).toFixed(1)} KB (${tenantDays} tenant-days)`);
  console.log(`a 10 GB D1 database holds ≈ ${(GB10 / perOpportunity / 1e6).toFixed(1)} M opportunities, or ≈ ${Math.floor(GB10 / (perOpportunity * 2000 + snapshot * 365 * 3)).toLocaleString('en')} tenants of 2,000 opportunities with 3 years of daily snapshots`);
  db.close();
}
