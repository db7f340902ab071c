// Helper for the emulator's node tests: starts build/bin/cosmos-emulator (IDABUS_BIN_DIR) on an
// ephemeral port and stops it. Not a test file itself (no .test.cjs suffix).
'use strict';

const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const PUBLIC_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

function binary() {
  const dir = process.env.IDABUS_BIN_DIR;
  if (!dir) throw new Error('IDABUS_BIN_DIR is not set (it must point at build/bin)');
  return path.join(dir, 'cosmos-emulator');
}

/// Starts `cosmos-emulator --port 0 ...args`; resolves { url, child, stop(), exited } once the first
/// stdout line ("listening on <url>") arrived. stop() sends SIGTERM and resolves with the exit code.
function startEmulator(args = [], { timeoutMs = 10000 } = {}) {
  const child = spawn(binary(), ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  const lines = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no listening line within ${timeoutMs} ms; stderr: ${stderr}`)); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`cosmos-emulator exited (${code}) before listening: ${stderr}`)); });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /^listening on (https?:\/\/\S+)$/.exec(line);
      if (!m) { child.kill('SIGKILL'); reject(new Error(`unexpected first line: ${line}`)); return; }
      let stopping;
      resolve({
        url: m[1],
        child,
        exited,
        stop() {
          if (!stopping) {
            stopping = exited;
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          }
          return stopping;
        },
      });
    });
  });
}

/// Runs cosmos-emulator with `args` to completion; resolves { code, stdout, stderr }.
function runEmulator(args, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('cosmos-emulator did not exit')); }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

module.exports = { startEmulator, runEmulator, PUBLIC_KEY };
