// bench/report.mjs: the targets of issue 11 item 4 judged from a results file (met or missed, by how
// much), the RU-over-time series it plots, and the Markdown it writes; plus the --help of
// bench/run.sh and bench/report (their smoke test: no benchmark runs here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { evaluateTargets, renderMarkdown, ruOverTime } from '../../bench/report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function restoreOf(boundUtilization, throttledShare, docsPerSecond) {
  return { documents: 1000, seconds: 10, docsPerSecond, ruPerSecond: 4000, budgetUtilization: 0.4, boundSeconds: 9, boundRuPerSecond: 4400,
    boundUtilization, hotRange: '2', throttledShare, r429: 0, requests: 50, exitCode: 0, failed: 0, failures: {},
    series: [{ t: 3, ru: 4000 }, { t: 5, ru: 3000 }] };
}

function results() {
  return {
    date: '2026-11-30', quick: true, git: 'abc1234', machine: { cores: 2, memoryGB: 24, loadStart: [9, 8, 7], loadEnd: [8, 8, 7] },
    settings: { documents: 1000, partitions: 4, offer: 10000, sdk: '4.9.3' }, notes: ['noisy'], errors: [],
    backupCpu: { ours: { documents: 1000, rawMB: 3, compressedMB: 1, seconds: 1, mbPerSecond: 30 }, zstd: { rawMB: 3, seconds: 0.1, mbPerSecond: 40 }, ratio: 0.75, load: [9, 9] },
    exportUnthrottled: { ours: { documents: 1000, seconds: 1 }, sdk: { documents: 1000, seconds: 1 }, ratio: 1.2 },
    restore: { offer: 10000, partitions: 4, collections: {
      Resources: { ours: restoreOf(0.97, 0.002, 260), sdk: restoreOf(0.5, 0.2, 200), ratio: 1.3 },
      Events: { ours: restoreOf(0.9, 0.03, 100), sdk: restoreOf(0.5, 0.2, 100), ratio: 1.0 },
    } },
    scale: [
      { documents: 10000, backup: { seconds: 1, documents: 10000, peakRssKb: 80000 }, restore: { seconds: 2, documents: 10000, peakRssKb: 50000 } },
      { documents: 100000, backup: { seconds: 10, documents: 100000, peakRssKb: 100000 }, restore: { seconds: 20, documents: 100000, peakRssKb: 60000 } },
      { documents: 1000000, backup: { seconds: 100, documents: 1000000, peakRssKb: 119000 }, restore: { seconds: 200, documents: 1000000, peakRssKb: 90000 } },
    ],
  };
}

const byName = (targets, part) => targets.find((t) => t.name.includes(part));

test('judges each target of issue 11 item 4 as met or missed with the margin', () => {
  const t = evaluateTargets(results());
  assert.equal(byName(t, 'restore Resources: share of the achievable').status, 'met');
  assert.equal(byName(t, 'restore Resources: share of the achievable').detail, '2.0 points above');
  assert.equal(byName(t, 'restore Events: share of the achievable').status, 'missed');
  assert.equal(byName(t, 'restore Events: share of the achievable').detail, '5.0 points short');
  assert.equal(byName(t, 'restore Resources: throttled').status, 'met');
  assert.equal(byName(t, 'restore Events: throttled').status, 'missed');
  assert.equal(byName(t, 'restore Events: throttled').detail, '2.00 points over');
  assert.equal(byName(t, 'restore Resources: documents/s').status, 'met');
  assert.equal(byName(t, 'restore Events: documents/s').detail, '0.30× short');
  assert.equal(byName(t, 'backup CPU path').status, 'met');
  assert.equal(byName(t, 'export documents/s').status, 'missed');
  assert.equal(byName(t, 'backup peak RSS').status, 'met');
  assert.match(byName(t, 'backup peak RSS').measured, /^\+19\.0 %/);
  assert.equal(byName(t, 'restore peak RSS').status, 'missed');
  assert.equal(byName(t, 'restore peak RSS').detail, '30.0 points over');
});

test('without 10^6 documents the RSS target is judged over the two largest N and says so', () => {
  const r = results();
  r.scale.pop();
  r.scale.unshift({ documents: 2000, backup: { seconds: 1, documents: 2000, peakRssKb: 10000 } });
  const t = byName(evaluateTargets(r), 'backup peak RSS');
  assert.equal(t.status, 'missed');
  assert.match(t.measured, /\+25\.0 %.*measured over 10,000 → 100,000 only/);
  r.scale = r.scale.map((s) => ({ ...s, documents: s.documents / 2 }));
  assert.match(byName(evaluateTargets(r), 'backup peak RSS').measured, /\+25\.0 %.*measured over 5,000 → 50,000 only/);
});

test('a step that did not run is reported as not measured, never as met', () => {
  const r = results();
  delete r.restore;
  delete r.backupCpu;
  r.scale = [];
  r.errors = [{ step: 'restore', error: 'importTool is not built' }];
  const t = evaluateTargets(r);
  assert.ok(t.every((x) => x.status !== 'met' || x.name.startsWith('export')));
  assert.equal(byName(t, 'restore:').status, 'not measured');
  assert.equal(byName(t, 'restore:').detail, 'importTool is not built');
  assert.equal(byName(t, 'backup CPU').status, 'not measured');
});

test('RU over time starts at the first busy second and fills idle seconds with zero', () => {
  assert.deepEqual(ruOverTime([{ t: 3, ru: 10 }, { t: 6, ru: 5 }]), [[0, 10], [1, 0], [2, 0], [3, 5]]);
  assert.deepEqual(ruOverTime([]), []);
});

test('the Markdown holds the targets, every table and the plots it is given', () => {
  const md = renderMarkdown(results(), { 'ru-Resources': 'x-restore-ru-Resources.png', throughput: 't.png', rss: 'r.png' });
  assert.match(md, /## Targets \(issue 11 item 4\)/);
  assert.match(md, /\| restore Events: share of the achievable \(hot-range\) bound \| ≥ 95 % \| 90\.0 % \| \*\*missed\*\* \(5\.0 points short\) \|/);
  assert.match(md, /## Backup CPU path/);
  assert.match(md, /## Restore into collections of 10,000 RU\/s/);
  assert.match(md, /!\[RU\/s over time, restore of Resources\]\(x-restore-ru-Resources\.png\)/);
  assert.match(md, /\| 1,000,000 \| 100 \|/);
  assert.match(md, /load average \(1, 5, 15 min\) 9, 8, 7/);
});

test('the backup CPU path names every run when its ratio is the median of several', () => {
  const r = results();
  assert.match(renderMarkdown(r, {}), /Ratio 0\.75 \(load average/);
  r.backupCpu.runs = [0.61, 0.75, 0.8];
  assert.match(renderMarkdown(r, {}), /Ratio 0\.75, the median of 3 runs: 0\.61, 0\.75, 0\.8; the table shows that run \(load average/);
});

test('bench/report writes the Markdown and, with gnuplot, the plots', { timeout: 60000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-test-'));
  const file = path.join(dir, '2026-11-30.json');
  fs.writeFileSync(file, JSON.stringify(results()));
  const hasGnuplot = spawnSync('gnuplot', ['--version']).status === 0;
  const r = spawnSync(path.join(root, 'bench/report'), [file, ...(hasGnuplot ? [] : ['--no-plots'])], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(path.join(dir, '2026-11-30.md'), 'utf8'), /## Targets/);
  if (hasGnuplot) {
    for (const png of ['2026-11-30-restore-ru-Resources.png', '2026-11-30-throughput.png', '2026-11-30-rss.png']) {
      const head = fs.readFileSync(path.join(dir, png)).subarray(0, 8);
      assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], png);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bench/run.sh and bench/report answer --help with their usage and exit 0', () => {
  for (const [script, words] of [['bench/run.sh', /--quick/], ['bench/report', /RESULTS\.json/]]) {
    const r = spawnSync(path.join(root, script), ['--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${script}: ${r.stderr}`);
    assert.match(r.stdout, words);
  }
});
