// count_proxy (bench/count_proxy.mjs) in front of a scripted upstream: it forwards requests and
// bodies unchanged and counts charges, 429s and throttled bulk operations the way the benchmark
// report reads them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createCountingProxy, bulkOutcome } from '../../bench/count_proxy.mjs';

let upstream;
let proxy;
let url;
const seen = [];

// The upstream answers by path: /point (charge header), /throttled (429), /bulk (207 without a
// charge header: one of three operations 429), /bulk-429 (the whole bulk refused).
before(async () => {
  upstream = http.createServer((req, res) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString();
      seen.push({ path: req.url, body, range: req.headers['x-ms-documentdb-partitionkeyrangeid'] });
      if (req.url === '/point') {
        res.writeHead(200, { 'x-ms-request-charge': '2.5', 'content-type': 'application/json' });
        res.end(JSON.stringify({ echo: body }));
      } else if (req.url === '/throttled') {
        res.writeHead(429, { 'x-ms-request-charge': '0', 'x-ms-retry-after-ms': '7' });
        res.end('{}');
      } else if (req.url === '/bulk') {
        res.writeHead(207, { 'content-type': 'application/json' });
        res.end(JSON.stringify([
          { statusCode: 201, requestCharge: 5 },
          { statusCode: 429, requestCharge: 0, retryAfterMilliseconds: 10 },
          { statusCode: 200, requestCharge: 6.5 },
        ]));
      } else {
        res.writeHead(429, { 'x-ms-request-charge': '1', 'x-ms-retry-after-ms': '9' });
        res.end('{}');
      }
    });
  });
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = createCountingProxy(`http://127.0.0.1:${upstream.address().port}`);
  url = await proxy.listen(0);
});

after(async () => {
  await proxy.close();
  await new Promise((r) => upstream.close(r));
});

async function send(path, body, headers = {}) {
  const r = await fetch(url + path, { method: 'POST', body, headers });
  return { status: r.status, text: await r.text(), retryAfter: r.headers.get('x-ms-retry-after-ms') };
}

const bulkHeaders = (range) => ({ 'x-ms-cosmos-is-batch-request': 'True', 'x-ms-documentdb-partitionkeyrangeid': range });
const threeOps = JSON.stringify([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);

test('forwards bodies and answers unchanged and counts charges, 429s and throttled bulk operations', async () => {
  const point = await send('/point', 'hello');
  assert.equal(point.status, 200);
  assert.deepEqual(JSON.parse(point.text), { echo: 'hello' });
  const throttled = await send('/throttled', 'x');
  assert.equal(throttled.status, 429);
  assert.equal(throttled.retryAfter, '7');
  const bulk = await send('/bulk', threeOps, bulkHeaders('2'));
  assert.equal(bulk.status, 207);
  assert.equal(JSON.parse(bulk.text).length, 3);
  const refused = await send('/bulk-429', threeOps, bulkHeaders('3'));
  assert.equal(refused.status, 429);
  assert.equal(seen.find((s) => s.path === '/bulk').body, threeOps);
  assert.equal(seen.find((s) => s.path === '/bulk').range, '2');

  const { totals, series } = proxy.series.toJSON();
  assert.equal(totals.requests, 4);
  assert.equal(totals.r429, 2);
  assert.equal(totals.bulkRequests, 2);
  assert.equal(totals.bulkR429, 1);
  assert.equal(totals.ru, 2.5 + 0 + (5 + 0 + 6.5) + 1);
  assert.equal(totals.ops, 6);
  assert.equal(totals.opsThrottled, 1 + 3);
  assert.deepEqual(totals.byRange, { '-': 2.5, 2: 11.5, 3: 1 });
  assert.ok(series.length >= 1);
  assert.equal(series.reduce((s, b) => s + b.requests, 0), 4);
});

test('a bulk answer with a charge header is counted by the header, not by its operations', () => {
  const body = Buffer.from(JSON.stringify([{ statusCode: 201, requestCharge: 5 }, { statusCode: 429, requestCharge: 0 }]));
  assert.deepEqual(bulkOutcome(207, 40, 2, body), { charge: 40, opsThrottled: 1 });
  assert.deepEqual(bulkOutcome(200, undefined, 2, body), { charge: 5, opsThrottled: 1 });
  assert.deepEqual(bulkOutcome(429, undefined, 2, Buffer.from('{}')), { charge: 0, opsThrottled: 2 });
});
