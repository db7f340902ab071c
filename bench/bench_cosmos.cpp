// Micro benchmarks of the Cosmos client's CPU path:
//  - splitting a 4 MB query page into raw documents with their id, _ts and partition key (MB/s),
//  - signing one request (master-key HMAC + URL encoding, ns),
//  - the effective partition key of one string key (ns).
// Run: build/bin/bench_cosmos

#include "io/cosmos/auth.hpp"
#include "io/cosmos/base64.hpp"
#include "io/cosmos/epk.hpp"
#include "io/json/page.hpp"

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <string>
#include <vector>

namespace cosmos = idabus::io::cosmos;
namespace json = idabus::io::json;

namespace {

// ~1 KB identity documents, as Cosmos returns them (system properties included).
std::string make_page(std::size_t target_bytes, std::size_t* documents) {
  static const char* types[] = {"Person", "Group", "Set", "ManagementPolicyRule"};
  std::string body = R"({"_rid":"q2hGAJ2eSgA=","Documents":[)";
  std::size_t n = 0;
  while (body.size() < target_bytes) {
    if (n) body += ',';
    const std::string i = std::to_string(n);
    body += R"({"id":"7c9e6679-7425-40de-944b-e07fc1f9)" + i + R"(","objecttype":")" + types[n % 4] +
            R"(","displayName":"J\u00fcrgen M\u00fcller )" + i +
            R"(","email":"user)" + i + R"(@example.com","manager":{"id":"ref-)" + i +
            R"(","objecttype":"Person"},"members":["a-1","a-2","a-3"],"score":)" + std::to_string(n * 7 % 1000) +
            R"(.25,"active":true,"description":")" + std::string(700, 'x') +
            R"(","_rid":"q2hGAJ2eSgABAAAAAAAAAA==","_self":"dbs/q2hGAA==/colls/q2hGAJ2eSgA=/docs/q2hGAJ2eSgABAAAAAAAAAA==/","_etag":"\"0000d986-0000-0d00-0000-63b6c6e20000\"","_attachments":"attachments/","_ts":)" +
            std::to_string(1672000000 + n) + "}";
    ++n;
  }
  body += R"(],"_count":)" + std::to_string(n) + "}";
  *documents = n;
  return body;
}

void BM_SplitQueryPage4MB(benchmark::State& state) {
  std::size_t documents = 0;
  const std::string body = make_page(4u * 1024 * 1024, &documents);
  json::page_reader reader("/objecttype");
  for (auto _ : state) {
    auto page = reader.split(body);
    benchmark::DoNotOptimize(page.documents.data());
    if (page.documents.size() != documents) state.SkipWithError("wrong document count");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["docs_per_page"] = static_cast<double>(documents);
  // simdjson 3.0.1 on-demand runs the implementation chosen at compile time (no runtime dispatch).
  state.SetLabel(std::string("simdjson on-demand: ") + std::string(simdjson::builtin_implementation()->name()));
}
BENCHMARK(BM_SplitQueryPage4MB)->Unit(benchmark::kMillisecond);

void BM_SignRequest(benchmark::State& state) {
  const std::string key = *cosmos::base64_decode(
      "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==");
  const cosmos::resource_address address{"docs", "dbs/idabus/colls/Resources"};
  const std::string date = "Thu, 26 Nov 2026 03:00:00 GMT";
  for (auto _ : state) {
    auto header = cosmos::authorization_header(key, "POST", address, date);
    benchmark::DoNotOptimize(header.data());
  }
}
BENCHMARK(BM_SignRequest);

void BM_SignRequestWithDateAndAddress(benchmark::State& state) {
  const std::string key = *cosmos::base64_decode(
      "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==");
  for (auto _ : state) {
    const auto address = cosmos::address_of("/dbs/idabus/colls/Resources/docs/7c9e6679-7425-40de-944b-e07fc1f90ae7");
    const auto date = cosmos::http_date(std::chrono::system_clock::now());
    auto header = cosmos::authorization_header(key, "GET", address, date);
    benchmark::DoNotOptimize(header.data());
  }
}
BENCHMARK(BM_SignRequestWithDateAndAddress);

void BM_EffectivePartitionKey(benchmark::State& state) {
  const std::vector<cosmos::pk_component> key{std::string("ManagementPolicyRule")};
  for (auto _ : state) {
    auto epk = cosmos::effective_partition_key_v2(key);
    benchmark::DoNotOptimize(epk.data());
  }
}
BENCHMARK(BM_EffectivePartitionKey);

}  // namespace

BENCHMARK_MAIN();
