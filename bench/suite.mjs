// The end-to-end benchmark suite of issue 11 (bench/run.sh runs it; see there for the options).
// Every comparison runs in one go on the same data and the same emulator settings; RU, requests,
// 429s and throttled bulk operations come from the counting proxy (bench/count_proxy.mjs) in front
// of the emulator, not from the tools. Writes bench/results/<UTC date>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, runTool, stopAll } from './processes.mjs';
import { sdkClient, ensureCollection, setThroughput, EMULATOR_KEY } from './cosmos_sdk.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const DATABASE = 'bench';
const COLLECTIONS = [['Resources', '/objecttype'], ['Events', '/id'], ['WorkflowExecutions', '/id']];
const RESTORED = [['Resources', '/objecttype'], ['Events', '/id']];

const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
const connection = (url) => `AccountEndpoint=${url}/;AccountKey=${EMULATOR_KEY};`;
const round = (x, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(d)));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

class Suite {
  constructor(opts) {
    this.o = opts;
    this.bin = opts.bin;
    this.work = fs.mkdtempSync(path.join(opts.tmp ?? os.tmpdir(), 'idabus-bench-'));
    this.logs = path.join(this.work, 'logs');
    fs.mkdirSync(this.logs);
  }

  tool(name) {
    const p = path.join(this.bin, name);
    if (!fs.existsSync(p)) throw new Error(`${p} is not built`);
    return p;
  }

  has(name) { return fs.existsSync(path.join(this.bin, name)); }

  async emulator(name, extra = []) {
    return startServer(this.tool('cosmos-emulator'), ['--port', '0', '--partitions', String(this.o.partitions), '--ru-per-second', '0', ...extra],
      { log: path.join(this.logs, `${name}.log`) });
  }

  async proxy(target, name) {
    const out = path.join(this.work, `${name}.series.json`);
    const p = await startServer(process.execPath, [path.join(here, 'count_proxy.mjs'), '--target', target, '--out', out],
      { log: path.join(this.logs, `${name}.proxy.log`) });
    return {
      url: p.url,
      async stop() {
        await p.stop();
        return JSON.parse(fs.readFileSync(out, 'utf8'));
      },
    };
  }

  async tenant(url, documents) {
    this.o.tenantDocuments = documents;
    const r = await runTool(this.tool('tenant-gen'), [connection(url), DATABASE, '--documents', String(documents)], { log: path.join(this.logs, 'tenant-gen.log') });
    if (r.code !== 0) throw new Error(`tenant-gen exited ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
    log(`  ${r.stdout.trim()}`);
    // Past the engine's margin (Backup.MarginSeconds, 2 s): otherwise the backup's read-only delta
    // pass (_ts >= basis start - margin) reads the whole fresh tenant a second time.
    await sleep(3000);
  }

  // One full backup of the three collections through idabus-engine's Backup API (as tools/demo.sh
  // does it): wall time from PUT create to status 204.
  async engineBackup(cosmosUrl, name, { ruBudget = 0, timed = false } = {}) {
    const dir = path.join(this.work, name);
    const backups = path.join(dir, 'backups');
    fs.mkdirSync(backups, { recursive: true });
    const key = 'bench-key-0123456789';
    const config = path.join(dir, 'appsettings.json');
    fs.writeFileSync(config, JSON.stringify({
      CosmosDb: { ConnectionString: connection(cosmosUrl), DatabaseName: DATABASE },
      Api: { Urls: 'http://127.0.0.1:0', ApiKeys: [key] },
      Backup: { AllowedRoots: [backups], RuBudget: ruBudget, MaxReadOnlySeconds: 600, ...(this.o.chunkBytes ? { ChunkBytes: this.o.chunkBytes } : {}) },
    }));
    const timeFile = timed ? path.join(dir, 'engine.time') : undefined;
    const engine = await startServer(this.tool('idabus-engine'), ['--config', config], { log: path.join(this.logs, `${name}.engine.log`), timeFile });
    const api = (p, init = {}) => fetch(engine.url + p, { ...init, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) } });
    try {
      const spec = Object.fromEntries(COLLECTIONS.map(([c]) => [c, { isincluded: true }]));
      const start = process.hrtime.bigint();
      const created = await api(`/api/v1/Backup/create?folderPathForBackup=${encodeURIComponent(backups)}&comment=bench`, { method: 'PUT', body: JSON.stringify(spec) });
      if (created.status !== 202) throw new Error(`Backup/create answered ${created.status}: ${await created.text()}`);
      const id = JSON.parse(await created.text());
      for (;;) {
        const s = await api('/api/v1/Backup/status');
        await s.text();
        if (s.status === 204) break;
        await sleep(100);
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const event = await (await api(`/api/v1/Events/${id}`)).json();
      const cols = event.requestParameters?.collections ?? {};
      const documents = Object.values(cols).reduce((s, c) => s + (c.documents ?? 0), 0);
      const rawBytes = Object.values(cols).reduce((s, c) => s + (c.rawBytes ?? 0), 0);
      if (event.status !== 'Completed') throw new Error(`backup ${id} ended ${event.status}: ${event.error ?? ''}`);
      const t = event.requestParameters?.timings ?? event.timings ?? {};
      const basisSeconds = t.basisStarted && t.maintenanceStarted ? (Date.parse(t.maintenanceStarted) - Date.parse(t.basisStarted)) / 1000 : null;
      return { documents: this.o.tenantDocuments, documentsRead: documents, rawBytes, seconds, docsPerSecond: this.o.tenantDocuments / seconds, basisSeconds, backups };
    } finally {
      const stopped = await engine.stop();
      this.lastRss = stopped.peakRssKb;
    }
  }

  async sdkExport(url, name) {
    const out = path.join(this.work, name);
    const r = await runTool(process.execPath, [path.join(here, 'sdk_export.mjs'), '--endpoint', url, '--database', DATABASE, '--out', out], { log: path.join(this.logs, `${name}.log`) });
    if (r.code !== 0) throw new Error(`sdk_export exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
    const s = JSON.parse(r.stdout.trim().split('\n').pop());
    fs.rmSync(out, { recursive: true, force: true });
    return { documents: this.o.tenantDocuments, documentsRead: s.documents, rawBytes: s.rawBytes, seconds: s.seconds, docsPerSecond: this.o.tenantDocuments / s.seconds };
  }

  // ---- backup CPU path: bench_backup against zstd -3 -T0 over the same JSON Lines ----
  async backupCpu(url) {
    // One run's wall-time ratio moves by ±0.08 on a quiet machine (zstd's own speed, and the
    // emulator on the same two cores), so the ratio is the median run of several.
    const runs = [];
    for (let i = 1; i <= this.o.cpuRuns; ++i) {
      log(`backup CPU path: bench_backup (emulator unthrottled) against zstd -3 -T0, run ${i} of ${this.o.cpuRuns}`);
      const load = loadavg();
      const r = await runTool(this.tool('bench_backup'), ['--endpoint', url, '--no-load', '--documents', String(this.o.documents)], { log: path.join(this.logs, `bench_backup-${i}.log`) });
      if (r.code !== 0) throw new Error(`bench_backup exited ${r.code}: ${r.stderr.trim()}`);
      const b = /backup: (\d+) documents, .*?([\d.]+) MB raw -> ([\d.]+) MB .*?, ([\d.]+) s, ([\d.]+) MB\/s raw/.exec(r.stdout);
      const z = /zstd -3 -T0 over the same ([\d.]+) MB of JSON Lines: ([\d.]+) s, ([\d.]+) MB\/s/.exec(r.stdout);
      if (!b || !z) throw new Error('bench_backup printed no backup/zstd line');
      const ours = { documents: Number(b[1]), rawMB: Number(b[2]), compressedMB: Number(b[3]), seconds: Number(b[4]), mbPerSecond: Number(b[5]) };
      const zstd = { rawMB: Number(z[1]), seconds: Number(z[2]), mbPerSecond: Number(z[3]) };
      runs.push({ ours, zstd, ratio: round(ours.mbPerSecond / zstd.mbPerSecond), load: [load[0], loadavg()[0]] });
    }
    const median = [...runs].sort((x, y) => x.ratio - y.ratio)[(runs.length - 1) >> 1];
    return { ...median, runs: runs.map((x) => x.ratio) };
  }

  // ---- export: our backup through the engine against the SDK's query iterator ----
  async exportPair(emu, label, ruBudget) {
    log(`export (${label}): idabus-engine full backup, then the SDK iterator`);
    const load = loadavg();
    let p = await this.proxy(emu.url, `export-${label}-ours`);
    let ours;
    try {
      ours = await this.engineBackup(p.url, `export-${label}-ours`, { ruBudget });
    } finally {
      ours = { ...(ours ?? {}), proxy: await p.stop() };
    }
    log(`  ours: ${ours.documents} documents in ${ours.seconds.toFixed(2)} s`);
    p = await this.proxy(emu.url, `export-${label}-sdk`);
    let sdk;
    try {
      sdk = await this.sdkExport(p.url, `export-${label}-sdk`);
    } finally {
      sdk = { ...(sdk ?? {}), proxy: await p.stop() };
    }
    log(`  sdk:  ${sdk.documents} documents in ${sdk.seconds.toFixed(2)} s`);
    const summarize = (x) => ({ documents: x.documents, documentsRead: x.documentsRead, seconds: round(x.seconds), docsPerSecond: round(x.docsPerSecond, 1), ru: round(x.proxy.totals.ru, 1),
      requests: x.proxy.totals.requests, r429: x.proxy.totals.r429, ruPerSecond: round(x.proxy.totals.ru / x.seconds, 1), series: x.proxy.series });
    return { ours: { ...summarize(ours), basisSeconds: round(ours.basisSeconds), backups: ours.backups }, sdk: summarize(sdk), ratio: round(ours.docsPerSecond / sdk.docsPerSecond), load: [load[0], loadavg()[0]] };
  }

  async generateRestoreFiles(backups, out, collections, timed) {
    fs.mkdirSync(out, { recursive: true });
    const until = new Date(Date.now() + 60000).toISOString();
    const timeFile = timed ? path.join(out, '..', `${path.basename(out)}.time`) : undefined;
    const r = await runTool(this.tool('importTool'), ['--generateRestoreFiles', backups, out, collections.join(','), until], { timeFile, log: path.join(this.logs, 'generate.log') });
    if (r.code !== 0) throw new Error(`importTool --generateRestoreFiles exited ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
    return { seconds: r.seconds, peakRssKb: r.peakRssKb };
  }

  // Per-range RU, the hot-range bound and what the proxy saw, for one restore into a collection of
  // `offer` RU/s over `ranges` ranges.
  restoreFigures(proxy, documents, seconds, offer) {
    const t = proxy.totals;
    const share = offer / this.o.partitions;
    const ranged = Object.entries(t.byRange).filter(([r]) => r !== '-');
    const boundSeconds = ranged.length ? Math.max(...ranged.map(([, ru]) => ru / share)) : null;
    const hot = ranged.length ? ranged.reduce((a, b) => (b[1] > a[1] ? b : a))[0] : null;
    // Units of work: a bulk operation, or a request that is not a bulk one; throttled: a bulk
    // operation refused with 429 (alone or with its whole request), or a plain request answered 429.
    const plain = t.requests - t.bulkRequests;
    const plain429 = t.r429 - t.bulkR429;
    return {
      documents, seconds: round(seconds), docsPerSecond: round(documents / seconds, 1), ru: round(t.ru, 1), ruPerSecond: round(t.ru / seconds, 1),
      budgetUtilization: round(t.ru / seconds / offer, 4), boundSeconds: round(boundSeconds), hotRange: hot,
      boundRuPerSecond: boundSeconds ? round(t.ru / boundSeconds, 1) : null, boundUtilization: boundSeconds ? round(boundSeconds / seconds, 4) : null,
      ruByRange: Object.fromEntries(Object.entries(t.byRange).map(([r, ru]) => [r, round(ru, 1)])),
      requests: t.requests, r429: t.r429, bulkRequests: t.bulkRequests, bulkOps: t.ops, bulkOpsThrottled: t.opsThrottled,
      throttledShare: round((t.opsThrottled + plain429) / Math.max(1, t.ops + plain), 5),
      requestsThrottledShare: round(t.r429 / Math.max(1, t.requests), 5),
      series: proxy.series,
    };
  }

  // ---- restore: importTool -exportRaw against the SDK's executeBulkOperations ----
  async restorePair(emu, backups) {
    const files = path.join(this.work, 'restore-files');
    log('restore: importTool --generateRestoreFiles from the unthrottled backup');
    await this.generateRestoreFiles(backups, files, RESTORED.map(([c]) => c), false);
    const admin = sdkClient(emu.url);
    const out = { offer: this.o.offer, partitions: this.o.partitions, collections: {} };
    try {
      for (const [coll, pk] of RESTORED) {
        const load = loadavg();
        await ensureCollection(admin, 'restore_ours', coll, pk, this.o.offer);
        await ensureCollection(admin, 'restore_sdk', coll, pk, this.o.offer);
        log(`restore ${coll} at ${this.o.offer} RU/s: importTool -exportRaw`);
        let p = await this.proxy(emu.url, `restore-${coll}-ours`);
        const ours = await runTool(this.tool('importTool'), ['-exportRaw', files, connection(p.url), 'restore_ours', coll, pk.slice(1)], { log: path.join(this.logs, `restore-${coll}-ours.log`) });
        const oursSeries = await p.stop();
        const documents = this.restoreFileDocuments(files, coll);
        const o = this.restoreFigures(oursSeries, documents, ours.seconds, this.o.offer);
        o.exitCode = ours.code;
        o.summary = ours.stderr.trim().split('\n').pop();
        log(`  ours: exit ${ours.code}, ${documents} documents in ${ours.seconds.toFixed(2)} s, ${o.ruPerSecond} RU/s, bound ${o.boundUtilization}`);
        log(`restore ${coll} at ${this.o.offer} RU/s: SDK executeBulkOperations`);
        p = await this.proxy(emu.url, `restore-${coll}-sdk`);
        const sdk = await runTool(process.execPath, [path.join(here, 'sdk_import.mjs'), '--endpoint', p.url, '--database', 'restore_sdk', '--collection', coll, '--files', files], { log: path.join(this.logs, `restore-${coll}-sdk.log`) });
        const sdkSeries = await p.stop();
        if (sdk.code !== 0) throw new Error(`sdk_import exited ${sdk.code}: ${sdk.stderr.trim().split('\n').slice(-3).join(' ')}`);
        const sdkOut = JSON.parse(sdk.stdout.trim().split('\n').pop());
        const s = this.restoreFigures(sdkSeries, sdkOut.succeeded, sdk.seconds, this.o.offer);
        s.failed = sdkOut.failed;
        s.failures = sdkOut.failures;
        s.retriesRanOut = (sdkOut.failures['429'] ?? 0) > 0;
        log(`  sdk:  ${sdkOut.succeeded} of ${sdkOut.documents} documents in ${sdk.seconds.toFixed(2)} s, ${s.ruPerSecond} RU/s, bound ${s.boundUtilization}, failed ${sdkOut.failed}`);
        out.collections[coll] = { ours: o, sdk: s, ratio: round(o.docsPerSecond / s.docsPerSecond), load: [load[0], loadavg()[0]] };
      }
    } finally {
      admin.dispose();
    }
    return out;
  }

  // Documents of `coll` in the restore files: the plan's per-file counts, else the files' arrays.
  restoreFileDocuments(dir, coll) {
    const plan = JSON.parse(fs.readFileSync(path.join(dir, 'restore-plan.json'), 'utf8'));
    let total = 0;
    const walk = (v) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        const f = v.file ?? v.name ?? v.path;
        if (typeof f === 'string' && path.basename(f).startsWith(`${coll}.`) && typeof v.documents === 'number') total += v.documents;
        else Object.values(v).forEach(walk);
      }
    };
    walk(plan);
    if (total > 0) return total;
    for (const f of fs.readdirSync(dir).filter((x) => x.startsWith(`${coll}.`) && x.endsWith('.json'))) {
      total += JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).length;
    }
    return total;
  }

  // ---- scale: backup and restore unthrottled at each N, /usr/bin/time -v on each process ----
  async scale(n) {
    log(`scale N=${n}: emulator, tenant-gen, backup (engine under time -v), restore files, exportRaw`);
    const load = loadavg();
    const emu = await this.emulator(`scale-${n}`);
    try {
      await this.tenant(emu.url, n);
      const b = await this.engineBackup(emu.url, `scale-${n}`, { timed: true });
      const row = { documents: n, load: [load[0], 0],
        backup: { documents: b.documents, seconds: round(b.seconds), usPerDocument: round(b.seconds / b.documents * 1e6, 1), peakRssKb: this.lastRss } };
      log(`  backup: ${b.documents} documents in ${b.seconds.toFixed(2)} s, peak RSS ${this.lastRss} kB`);
      if (this.has('importTool')) {
        try {
          await this.scaleRestore(emu, b.backups, n, row);
        } catch (e) {
          row.restoreError = e.message;
          log(`  restore failed: ${e.message}`);
        }
      }
      if (!this.o.keep) fs.rmSync(path.dirname(b.backups), { recursive: true, force: true });
      row.load[1] = loadavg()[0];
      return row;
    } finally {
      await emu.stop();
    }
  }

  // Restore files and exportRaw of the three collections into unthrottled collections, each
  // process under /usr/bin/time -v.
  async scaleRestore(emu, backups, n, row) {
    const files = path.join(this.work, `scale-${n}-files`);
    const names = COLLECTIONS.map(([c]) => c);
    const g = await this.generateRestoreFiles(backups, files, names, true);
    row.generate = { seconds: round(g.seconds), usPerDocument: round(g.seconds / n * 1e6, 1), peakRssKb: g.peakRssKb };
    const admin = sdkClient(emu.url);
    let seconds = 0;
    let peak = 0;
    let documents = 0;
    try {
      for (const [coll, pk] of COLLECTIONS) {
        await ensureCollection(admin, 'restore_scale', coll, pk, 0);
        const tf = path.join(this.work, `scale-${n}-${coll}.time`);
        const r = await runTool(this.tool('importTool'), ['-exportRaw', files, connection(emu.url), 'restore_scale', coll, pk.slice(1)], { timeFile: tf, log: path.join(this.logs, `scale-${n}-restore.log`) });
        if (r.code !== 0) throw new Error(`importTool -exportRaw ${coll} exited ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
        seconds += r.seconds;
        peak = Math.max(peak, r.peakRssKb ?? 0);
        documents += this.restoreFileDocuments(files, coll);
      }
    } finally {
      admin.dispose();
    }
    row.restore = { documents, seconds: round(seconds), usPerDocument: round(seconds / documents * 1e6, 1), peakRssKb: peak };
    log(`  restore: ${documents} documents in ${seconds.toFixed(2)} s, peak RSS ${peak} kB`);
    if (!this.o.keep) fs.rmSync(files, { recursive: true, force: true });
  }


  // Steps 1-3 on one emulator and one tenant of N documents: the backup CPU path, export
  // unthrottled, export at the offer, restore. A failed step is named in results.errors and the
  // next one still runs.
  async comparisons(results) {
    const o = this.o;
    const step = async (name, fn) => {
      try {
        results[name] = await fn();
      } catch (e) {
        log(`${name} failed: ${e.message}`);
        results.errors.push({ step: name, error: e.message });
      }
    };
    const emu = await this.emulator('main');
    try {
      log(`tenant-gen: ${o.documents} documents into '${DATABASE}' (${o.partitions} partitions, unthrottled)`);
      await this.tenant(emu.url, o.documents);
      if (!o.skip.has('cpu')) await step('backupCpu', () => this.backupCpu(emu.url));
      let unthrottledBackups = null;
      if (!o.skip.has('export')) {
        await step('exportUnthrottled', async () => {
          const r = await this.exportPair(emu, 'unthrottled', 0);
          unthrottledBackups = r.ours.backups;
          return r;
        });
        const admin = sdkClient(emu.url);
        try {
          for (const [c] of COLLECTIONS) await setThroughput(admin, DATABASE, c, o.offer);
        } finally {
          admin.dispose();
        }
        await step('exportThrottled', () => this.exportPair(emu, `${o.offer}`, 0));
      }
      if (!o.skip.has('restore')) {
        if (!this.has('importTool')) results.errors.push({ step: 'restore', error: 'importTool is not built' });
        else if (!unthrottledBackups) results.errors.push({ step: 'restore', error: 'no backup to restore (export step skipped or failed)' });
        else await step('restore', () => this.restorePair(emu, unthrottledBackups));
      }
    } finally {
      await emu.stop();
    }
  }

  async run() {
    const o = this.o;
    const results = {
      schema: 1, date: new Date().toISOString().slice(0, 10), startedAt: new Date().toISOString(), quick: o.quick,
      git: gitRevision(), machine: { cores: os.cpus().length, memoryGB: round(os.totalmem() / 2 ** 30, 1), loadStart: loadavg() },
      settings: { documents: o.documents, partitions: o.partitions, offer: o.offer, scale: o.scale, pageSize: 1000, engineChunkBytes: o.chunkBytes ?? 'default', sdk: sdkVersion() },
      notes: [], errors: [],
    };
    if (['cpu', 'export', 'restore'].some((x) => !o.skip.has(x))) await this.comparisons(results);
    if (!o.skip.has('scale')) {
      results.scale = [];
      for (const n of o.scale) {
        try {
          const row = await this.scale(n);
          results.scale.push(row);
          if (row.restoreError) results.errors.push({ step: `scale ${n} restore`, error: row.restoreError });
        } catch (e) {
          log(`scale ${n} failed: ${e.message}`);
          results.errors.push({ step: `scale ${n}`, error: e.message });
        }
      }
    }
    results.finishedAt = new Date().toISOString();
    results.machine.loadEnd = loadavg();
    results.notes.push(`machine: ${results.machine.cores} cores; load average (1 min) ${results.machine.loadStart[0]} at the start, ${results.machine.loadEnd[0]} at the end: ` +
      (Math.max(results.machine.loadStart[0], results.machine.loadEnd[0]) > results.machine.cores ? 'other work shared the cores, figures are noisy (lower bounds)' : 'quiet'));
    return results;
  }
}

function gitRevision() {
  try {
    return execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function sdkVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'node_modules/@azure/cosmos/package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

export async function runSuite(opts) {
  const suite = new Suite(opts);
  const stop = () => { stopAll(); process.exit(130); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const results = await suite.run();
    fs.mkdirSync(path.dirname(opts.out), { recursive: true });
    fs.writeFileSync(opts.out, JSON.stringify(results, null, 1) + '\n');
    log(`results: ${opts.out}${results.errors.length ? ` (${results.errors.length} step(s) failed)` : ''}`);
    if (!opts.keep) fs.rmSync(suite.work, { recursive: true, force: true });
    else log(`work folder kept: ${suite.work}`);
    return results.errors.length ? 1 : 0;
  } finally {
    stopAll();
  }
}

function parseArgs(argv) {
  const o = { quick: false, documents: null, partitions: 4, offer: 10000, scale: null, million: false, skip: new Set(), keep: false, out: null, bin: path.join(root, 'build', 'bin') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    if (a === '--quick') o.quick = true;
    else if (a === '--cpu-runs') o.cpuRuns = Number(v());
    else if (a === '--documents') o.documents = Number(v());
    else if (a === '--scale') o.scale = v().split(',').map(Number);
    else if (a === '--million') o.million = true;
    else if (a === '--skip') v().split(',').forEach((s) => o.skip.add(s));
    else if (a === '--out') o.out = v();
    else if (a === '--bin') o.bin = v();
    else if (a === '--keep') o.keep = true;
    else if (a === '--chunk-bytes') o.chunkBytes = Number(v());
    else throw new Error(`unknown option ${a}`);
  }
  o.documents ??= o.quick ? 5000 : 100000;
  o.cpuRuns ??= o.quick ? 1 : 3;
  o.scale ??= o.quick ? [2000, 5000] : [10000, 100000];
  if (o.million && !o.scale.includes(1000000)) o.scale.push(1000000);
  if ([o.documents, ...o.scale].some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('document counts must be positive integers');
  if (!Number.isInteger(o.cpuRuns) || o.cpuRuns <= 0) throw new Error('--cpu-runs must be a positive integer');
  o.out ??= path.join(here, 'results', `${new Date().toISOString().slice(0, 10)}.json`);
  return o;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`run.sh: ${e.message}`);
    process.exit(2);
  }
  runSuite(opts).then((code) => process.exit(code), (e) => {
    console.error(`run.sh: ${e.stack ?? e}`);
    stopAll();
    process.exit(1);
  });
}
