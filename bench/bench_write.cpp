// bench_write: the write path (stages::run_write_lanes with per-range RU budgets) against
// cosmos-emulator with 4 partitions and --ru (default 10,000) RU/s per collection, writing
// tenant-gen's Resources documents twice: into a collection partitioned by /id (even keys) and
// into Resources partitioned by /objecttype (a handful of keys, Person dominating). RU is counted
// from the responses, per range. For each collection it reports the physical bound
// (pipeline::physical_bound: max over ranges of RU on the range ÷ the range's share, and total ÷
// the job cap), how much of it the run used, and the operations throttled (each operation of each
// bulk response answered 429, each time) ÷ operations sent.
// Targets (issue 7, DESIGN §9): /id ≥ 95 % of the budget, /objecttype ≥ 95 % of the hot-range
// bound, ≤ 1 % of operations throttled. Timings only: nothing here is a test.
//
//   bench_write [--documents N] [--ru R] [--lanes L] [--batch-seconds S] [--decrease F]
//               [--recovery F] [--by-type 1] [--emulator PATH]

#include "bench/bench_options.hpp"
#include "io/cosmos/client.hpp"
#include "io/http/client.hpp"
#include "pipeline/keyed_ru_budget.hpp"
#include "pipeline/run_stages.hpp"
#include "pipeline/throughput_bound.hpp"
#include "stages/ru_budget_gate.hpp"
#include "stages/write_lanes.hpp"
#include "support/cosmos_emulator.hpp"
#include "tools/tenant-gen/generator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <numeric>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
namespace http = idabus::io::http;
namespace pipeline = idabus::pipeline;
namespace stages = idabus::stages;
namespace tg = idabus::tenant_gen;

struct bench_options {
  std::uint64_t documents = 30000;  ///< tenant size; its Resources (70 %) are written
  double ru = 10000;                ///< provisioned RU/s per collection, and the job cap
  std::size_t lanes = 2;
  double batch_seconds = 0.1;
  double decrease = 0.5;   ///< per-range AIMD: rate factor on a 429
  double recovery = 0.1;   ///< per-range AIMD: additive increase per second (fraction of the share)
  bool interleave = true;  ///< write Resources in an order that mixes object types
  std::string emulator;
};

struct collection_run {
  std::string name;
  std::string key_path;
  stages::write_lanes_counters counters;
  std::vector<std::string> ranges;
  double share = 0;
  double seconds = 0;
};

// Produces the tenant's Resources with their partition key at `key_path` (/id or /objecttype).
net::awaitable<void> run_produce(const tg::tenant_generator& generator, bool by_id, bool interleave,
                                 pipeline::channel<stages::write_document>& out) {
  const std::uint64_t count = generator.plan().count(tg::collection_kind::resources);
  // tenant-gen lays Resources out by type (all Person first). In that order a bounded router must
  // wait for the hot range before it reaches the other types; a stride coprime to the count visits
  // every index once with the types mixed, as a collection read range by range would be.
  std::uint64_t stride = 1;
  if (interleave) {
    stride = 7919;
    while (std::gcd(stride, count) != 1) ++stride;
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    tg::generated_document doc = generator.generate(tg::collection_kind::resources, (i * stride) % count);
    stages::write_document d;
    d.partition_key.emplace_back(by_id ? doc.id : std::move(doc.partition_key));
    d.id = std::move(doc.id);
    d.body = std::move(doc.body);
    co_await out.send(std::move(d));
  }
  out.finish();
}

net::awaitable<void> write_collection(cosmos::client& client, stages::ru_budget_gate& gate,
                                      const tg::tenant_generator& generator, bench_options o, collection_run& run) {
  const std::string db = "bench";
  co_await client.create_collection_if_missing(db, run.name, run.key_path, static_cast<int>(o.ru));
  const auto provisioned = co_await client.read_throughput(db, run.name);
  const auto ranges = co_await client.ranges(db, run.name);
  if (!provisioned || ranges.empty()) throw std::runtime_error("the emulator reported no offer or no ranges");
  gate.set_provisioned("dbs/" + db + "/colls/" + run.name, *provisioned);
  for (const auto& r : ranges) run.ranges.push_back(r.id);
  run.share = *provisioned / static_cast<double>(ranges.size());

  stages::write_lanes_options options;
  options.database = db;
  options.collection = run.name;
  options.lanes_per_range = o.lanes;
  options.range_ru_per_second = run.share;
  options.batch_seconds = o.batch_seconds;
  pipeline::channel<stages::write_document> documents(256);
  const auto started = std::chrono::steady_clock::now();
  std::vector<pipeline::named_stage> run_stages;
  run_stages.push_back({"produce", run_produce(generator, run.key_path == "/id", o.interleave, documents)});
  run_stages.push_back({"write", stages::run_write_lanes(client, options, documents, run.counters)});
  co_await pipeline::run_stages(std::move(run_stages));
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

net::awaitable<void> run_bench(cosmos::client& client, stages::ru_budget_gate& gate, bench_options o,
                               std::vector<collection_run>& runs) {
  const tg::tenant_generator generator(tg::plan_tenant(o.documents, 1));
  co_await client.create_database_if_missing("bench");
  for (auto& run : runs) co_await write_collection(client, gate, generator, o, run);
}

/// Prints one collection's figures; true when the targets are met.
bool report(const collection_run& run, const bench_options& o) {
  const auto& t = run.counters.total;
  std::vector<pipeline::key_load> loads;
  for (const auto& id : run.ranges) {
    const auto it = run.counters.ranges.find(id);
    loads.push_back({it == run.counters.ranges.end() ? 0.0 : it->second.ru, run.share});
  }
  const auto bound = pipeline::physical_bound(loads, o.ru);
  const double used = pipeline::utilization(bound, run.seconds);
  const double throttled = t.operations ? static_cast<double>(t.throttled_operations) / static_cast<double>(t.operations) : 0;
  std::printf("%-12s: %llu written, %llu rejected, %.0f RU in %.2f s = %.0f RU/s (%.1f %% of %.0f RU/s)\n",
              run.key_path.c_str(), static_cast<unsigned long long>(t.written),
              static_cast<unsigned long long>(t.rejected), t.ru, run.seconds, t.ru / run.seconds,
              100.0 * t.ru / run.seconds / o.ru, o.ru);
  std::printf("              RU per range (share %.0f RU/s each):", run.share);
  for (std::size_t i = 0; i < loads.size(); ++i) {
    std::printf(" %s=%.0f (%.1f %%)", run.ranges[i].c_str(), loads[i].needed_ru,
                bound.total_ru > 0 ? 100.0 * loads[i].needed_ru / bound.total_ru : 0.0);
  }
  std::printf("\n              bound T_min %.2f s (%s) = %.0f RU/s achievable; utilization %.1f %% (target >= 95 %%) %s\n",
              bound.min_seconds,
              bound.limiting == pipeline::throughput_bound::cap_limited
                  ? "job cap"
                  : ("range " + run.ranges[bound.limiting]).c_str(),
              bound.achievable_ru_per_second, 100.0 * used, used >= 0.95 ? "OK" : "BELOW TARGET");
  std::printf("              throttled: %llu of %llu operations (%.2f %%, target <= 1 %%) %s; %llu bulk requests, "
              "%llu operations re-sent\n",
              static_cast<unsigned long long>(t.throttled_operations), static_cast<unsigned long long>(t.operations),
              100.0 * throttled, throttled <= 0.01 ? "OK" : "ABOVE TARGET", static_cast<unsigned long long>(t.requests),
              static_cast<unsigned long long>(t.retried_operations));
  return used >= 0.95 && throttled <= 0.01 && t.rejected == 0;
}

}  // namespace

int main(int argc, char** argv) {
  bench_options o;
  o.emulator = idabus::bench::emulator_next_to_this_program();
  using idabus::bench::positive_count;
  using idabus::bench::positive_number;
  const bool parsed = idabus::bench::parse_options(
      argc, argv, "bench_write",
      "usage: bench_write [--documents N] [--ru R] [--lanes L] [--batch-seconds S] [--decrease F] [--recovery F] "
      "[--by-type 1] [--emulator PATH]",
      {{"--documents", [&](std::string_view v) { o.documents = positive_count(v); }},
       {"--ru", [&](std::string_view v) { o.ru = positive_number(v); }},
       {"--lanes", [&](std::string_view v) { o.lanes = positive_count(v); }},
       {"--batch-seconds", [&](std::string_view v) { o.batch_seconds = positive_number(v); }},
       {"--decrease", [&](std::string_view v) { o.decrease = positive_number(v); }},
       {"--recovery", [&](std::string_view v) { o.recovery = positive_number(v); }},
       {"--by-type",
        [&](std::string_view v) {
          (void)positive_number(v);  // any positive value, e.g. 1
          o.interleave = false;
        }},
       {"--emulator", [&](std::string_view v) { o.emulator = v; }}});
  if (!parsed) return 2;
  try {
    idabus::test::cosmos_emulator emulator(
        o.emulator, {"--partitions", "4", "--ru-per-second", std::to_string(static_cast<long>(o.ru))});
    const auto cs = cosmos::parse_connection_string(emulator.connection());
    pipeline::keyed_ru_budget_options budget_options;
    budget_options.cap_ru_per_second = o.ru;
    budget_options.per_key.throttle_decrease = o.decrease;
    budget_options.per_key.recovery_per_second = o.recovery;
    pipeline::keyed_ru_budget budget(budget_options);
    stages::ru_budget_gate gate(budget);
    std::vector<collection_run> runs(2);
    runs[0].name = "ById";
    runs[0].key_path = "/id";
    runs[1].name = "Resources";
    runs[1].key_path = "/objecttype";
    net::io_context ctx(1);
    http::client_options http_options;
    http_options.max_connections = 4 * o.lanes + 4;
    http::client http(ctx.get_executor(), cosmos::endpoint_of(cs), http_options);
    cosmos::client_options client_options;
    client_options.gate = &gate;
    cosmos::client client(http, cs, client_options);
    std::exception_ptr failure;
    net::co_spawn(ctx, run_bench(client, gate, o, runs), [&](std::exception_ptr e) { failure = e; });
    ctx.run();
    if (failure) std::rethrow_exception(failure);
    std::printf("bench_write: cosmos-emulator, 4 partitions, %.0f RU/s per collection (job cap the same); "
                "%llu tenant-gen Resources (%s), %zu lanes per range, batches of %.2f s of a range's share, "
                "AIMD x%.2f / +%.2f per s\n",
                o.ru, static_cast<unsigned long long>(runs[0].counters.total.written + runs[0].counters.total.rejected),
                o.interleave ? "types interleaved" : "in tenant-gen order, by type", o.lanes, o.batch_seconds,
                o.decrease, o.recovery);
    bool ok = true;
    for (const auto& run : runs) ok = report(run, o) && ok;
    std::fflush(stdout);
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "bench_write: " << e.what() << "\n";
    return 1;
  }
}
