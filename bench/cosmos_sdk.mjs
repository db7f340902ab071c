// The official @azure/cosmos SDK as the benchmark's peers and set-up use it (issue 11). Endpoint
// discovery is off so that every request goes to the endpoint given (the counting proxy), never
// to an address the account advertises.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const { CosmosClient } = require('@azure/cosmos');

export const EMULATOR_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export function sdkClient(endpoint, key = EMULATOR_KEY) {
  return new CosmosClient({ endpoint, key, connectionPolicy: { enableEndpointDiscovery: false } });
}

/// Creates `database` and the collection `id` (partition key `path`) if missing, with `offer` RU/s
/// when it is created (0 = the emulator's default).
export async function ensureCollection(client, database, id, path, offer = 0) {
  const { database: db } = await client.databases.createIfNotExists({ id: database });
  const options = offer > 0 ? { offerThroughput: offer } : undefined;
  const { container } = await db.containers.createIfNotExists({ id, partitionKey: { paths: [path] } }, options);
  return container;
}

/// Replaces the offer of an existing collection with `throughput` RU/s.
export async function setThroughput(client, database, id, throughput) {
  const container = client.database(database).container(id);
  const { resource: offer } = await container.readOffer();
  if (!offer) throw new Error(`${database}/${id} has no offer`);
  offer.content.offerThroughput = throughput;
  await client.offer(offer.id).replace(offer);
}

/// "--name value" pairs into an object (flags without a value: true).
export function parseFlags(argv, known) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { o.help = true; continue; }
    const name = a.replace(/^--/, '');
    if (!a.startsWith('--') || !(name in known)) throw new Error(`unknown option ${a}`);
    if (known[name] === 'flag') o[name] = true;
    else o[name] = argv[++i];
  }
  return o;
}
