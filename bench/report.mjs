// The benchmark report of issue 11: a results file of bench/run.sh -> <same name>.md with tables,
// the targets of issue 11 item 4 (met or missed, and by how much) and PNG plots drawn by gnuplot
// (RU/s over time against the budget for our restore and the SDK's; throughput and peak RSS
// against N). bench/report is the command; see its --help.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const pct = (x, d = 1) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(d)} %`);
const num = (x, d = 0) => (x === null || x === undefined ? '—' : Number(x).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const mb = (kb) => (kb ? `${num(kb / 1024, 0)} MB` : '—');

/// One target: { name, target, measured, status: met|missed|not measured, detail }.
function atLeast(name, target, value, goal, show, unit = '') {
  if (value === null || value === undefined) return { name, target, measured: 'not measured', status: 'not measured', detail: '' };
  const met = value >= goal;
  const gap = met ? `${show(value - goal)}${unit} above` : `${show(goal - value)}${unit} short`;
  return { name, target, measured: show(value) + unit, status: met ? 'met' : 'missed', detail: gap };
}

const fmt2 = (x) => x.toFixed(2);
const points = (x) => (x * 100).toFixed(1);

/// The targets of issue 11 item 4, evaluated on a results object.
export function evaluateTargets(r) {
  const out = [];
  const restore = r.restore?.collections ?? {};
  for (const [coll, c] of Object.entries(restore)) {
    const o = c.ours;
    const bound = atLeast(`restore ${coll}: share of the achievable (hot-range) bound`, '≥ 95 %', o?.boundUtilization, 0.95, points, ' points');
    if (bound.status !== 'not measured') bound.measured = pct(o.boundUtilization);
    out.push(bound);
    const share = o?.throttledShare;
    out.push(share === null || share === undefined
      ? { name: `restore ${coll}: throttled share`, target: '≤ 1 %', measured: 'not measured', status: 'not measured', detail: '' }
      : { name: `restore ${coll}: throttled share`, target: '≤ 1 %', measured: pct(share, 2), status: share <= 0.01 ? 'met' : 'missed',
        detail: share <= 0.01 ? `${((0.01 - share) * 100).toFixed(2)} points below` : `${((share - 0.01) * 100).toFixed(2)} points over` });
    out.push(atLeast(`restore ${coll}: documents/s ÷ SDK bulk import`, '≥ 1.3×', c.ratio, 1.3, fmt2, '×'));
  }
  if (Object.keys(restore).length === 0) {
    out.push({ name: 'restore: bound, throttled share, ÷ SDK', target: '≥ 95 %, ≤ 1 %, ≥ 1.3×', measured: 'not measured', status: 'not measured', detail: (r.errors ?? []).find((e) => e.step === 'restore')?.error ?? '' });
  }
  out.push(atLeast('backup CPU path MB/s ÷ zstd -3 -T0', '≥ 0.6×', r.backupCpu?.ratio, 0.6, fmt2, '×'));
  out.push(atLeast('export documents/s ÷ SDK iterator, unthrottled', '≥ 1.5×', r.exportUnthrottled?.ratio, 1.5, fmt2, '×'));
  out.push(...rssTargets(r.scale ?? []));
  return out;
}

// Peak RSS flat (within 20 %) from 10^5 to 10^6 documents; with fewer points, over the two largest
// N measured (named in the row).
function rssTargets(scale) {
  const rows = [...scale].filter((s) => s.backup).sort((a, b) => a.documents - b.documents);
  const out = [];
  for (const kind of ['backup', 'restore']) {
    const have = rows.filter((s) => s[kind]?.peakRssKb);
    const hi = have.find((s) => s.documents === 1e6) ?? have[have.length - 1];
    const lo = have.find((s) => s.documents === 1e5 && s !== hi) ?? have[have.length - 2];
    const name = `${kind} peak RSS flat from 10^5 to 10^6 documents`;
    if (!hi || !lo || hi === lo) {
      out.push({ name, target: 'within 20 %', measured: 'not measured', status: 'not measured', detail: '' });
      continue;
    }
    const growth = hi[kind].peakRssKb / lo[kind].peakRssKb - 1;
    const span = `${num(lo.documents)} → ${num(hi.documents)}`;
    const proxy = lo.documents === 1e5 && hi.documents === 1e6 ? '' : ` (measured over ${span} only)`;
    out.push({ name, target: 'within 20 %', measured: `${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} % (${mb(lo[kind].peakRssKb)} → ${mb(hi[kind].peakRssKb)})${proxy}`,
      status: Math.abs(growth) <= 0.2 ? 'met' : 'missed', detail: Math.abs(growth) <= 0.2 ? '' : `${((Math.abs(growth) - 0.2) * 100).toFixed(1)} points over` });
  }
  return out;
}

/// Dense per-second RU/s of a proxy series, from its first busy second: [[t, ru], ...].
export function ruOverTime(series) {
  if (!series?.length) return [];
  const first = series[0].t;
  const last = series[series.length - 1].t;
  const by = new Map(series.map((b) => [b.t, b.ru]));
  const out = [];
  for (let t = first; t <= last; t++) out.push([t - first, by.get(t) ?? 0]);
  return out;
}

function gnuplot(script) {
  const r = spawnSync('gnuplot', [], { input: script, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`gnuplot: ${r.error?.message ?? r.stderr}`);
}

function plotRestoreRu(r, coll, file, { width = 900, height = 420 } = {}) {
  const c = r.restore.collections[coll];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  const lines = [];
  for (const tool of ['ours', 'sdk']) {
    const f = path.join(tmp, `${tool}.dat`);
    fs.writeFileSync(f, ruOverTime(c[tool].series).map(([t, ru]) => `${t} ${ru}`).join('\n') + '\n');
    lines.push(`'${f}' using 1:2 with steps lw 2 title '${tool === 'ours' ? 'importTool -exportRaw' : '@azure/cosmos executeBulkOperations'}'`);
  }
  const bound = c.ours.boundRuPerSecond;
  lines.push(`${r.restore.offer} with lines dt 2 lw 2 lc rgb 'black' title 'budget (${num(r.restore.offer)} RU/s)'`);
  if (bound) lines.push(`${bound} with lines dt 3 lw 2 lc rgb 'gray40' title 'hot-range bound (${num(bound)} RU/s)'`);
  gnuplot(`set terminal pngcairo noenhanced size ${width},${height} font 'sans,10'
set output '${file}'
set title 'restore of ${coll}: RU/s per second (counting proxy), ${num(c.ours.documents)} documents, ${r.restore.partitions} ranges'
set xlabel 'seconds'
set ylabel 'RU/s'
set yrange [0:${Math.ceil(r.restore.offer * 1.3)}]
set key outside below maxrows 2
set grid
plot ${lines.join(', ')}
`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

function plotScale(r, file, kind) {
  const rows = [...r.scale].sort((a, b) => a.documents - b.documents);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  const f = path.join(tmp, 'scale.dat');
  const value = (x) => (kind === 'rss' ? (x?.peakRssKb ? x.peakRssKb / 1024 : 'NaN') : (x?.seconds ? x.documents / x.seconds : 'NaN'));
  fs.writeFileSync(f, rows.map((s) => `${s.documents} ${value(s.backup)} ${value(s.restore)}`).join('\n') + '\n');
  gnuplot(`set terminal pngcairo noenhanced size 700,400 font 'sans,10'
set output '${file}'
set title '${kind === 'rss' ? 'peak RSS (/usr/bin/time -v) against N' : 'documents/s against N (unthrottled)'}'
set logscale x
set format x '10^%T'
set offsets graph 0.05, graph 0.05, 0, 0
set xlabel 'documents (N)'
set ylabel '${kind === 'rss' ? 'MB' : 'documents/s'}'
set yrange [0:*]
set grid
set key top left
plot '${f}' using 1:2 with linespoints lw 2 title 'backup (idabus-engine)', '${f}' using 1:3 with linespoints lw 2 title 'restore (importTool -exportRaw)'
`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

/// The report's Markdown; `plots` maps a plot's role to its file name (next to the .md).
export function renderMarkdown(r, plots = {}) {
  const L = [];
  L.push(`# Benchmark report ${r.date}${r.quick ? ' (quick)' : ''}`, '');
  L.push(`Commit ${r.git ?? '?'}; ${r.machine.cores} cores, ${r.machine.memoryGB} GB; load average (1, 5, 15 min) ${r.machine.loadStart.join(', ')} at the start, ${(r.machine.loadEnd ?? []).join(', ')} at the end.`);
  L.push(`Tenant: ${num(r.settings.documents)} documents (tenant-gen), cosmos-emulator with ${r.settings.partitions} partitions; @azure/cosmos ${r.settings.sdk ?? '?'}; RU, requests and 429s counted by bench/count_proxy.mjs.`, '');
  for (const n of r.notes ?? []) L.push(`- ${n}`);
  for (const e of r.errors ?? []) L.push(`- **step failed: ${e.step}**: ${e.error}`);
  L.push('', '## Targets (issue 11 item 4)', '', '| target | goal | measured | status |', '|---|---|---|---|');
  for (const t of evaluateTargets(r)) L.push(`| ${t.name} | ${t.target} | ${t.measured} | **${t.status}**${t.detail ? ` (${t.detail})` : ''} |`);

  if (r.backupCpu) {
    const b = r.backupCpu;
    L.push('', '## Backup CPU path', '', '| | documents | raw JSON Lines | seconds | MB/s |', '|---|---|---|---|---|');
    L.push(`| our backup (bench_backup, emulator unthrottled) | ${num(b.ours.documents)} | ${b.ours.rawMB} MB → ${b.ours.compressedMB} MB | ${b.ours.seconds} | ${b.ours.mbPerSecond} |`);
    L.push(`| zstd -3 -T0, same JSON Lines | | ${b.zstd.rawMB} MB | ${b.zstd.seconds} | ${b.zstd.mbPerSecond} |`);
    const of = b.runs?.length > 1 ? `, the median of ${b.runs.length} runs: ${b.runs.join(', ')}; the table shows that run` : '';
    L.push('', `Ratio ${b.ratio}${of} (load average ${b.load.join(' → ')}).`);
  }
  const exp = [['unthrottled', r.exportUnthrottled], [`${num(r.settings.offer)} RU/s per collection`, r.exportThrottled]].filter(([, x]) => x);
  if (exp.length) {
    L.push('', '## Export: full backup through idabus-engine against the SDK query iterator', '');
    L.push('| collections at | tool | documents | seconds | documents/s | RU/s | requests | 429 | ratio |', '|---|---|---|---|---|---|---|---|---|');
    for (const [label, x] of exp) {
      L.push(`| ${label} | idabus-engine backup | ${num(x.ours.documents)} | ${x.ours.seconds} | ${num(x.ours.docsPerSecond)} | ${num(x.ours.ruPerSecond)} | ${x.ours.requests} | ${x.ours.r429} | **${x.ratio}** |`);
      L.push(`| | SDK iterator (gzip JSON Lines) | ${num(x.sdk.documents)} | ${x.sdk.seconds} | ${num(x.sdk.docsPerSecond)} | ${num(x.sdk.ruPerSecond)} | ${x.sdk.requests} | ${x.sdk.r429} | |`);
    }
    L.push('', 'The backup\'s time is the whole job (PUT create to status 204: basis, maintenance, read-only delta pass, manifest); ' +
      `its basis phase alone took ${exp.map(([label, x]) => `${x.ours.basisSeconds ?? '?'} s (${label})`).join(', ')}.`);
  }
  if (r.restore && Object.keys(r.restore.collections).length) {
    L.push('', `## Restore into collections of ${num(r.restore.offer)} RU/s (${r.restore.partitions} ranges)`, '');
    L.push('| collection | tool | documents | seconds | documents/s | RU/s | of the budget | hot-range bound | of the bound | throttled share | 429 responses | failed | ratio |');
    L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const [coll, c] of Object.entries(r.restore.collections)) {
      for (const tool of ['ours', 'sdk']) {
        const x = c[tool];
        const name = tool === 'ours' ? 'importTool -exportRaw' : 'SDK executeBulkOperations';
        const failed = tool === 'ours' ? (x.exitCode === 0 ? 0 : `exit ${x.exitCode}`) : (x.failed ? `${x.failed} (${Object.entries(x.failures).map(([k, v]) => `${v}× ${k}`).join(', ')})${x.retriesRanOut ? ': the SDK\'s retries ran out' : ''}` : 0);
        L.push(`| ${tool === 'ours' ? coll : ''} | ${name} | ${num(x.documents)} | ${x.seconds} | ${num(x.docsPerSecond)} | ${num(x.ruPerSecond)} | ${pct(x.budgetUtilization)} | ${num(x.boundRuPerSecond)} RU/s (range ${x.hotRange ?? '?'}) | ${pct(x.boundUtilization)} | ${pct(x.throttledShare, 2)} | ${x.r429} of ${x.requests} | ${failed} | ${tool === 'ours' ? `**${c.ratio}**` : ''} |`);
      }
    }
    L.push('', 'Bound: T_min = max over ranges (RU the tool spent on the range ÷ offer/ranges), from the proxy\'s per-range RU; "of the bound" = T_min ÷ elapsed. Throttled share: bulk operations refused with 429 plus other requests answered 429, over bulk operations plus other requests.');
    for (const coll of Object.keys(r.restore.collections)) {
      if (plots[`ru-${coll}`]) L.push('', `![RU/s over time, restore of ${coll}](${plots[`ru-${coll}`]})`);
    }
  }
  if (r.scale?.length) {
    L.push('', '## Scale (unthrottled; /usr/bin/time -v per process)', '');
    L.push('| N | backup s | µs/document | backup peak RSS | restore files s | peak RSS | restore s | µs/document | restore peak RSS |', '|---|---|---|---|---|---|---|---|---|');
    for (const s of [...r.scale].sort((a, b) => a.documents - b.documents)) {
      L.push(`| ${num(s.documents)} | ${s.backup?.seconds ?? '—'} | ${s.backup?.usPerDocument ?? '—'} | ${mb(s.backup?.peakRssKb)} | ${s.generate?.seconds ?? '—'} | ${mb(s.generate?.peakRssKb)} | ${s.restore?.seconds ?? '—'} | ${s.restore?.usPerDocument ?? '—'} | ${mb(s.restore?.peakRssKb)} |`);
    }
    if (plots.throughput) L.push('', `![throughput against N](${plots.throughput})`);
    if (plots.rss) L.push('', `![peak RSS against N](${plots.rss})`);
  }
  return L.join('\n') + '\n';
}

function main(argv) {
  const usage = 'usage: bench/report RESULTS.json [--readme-png FILE] [--no-plots]\n' +
    'Writes RESULTS.md and RESULTS-*.png next to RESULTS.json (plots need gnuplot); --readme-png also\n' +
    'writes a small RU-over-time plot of the Resources restore to FILE.';
  const args = argv.filter((a) => !a.startsWith('--'));
  if (argv.includes('--help') || argv.includes('-h')) { console.log(usage); return 0; }
  const readmeAt = argv.indexOf('--readme-png');
  const readmePng = readmeAt >= 0 ? argv[readmeAt + 1] : null;
  const input = args.find((a) => a !== readmePng);
  if (!input) { console.error(usage); return 2; }
  const r = JSON.parse(fs.readFileSync(input, 'utf8'));
  const base = input.replace(/\.json$/, '');
  const plots = {};
  const want = !argv.includes('--no-plots');
  const canPlot = want && spawnSync('gnuplot', ['--version']).status === 0;
  if (want && !canPlot) console.error('report: gnuplot not found (tools/setup.sh installs gnuplot-nox): no plots');
  if (canPlot) {
    for (const coll of Object.keys(r.restore?.collections ?? {})) {
      const f = `${base}-restore-ru-${coll}.png`;
      plotRestoreRu(r, coll, f);
      plots[`ru-${coll}`] = path.basename(f);
    }
    if (r.scale?.length) {
      plotScale(r, `${base}-throughput.png`, 'throughput');
      plotScale(r, `${base}-rss.png`, 'rss');
      plots.throughput = path.basename(`${base}-throughput.png`);
      plots.rss = path.basename(`${base}-rss.png`);
    }
    if (readmePng) {
      if (!r.restore?.collections?.Resources) throw new Error('no Resources restore in the results: no README plot');
      plotRestoreRu(r, 'Resources', readmePng, { width: 640, height: 340 });
    }
  }
  fs.writeFileSync(`${base}.md`, renderMarkdown(r, plots));
  console.log(`${base}.md${Object.keys(plots).length ? ` and ${Object.keys(plots).length} plot(s)` : ''}`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    console.error(`report: ${e.message}`);
    process.exit(1);
  }
}
