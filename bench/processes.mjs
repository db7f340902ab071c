// Child processes of the benchmark driver: servers that announce "listening on <url>" on their first
// stdout lines, tools run to completion (optionally under `/usr/bin/time -v` for the peak RSS), and
// a registry so that no process outlives the driver, also on Ctrl-C.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';

const live = new Set();

export function stopAll() {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

/// The peak RSS in kB that `/usr/bin/time -v -o FILE` wrote, or null.
export function peakRssKb(file) {
  if (!file || !fs.existsSync(file)) return null;
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(fs.readFileSync(file, 'utf8'));
  return m ? Number(m[1]) : null;
}

function wrap(cmd, args, timeFile) {
  return timeFile ? ['/usr/bin/time', ['-v', '-o', timeFile, cmd, ...args]] : [cmd, args];
}

/// Starts a server; resolves { url, child, stop() } once a stdout line "listening on <url>" came.
/// stderr goes to `log`. With `timeFile`, the server runs under /usr/bin/time -v and stop() signals
/// the server itself (time forwards no signal) and resolves with its peak RSS.
export function startServer(cmd, args, { log, timeFile, env, timeoutMs = 30000 } = {}) {
  const [c, a] = wrap(cmd, args, timeFile);
  const err = fs.openSync(log, 'a');
  const child = spawn(c, a, { stdio: ['ignore', 'pipe', err], env: env ?? process.env });
  fs.closeSync(err);
  live.add(child);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => { live.delete(child); resolve({ code, signal }); }));
  const lines = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${cmd}: no "listening on" line within ${timeoutMs} ms (log: ${log})`)); }, timeoutMs);
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`${cmd} exited (${code}) before listening (log: ${log})`)); });
    lines.on('line', (line) => {
      const m = /^listening on (\S+)$/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[1].replace(/\/$/, ''),
        child,
        async stop() {
          let target = child.pid;
          if (timeFile) {
            const kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
            if (kids[0]) target = Number(kids[0]);
          }
          if (child.exitCode === null && child.signalCode === null) process.kill(target, 'SIGTERM');
          const r = await exited;
          return { ...r, peakRssKb: peakRssKb(timeFile) };
        },
      });
    });
  });
}

/// Runs a tool to completion; resolves { code, stdout, stderr, seconds, peakRssKb }.
export function runTool(cmd, args, { timeFile, env, log } = {}) {
  const [c, a] = wrap(cmd, args, timeFile);
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(c, a, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('exit', (code) => {
      live.delete(child);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (log) fs.appendFileSync(log, `$ ${cmd} ${args.join(' ')}\n${stdout}${stderr}\n`);
      resolve({ code, stdout, stderr, seconds, peakRssKb: peakRssKb(timeFile) });
    });
  });
}
