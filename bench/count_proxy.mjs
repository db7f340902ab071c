// count_proxy: a counting HTTP proxy in front of cosmos-emulator (issue 11). The benchmark measures
// every tool through it, not by the tools' own counters: it forwards each request unchanged and
// records, per second since it started,
//   ru          the sum of the responses' x-ms-request-charge (a bulk response without that header:
//               the sum of its operations' requestCharge),
//   requests    requests forwarded,          r429   responses with status 429,
//   bulkRequests, bulkR429: the same for bulk requests only (x-ms-cosmos-is-batch-request: True),
//   ops         bulk operations sent (re-sends included), opsThrottled: bulk operations refused with
//               429 (each operation of a 207 answered 429, every operation of a bulk request answered
//               429 as a whole),
//   byRange     ru by x-ms-documentdb-partitionkeyrangeid of the request ("-" when it names none).
// Written in Node, not on our io/http: the measuring instrument must not share the HTTP stack of
// the tool it measures, and it costs no compile time on the shared cores. Bodies stream through,
// except bulk requests and their responses, which are buffered to count their operations.
//
//   node bench/count_proxy.mjs --target http://127.0.0.1:PORT --out series.json [--port 0]
// prints "listening on http://127.0.0.1:<port>" and, on SIGTERM/SIGINT, writes the series and exits 0.
import http from 'node:http';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const isBulk = (headers) => String(headers['x-ms-cosmos-is-batch-request'] ?? '').toLowerCase() === 'true';

function readAll(stream) {
  return new Promise((resolve, reject) => {
    const parts = [];
    stream.on('data', (d) => parts.push(d));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

function jsonArrayOrEmpty(buffer) {
  try {
    const v = JSON.parse(buffer.toString('utf8'));
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/// The counters: one bucket per second since `startMs`, plus totals.
export class CountingSeries {
  constructor(startMs = Date.now()) {
    this.startMs = startMs;
    this.buckets = new Map();
    this.firstMs = null;
    this.lastMs = null;
  }

  bucket(nowMs) {
    const t = Math.max(0, Math.floor((nowMs - this.startMs) / 1000));
    let b = this.buckets.get(t);
    if (!b) {
      b = { t, ru: 0, requests: 0, r429: 0, bulkRequests: 0, bulkR429: 0, ops: 0, opsThrottled: 0, byRange: {} };
      this.buckets.set(t, b);
    }
    return b;
  }

  /// One exchange, counted when its response head (and, for bulk, its body) arrived.
  record({ nowMs = Date.now(), status, charge, range = '-', bulk = false, ops = 0, opsThrottled = 0 }) {
    if (this.firstMs === null) this.firstMs = nowMs;
    this.lastMs = nowMs;
    const b = this.bucket(nowMs);
    b.requests += 1;
    if (status === 429) b.r429 += 1;
    if (bulk) b.bulkRequests += 1;
    if (bulk && status === 429) b.bulkR429 += 1;
    b.ru += charge;
    b.byRange[range] = (b.byRange[range] ?? 0) + charge;
    b.ops += ops;
    b.opsThrottled += opsThrottled;
  }

  toJSON() {
    const series = [...this.buckets.values()].sort((a, b) => a.t - b.t);
    const totals = { ru: 0, requests: 0, r429: 0, bulkRequests: 0, bulkR429: 0, ops: 0, opsThrottled: 0, byRange: {} };
    for (const b of series) {
      for (const k of ['ru', 'requests', 'r429', 'bulkRequests', 'bulkR429', 'ops', 'opsThrottled']) totals[k] += b[k];
      for (const [r, ru] of Object.entries(b.byRange)) totals.byRange[r] = (totals.byRange[r] ?? 0) + ru;
    }
    const activeSeconds = this.firstMs === null ? 0 : (this.lastMs - this.firstMs) / 1000;
    return { startedAt: new Date(this.startMs).toISOString(), activeSeconds, totals, series };
  }
}

/// Charge and throttled operations of one bulk answer, given the operations the request carried.
export function bulkOutcome(status, headerCharge, requestOps, responseBody) {
  if (status === 429) return { charge: headerCharge ?? 0, opsThrottled: requestOps };
  const results = jsonArrayOrEmpty(responseBody);
  const opsThrottled = results.filter((r) => r && r.statusCode === 429).length;
  const charge = headerCharge ?? results.reduce((s, r) => s + (Number(r?.requestCharge) || 0), 0);
  return { charge, opsThrottled };
}

/// A proxy forwarding to `target` (http URL); returns { server, series, listen(port) -> url, close() }.
export function createCountingProxy(target) {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const series = new CountingSeries();

  const server = http.createServer(async (req, res) => {
    const bulk = isBulk(req.headers);
    const range = String(req.headers['x-ms-documentdb-partitionkeyrangeid'] ?? '-');
    // Host stays as the client sent it, so the account's advertised endpoints name the proxy.
    const headers = { ...req.headers };
    let requestBody = null;
    let requestOps = 0;
    if (bulk) {
      requestBody = await readAll(req);
      requestOps = jsonArrayOrEmpty(requestBody).length;
      headers['content-length'] = String(requestBody.length);
      delete headers['transfer-encoding'];
    }
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      async (up) => {
        const raw = up.headers['x-ms-request-charge'];
        const headerCharge = raw === undefined ? undefined : Number(raw) || 0;
        if (!bulk) {
          series.record({ status: up.statusCode, charge: headerCharge ?? 0, range });
          res.writeHead(up.statusCode, up.headers);
          up.pipe(res);
          return;
        }
        const body = await readAll(up);
        const { charge, opsThrottled } = bulkOutcome(up.statusCode, headerCharge, requestOps, body);
        series.record({ status: up.statusCode, charge, range, bulk: true, ops: requestOps, opsThrottled });
        const h = { ...up.headers, 'content-length': String(body.length) };
        delete h['transfer-encoding'];
        res.writeHead(up.statusCode, h);
        res.end(body);
      },
    );
    out.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`count_proxy: ${e.message}`);
    });
    if (bulk) out.end(requestBody);
    else req.pipe(out);
  });
  server.keepAliveTimeout = 60000;

  return {
    server,
    series,
    listen(port = 0) {
      return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
    },
    close() {
      agent.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function parseArgs(argv) {
  const o = { port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target') o.target = argv[++i];
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--port') o.port = Number(argv[++i]);
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.help || !o.target || !o.out) {
    console.log('usage: node bench/count_proxy.mjs --target http://127.0.0.1:PORT --out series.json [--port 0]');
    process.exit(o.help ? 0 : 2);
  }
  const proxy = createCountingProxy(o.target);
  const url = await proxy.listen(o.port);
  console.log(`listening on ${url}`);
  const stop = async () => {
    fs.writeFileSync(o.out, JSON.stringify(proxy.series.toJSON()));
    await proxy.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(`count_proxy: ${e.message}`);
    process.exit(1);
  });
}
