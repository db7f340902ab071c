// sdk_export: the export peer of issue 11. Reads every document of the given collections with the
// official @azure/cosmos SDK's query iterator (SELECT * FROM c, pages of 1,000) and writes gzip
// JSON Lines (Node 20's zlib has no zstd; level 1, the fastest, so compression favours the SDK),
// the collections at once. Prints one JSON line: documents, bytes, seconds, per collection.
//   node bench/sdk_export.mjs --endpoint URL --database DB --out DIR [--collections A,B] [--page-size 1000] [--level 1]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { once } from 'node:events';
import { sdkClient, parseFlags } from './cosmos_sdk.mjs';

const usage = 'usage: node bench/sdk_export.mjs --endpoint URL --database DB --out DIR [--collections Resources,Events,WorkflowExecutions] [--page-size 1000] [--level 1]';

async function exportCollection(client, database, id, dir, pageSize, level) {
  const file = path.join(dir, `${id}.jsonl.gz`);
  const gzip = zlib.createGzip({ level });
  const sink = fs.createWriteStream(file);
  gzip.pipe(sink);
  let documents = 0;
  let rawBytes = 0;
  const iterator = client.database(database).container(id).items.query('SELECT * FROM c', { maxItemCount: pageSize });
  for await (const page of iterator.getAsyncIterator()) {
    const lines = page.resources.map((d) => JSON.stringify(d)).join('\n') + (page.resources.length ? '\n' : '');
    documents += page.resources.length;
    rawBytes += Buffer.byteLength(lines);
    if (!gzip.write(lines)) await once(gzip, 'drain');
  }
  gzip.end();
  await once(sink, 'close');
  return { id, documents, rawBytes, bytes: fs.statSync(file).size };
}

async function main() {
  const o = parseFlags(process.argv.slice(2), { endpoint: 1, database: 1, out: 1, collections: 1, 'page-size': 1, level: 1 });
  if (o.help || !o.endpoint || !o.database || !o.out) {
    console.log(usage);
    process.exit(o.help ? 0 : 2);
  }
  const ids = (o.collections ?? 'Resources,Events,WorkflowExecutions').split(',');
  fs.mkdirSync(o.out, { recursive: true });
  const client = sdkClient(o.endpoint);
  const start = process.hrtime.bigint();
  const parts = await Promise.all(ids.map((id) => exportCollection(client, o.database, id, o.out, Number(o['page-size'] ?? 1000), Number(o.level ?? 1))));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  client.dispose();
  const sum = (k) => parts.reduce((s, p) => s + p[k], 0);
  console.log(JSON.stringify({ documents: sum('documents'), rawBytes: sum('rawBytes'), bytes: sum('bytes'), seconds, collections: parts }));
}

main().catch((e) => {
  console.error(`sdk_export: ${e.stack ?? e}`);
  process.exit(1);
});
