// sdk_import: the restore peer of issue 11. Upserts the documents of restore files
// (<Collection>.<seq>.json, JSON arrays, as importTool --generateRestoreFiles writes them) with the
// official @azure/cosmos SDK's bulk import, container.items.executeBulkOperations, in one call per
// collection (the SDK batches per range, runs its own congestion control and 429 retries, with
// its default retry options). Prints one JSON line: documents, succeeded, failed, the status codes
// of the failures (429 = the SDK's retries ran out), seconds.
//   node bench/sdk_import.mjs --endpoint URL --database DB --collection C --files DIR
import fs from 'node:fs';
import path from 'node:path';
import { sdkClient, parseFlags } from './cosmos_sdk.mjs';

const usage = 'usage: node bench/sdk_import.mjs --endpoint URL --database DB --collection C --files DIR';

/// The documents of DIR's restore files for `collection`, in ascending sequence.
function readRestoreFiles(dir, collection) {
  const re = new RegExp(`^${collection}\\.(\\d+)\\.json$`);
  const files = fs.readdirSync(dir).filter((f) => re.test(f)).sort();
  if (files.length === 0) throw new Error(`no ${collection}.<seq>.json restore file in ${dir}`);
  return files.flatMap((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}

async function main() {
  const o = parseFlags(process.argv.slice(2), { endpoint: 1, database: 1, collection: 1, files: 1 });
  if (o.help || !o.endpoint || !o.database || !o.collection || !o.files) {
    console.log(usage);
    process.exit(o.help ? 0 : 2);
  }
  const start = process.hrtime.bigint();
  const docs = readRestoreFiles(o.files, o.collection);
  const client = sdkClient(o.endpoint);
  const container = client.database(o.database).container(o.collection);
  // 4.9.x wants the partition key value on every Upsert: read it at the collection's path.
  const { resource } = await container.read();
  const keyPath = resource.partitionKey.paths[0].split('/').filter(Boolean);
  const keyOf = (doc) => keyPath.reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), doc);
  const operations = docs.map((resourceBody) => ({ operationType: 'Upsert', partitionKey: keyOf(resourceBody), resourceBody }));
  const results = await container.items.executeBulkOperations(operations);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  client.dispose();
  const failures = {};
  let succeeded = 0;
  for (const r of results) {
    const status = r.response?.statusCode ?? r.error?.code ?? 'error';
    if (typeof status === 'number' && status >= 200 && status < 300) succeeded += 1;
    else failures[status] = (failures[status] ?? 0) + 1;
  }
  console.log(JSON.stringify({ documents: docs.length, succeeded, failed: docs.length - succeeded, failures, seconds }));
}

main().catch((e) => {
  console.error(`sdk_import: ${e.stack ?? e}`);
  process.exit(1);
});
