// The official Microsoft SDK (@azure/cosmos) against our cosmos-emulator (DESIGN §10, §11).
// Starts `cosmos-emulator --port 0` itself (IDABUS_BIN_DIR), reads the URL from the first stdout
// line, and stops it at the end. Endpoint discovery stays on: the account advertises the
// emulator's own URL.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startEmulator, PUBLIC_KEY } = require('./emulator_process.cjs');
const { CosmosClient } = require('@azure/cosmos');

const SYSTEM = ['_rid', '_self', '_etag', '_ts', '_attachments'];
const strip = (doc) => Object.fromEntries(Object.entries(doc).filter(([k]) => !SYSTEM.includes(k)));

// A deterministic identity-like document of about 1 KB.
function makeDoc(i) {
  const types = ['Person', 'Group', 'Set', 'ManagementPolicyRule'];
  return {
    id: `obj-${String(i).padStart(5, '0')}`,
    objecttype: types[i % types.length],
    displayName: `Ünïcødé Nâme ${i} — 名前`,
    index: i,
    ratio: i / 7,
    active: i % 3 !== 0,
    manager: i > 0 ? `obj-${String(i - 1).padStart(5, '0')}` : null,
    tags: ['a', 'b', String(i % 11)],
    attributes: { email: `user${i}@example.org`, phone: `+1-555-${String(i).padStart(4, '0')}`, notes: 'x'.repeat(600) },
  };
}

// Runs `fn` over `items` with at most `limit` calls in flight.
async function pool(items, limit, fn) {
  let next = 0;
  const workers = Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

let emu;
let client;
let database;
const containers = {};

before(async () => {
  emu = await startEmulator(['--partitions', '4']);
  client = new CosmosClient({ endpoint: emu.url, key: PUBLIC_KEY });
});

after(async () => {
  if (client) client.dispose();
  if (emu) await emu.stop();
});

test('createIfNotExists makes the database and the three collections, twice without error', async () => {
  for (let round = 0; round < 2; round++) {
    ({ database } = await client.databases.createIfNotExists({ id: 'idabus' }));
    for (const [id, path] of [['Resources', '/objecttype'], ['Events', '/id'], ['WorkflowExecutions', '/id']]) {
      const { container, resource } = await database.containers.createIfNotExists({ id, partitionKey: { paths: [path] } });
      assert.deepEqual(resource.partitionKey.paths, [path]);
      containers[id] = container;
    }
  }
  const { resources } = await database.containers.readAll().fetchAll();
  assert.deepEqual(resources.map((c) => c.id).sort(), ['Events', 'Resources', 'WorkflowExecutions']);
});

const N = 5000;
const written = new Map();

test('upserts 5,000 documents', async () => {
  const docs = Array.from({ length: N }, (_, i) => makeDoc(i));
  await pool(docs, 32, async (doc) => {
    const { statusCode } = await containers.Resources.items.upsert(doc);
    assert.ok(statusCode === 201 || statusCode === 200, `upsert ${doc.id}: ${statusCode}`);
    written.set(doc.id, doc);
  });
  assert.equal(written.size, N);
});

test('SELECT * with maxItemCount 100 and fetchNext returns every id exactly once, deep-equal to what was written', async () => {
  const it = containers.Resources.items.query('SELECT * FROM c', { maxItemCount: 100 });
  const seen = new Set();
  let pages = 0;
  while (it.hasMoreResults()) {
    const { resources } = await it.fetchNext();
    if (!resources) break;
    assert.ok(resources.length <= 100, `page of ${resources.length}`);
    for (const doc of resources) {
      assert.ok(!seen.has(doc.id), `duplicate ${doc.id}`);
      seen.add(doc.id);
      assert.deepEqual(strip(doc), written.get(doc.id));
    }
    pages++;
  }
  assert.equal(seen.size, N);
  assert.ok(pages >= N / 100, `only ${pages} pages`);
});

test('a cross-partition SELECT VALUE COUNT(1) sums the per-range counts through the query plan', async () => {
  const all = await containers.Resources.items.query('SELECT VALUE COUNT(1) FROM c').fetchAll();
  assert.deepEqual(all.resources, [N]);
  const persons = await containers.Resources.items
    .query({ query: 'SELECT VALUE COUNT(1) FROM c WHERE c.objecttype = @t', parameters: [{ name: '@t', value: 'Person' }] })
    .fetchAll();
  assert.deepEqual(persons.resources, [N / 4]);
});

test('a parameterised _ts query finds the documents written since a time', async () => {
  const { resource } = await containers.Resources.item('obj-00000', 'Person').read();
  const { resources } = await containers.Resources.items
    .query({ query: 'SELECT c.id, c._ts FROM c WHERE c._ts >= @since AND c.objecttype = @t',
             parameters: [{ name: '@since', value: resource._ts }, { name: '@t', value: 'Group' }] })
    .fetchAll();
  assert.equal(resources.length, N / 4);
  for (const r of resources) assert.ok(r._ts >= resource._ts);
  const none = await containers.Resources.items
    .query({ query: 'SELECT * FROM c WHERE c._ts > @future', parameters: [{ name: '@future', value: resource._ts + 100000 }] })
    .fetchAll();
  assert.equal(none.resources.length, 0);
});

test('readPartitionKeyRanges lists the ranges tiling the key space', async () => {
  const { resources } = await containers.Resources.readPartitionKeyRanges().fetchAll();
  assert.equal(resources.length, 4);
  assert.equal(resources[0].minInclusive, '');
  assert.equal(resources[resources.length - 1].maxExclusive, 'FF');
});

test('item read, replace with etag, stale etag 412, delete, then 404 and 409 as SDK errors', async () => {
  const c = containers.Resources;
  const { resource: doc, etag } = await c.item('obj-00005', 'Group').read();
  assert.deepEqual(strip(doc), written.get('obj-00005'));
  const changed = { ...strip(doc), displayName: 'renamed' };
  const { resource: replaced, statusCode } = await c.item(doc.id, 'Group').replace(changed, { accessCondition: { type: 'IfMatch', condition: etag } });
  assert.equal(statusCode, 200);
  assert.equal(replaced.displayName, 'renamed');
  await assert.rejects(c.item(doc.id, 'Group').replace(changed, { accessCondition: { type: 'IfMatch', condition: etag } }),
    (e) => e.code === 412);
  await assert.rejects(c.items.create(makeDoc(6)), (e) => e.code === 409);
  const del = await c.item(doc.id, 'Group').delete();
  assert.equal(del.statusCode, 204);
  await assert.rejects(c.item(doc.id, 'Group').read().then((r) => {
    if (r.statusCode === 404) { const e = new Error('not found'); e.code = 404; throw e; }
    return r;
  }), (e) => e.code === 404);
  await assert.rejects(c.item(doc.id, 'Group').delete(), (e) => e.code === 404);
  written.delete(doc.id);
});

test('executeBulkOperations upserts 100 documents', async () => {
  const ops = Array.from({ length: 100 }, (_, i) => ({ operationType: 'Upsert', partitionKey: `ev-${i}`, resourceBody: { id: `ev-${i}`, kind: 'Request', n: i } }));
  const results = await containers.Events.items.executeBulkOperations(ops);
  assert.equal(results.length, 100);
  for (const r of results) {
    assert.ok(!r.error, r.error && r.error.message);
    assert.equal(r.response.statusCode, 201);
  }
  const { resources } = await containers.Events.items.query('SELECT VALUE COUNT(1) FROM c', { partitionKey: 'ev-7' }).fetchAll();
  assert.deepEqual(resources, [1]);
  const { resource } = await containers.Events.item('ev-42', 'ev-42').read();
  assert.deepEqual(strip(resource), { id: 'ev-42', kind: 'Request', n: 42 });
});

test('the offer of a collection is read and its throughput replaced', async () => {
  const { resource: offer } = await containers.WorkflowExecutions.readOffer();
  assert.ok(offer, 'the collection has an offer');
  const { resource: replaced } = await client.offer(offer.id).replace({ ...offer, content: { ...offer.content, offerThroughput: 1200 } });
  assert.equal(replaced.content.offerThroughput, 1200);
});

test('a client with a wrong key gets 401', async () => {
  const wrong = new CosmosClient({
    endpoint: emu.url,
    key: Buffer.from('definitely not the key').toString('base64'),
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  try {
    await assert.rejects(wrong.database('idabus').read(), (e) => e.code === 401);
  } finally {
    wrong.dispose();
  }
});

// 300 concurrent upserts into one 400 RU/s range: the SDK's nine retries per request must suffice,
// because every 429 books its charge and tells the next rejected request a later time.
test('300 concurrent SDK upserts at 400 RU/s all succeed, retrying the 429s, no faster than the RU allow', async () => {
  const slow = await startEmulator(['--ru-per-second', '400', '--partitions', '1']);
  const c2 = new CosmosClient({ endpoint: slow.url, key: PUBLIC_KEY });
  try {
    const { database: db } = await c2.databases.createIfNotExists({ id: 'slow' });
    const { container } = await db.containers.createIfNotExists({ id: 'Resources', partitionKey: { paths: ['/objecttype'] } });
    const types = ['Person', 'Group', 'Set'];
    const docs = Array.from({ length: 300 }, (_, i) => ({ id: `small-${i}`, objecttype: types[i % 3], n: i }));
    let throttled = 0;
    let charge = 0;
    const started = Date.now();
    const results = await Promise.allSettled(docs.map(async (doc) => {
      const res = await container.items.upsert(doc);
      const attempts = res.diagnostics.clientSideRequestStatistics.retryDiagnostics.failedAttempts;
      throttled += attempts.filter((a) => a.statusCode === 429).length;
      charge += res.requestCharge;
      return res.statusCode;
    }));
    const seconds = (Date.now() - started) / 1000;
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, `${failed.length} upserts failed, first: ${failed[0] && failed[0].reason.message}`);
    for (const r of results) assert.equal(r.value, 201);
    assert.ok(throttled > 0, 'the SDK saw no 429');
    // One second of burst, then 400 RU/s.
    const required = charge / 400 - 1;
    assert.ok(seconds >= required, `${charge} RU in ${seconds}s: faster than 400 RU/s allow (${required}s)`);
    const { resources } = await container.items.query('SELECT VALUE COUNT(1) FROM c').fetchAll();
    assert.deepEqual(resources, [300]);
  } finally {
    c2.dispose();
    await slow.stop();
  }
});
