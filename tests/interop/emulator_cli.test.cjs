// cosmos-emulator as a process: command line errors, the listening line, graceful stop, HTTPS,
// injected faults, and persistence across a restart on the same --data-dir (SDK as the client).
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startEmulator, runEmulator, PUBLIC_KEY } = require('./emulator_process.cjs');
const { CosmosClient } = require('@azure/cosmos');

test('a bad option exits 2 with one line naming the option and what was expected', async () => {
  const r = await runEmulator(['--port', 'eighty']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "cosmos-emulator: --port: expected an integer 0..65535, got 'eighty'\n");
  const unknown = await runEmulator(['--colour', 'blue']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option --colour/);
});

test('--help prints the usage and exits 0', async () => {
  const r = await runEmulator(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /usage: cosmos-emulator/);
});

test('an unusable TLS file exits 1 naming the file', async () => {
  const r = await runEmulator(['--port', '0', '--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\/nonexistent\/c\.pem/);
});

test('--port 0 prints the listening URL first and SIGTERM stops it with exit code 0', async () => {
  const emu = await startEmulator();
  assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const { code, signal } = await emu.stop();
  assert.equal(signal, null);
  assert.equal(code, 0);
});

test('with --tls-cert and --tls-key it listens on https and the SDK can use it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', key, '-out', cert], { stdio: 'ignore' });
  } catch {
    t.skip('openssl command line tool not available');
    return;
  }
  const emu = await startEmulator(['--tls-cert', cert, '--tls-key', key]);
  const https = require('node:https');
  const agent = new https.Agent({ ca: fs.readFileSync(cert) });
  const client = new CosmosClient({ endpoint: emu.url, key: PUBLIC_KEY, agent });
  try {
    assert.match(emu.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const { resource } = await client.databases.createIfNotExists({ id: 'tls' });
    assert.equal(resource.id, 'tls');
  } finally {
    client.dispose();
    await emu.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('under injected 503s and connection resets the SDK (plus a retry loop for writes) completes', async () => {
  const emu = await startEmulator(['--fault-503', '0.2', '--fault-reset', '0.1', '--seed', '7']);
  const client = new CosmosClient({ endpoint: emu.url, key: PUBLIC_KEY });
  try {
    // Writes are not retried by the SDK on 503/resets (not idempotent): retry them here.
    const retry = async (fn) => {
      for (let i = 0; ; i++) {
        try { return await fn(); } catch (e) { if (i >= 20) throw e; }
      }
    };
    const { database } = await retry(() => client.databases.createIfNotExists({ id: 'faulty' }));
    const { container } = await retry(() => database.containers.createIfNotExists({ id: 'c', partitionKey: { paths: ['/id'] } }));
    let failures = 0;
    for (let i = 0; i < 40; i++) {
      await retry(async () => {
        try { return await container.items.upsert({ id: `d${i}`, v: i }); } catch (e) { failures++; throw e; }
      });
    }
    assert.ok(failures > 0, 'no injected fault was seen');
    const { resources } = await retry(() => container.items.query('SELECT * FROM c').fetchAll());
    assert.equal(resources.length, 40);
  } finally {
    client.dispose();
    await emu.stop();
  }
});

test('with --data-dir everything written is there after SIGTERM and a restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-data-'));
  const docs = Array.from({ length: 300 }, (_, i) => ({ id: `p${i}`, objecttype: i % 2 ? 'Person' : 'Group', name: `Nämé ${i}`, n: i }));
  try {
    let emu = await startEmulator(['--data-dir', dir]);
    let client = new CosmosClient({ endpoint: emu.url, key: PUBLIC_KEY });
    const { database } = await client.databases.createIfNotExists({ id: 'idabus' });
    const { container } = await database.containers.createIfNotExists({ id: 'Resources', partitionKey: { paths: ['/objecttype'] } }, { offerThroughput: 4000 });
    for (const d of docs) await container.items.upsert(d);
    await container.item('p1', 'Person').delete();
    const { resource: before } = await container.item('p2', 'Group').read();
    client.dispose();
    const stopped = await emu.stop();
    assert.equal(stopped.code, 0);

    emu = await startEmulator(['--data-dir', dir]);
    client = new CosmosClient({ endpoint: emu.url, key: PUBLIC_KEY });
    try {
      const c = client.database('idabus').container('Resources');
      const { resource: coll } = await c.read();
      assert.deepEqual(coll.partitionKey.paths, ['/objecttype']);
      const { resource: after } = await c.item('p2', 'Group').read();
      assert.deepEqual(after, before, 'system properties survive too');
      const { resources } = await c.items.query('SELECT * FROM c').fetchAll();
      assert.equal(resources.length, docs.length - 1);
      const byId = new Map(resources.map((r) => [r.id, r]));
      assert.ok(!byId.has('p1'), 'the delete survived');
      for (const d of docs.filter((x) => x.id !== 'p1')) {
        const r = byId.get(d.id);
        assert.ok(r, `${d.id} missing after restart`);
        assert.equal(r.name, d.name);
      }
      const { resource: offer } = await c.readOffer();
      assert.equal(offer.content.offerThroughput, 4000);
    } finally {
      client.dispose();
      assert.equal((await emu.stop()).code, 0);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Writes `count` small documents (ids m0, m1, ...) through the SDK into a fresh --data-dir and
// stops the emulator; returns the directory and the log's path.
async function writeDataDir(count) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-damage-'));
  const emu = await startEmulator(['--data-dir', dir]);
  const client = new CosmosClient({ endpoint: emu.url, key: PUBLIC_KEY });
  try {
    const { database } = await client.databases.createIfNotExists({ id: 'idabus' });
    const { container } = await database.containers.createIfNotExists({ id: 'Resources', partitionKey: { paths: ['/objecttype'] } });
    for (let i = 0; i < count; i++) await container.items.upsert({ id: `m${i}`, objecttype: 'Person', n: i });
  } finally {
    client.dispose();
    assert.equal((await emu.stop()).code, 0);
  }
  return { dir, log: path.join(dir, 'emulator.log') };
}

// Starts the emulator on a damaged log: it must exit 1 naming the file and the offset, and leave
// the file byte for byte as it was.
async function expectStartUpRefused(dir, log, damaged) {
  const r = await runEmulator(['--port', '0', '--data-dir', dir]);
  assert.equal(r.code, 1, `started on a damaged log; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '', 'it must not listen');
  const m = /is damaged at byte offset (\d+) /.exec(r.stderr);
  assert.ok(m && r.stderr.includes(log), `stderr names neither the file nor the offset: ${r.stderr}`);
  assert.ok(fs.readFileSync(log).equals(damaged), 'the damaged log was rewritten');
  return Number(m[1]);
}

test('--data-dir: one flipped byte in the middle of the log stops start-up naming the file and offset', async () => {
  const { dir, log } = await writeDataDir(40);
  try {
    const bytes = fs.readFileSync(log);
    const at = bytes.indexOf(Buffer.from('"id":"m20"'));
    assert.ok(at > 0);
    bytes[at + 2] ^= 0x20;  // "id" -> "Id" inside document m20's record
    fs.writeFileSync(log, bytes);
    const offset = await expectStartUpRefused(dir, log, bytes);
    assert.ok(offset > 0 && offset < at, `offset ${offset} is not the start of the record holding byte ${at}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--data-dir: a corrupted first record stops start-up at offset 0', async () => {
  const { dir, log } = await writeDataDir(5);
  try {
    const bytes = fs.readFileSync(log);
    bytes[4] ^= 0xff;  // the first record's CRC
    fs.writeFileSync(log, bytes);
    assert.equal(await expectStartUpRefused(dir, log, bytes), 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--data-dir: a torn last record is dropped and reported on stderr, the rest loads', async () => {
  const { dir, log } = await writeDataDir(10);
  try {
    fs.truncateSync(log, fs.statSync(log).size - 5);
    const emu = await startEmulator(['--data-dir', dir]);
    const client = new CosmosClient({ endpoint: emu.url, key: PUBLIC_KEY });
    try {
      const { resources } = await client.database('idabus').container('Resources').items
        .query('SELECT VALUE COUNT(1) FROM c').fetchAll();
      assert.deepEqual(resources, [9]);
    } finally {
      client.dispose();
    }
    const stopped = await emu.stop();
    assert.equal(stopped.code, 0);
    assert.match(stopped.stderr, /emulator\.log: the last record was incomplete \(a torn write\): dropped 1 record, \d+ bytes at byte offset \d+/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
