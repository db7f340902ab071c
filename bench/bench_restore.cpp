// bench_restore: the import of exportRaw (stages::run_restore_import with exportRaw's lanes and its
// default budget: each collection's offer split over its ranges, no cap) against cosmos-emulator
// with 4 partitions at --ru (default 10,000) RU/s per collection. It writes tenant-gen's Resources
// as restore files in the order a backup reads them (pages of --page documents taken from the four
// source ranges in turn), then imports them twice: into a collection partitioned by /id (even keys)
// and into Resources partitioned by /objecttype (a handful of keys, Person dominating). For each it
// reports documents/s, RU consumed per second ÷ the achievable bound (pipeline::physical_bound over
// the ranges at their share, RU counted per range from the responses) and throttled operations ÷
// operations. Targets (issue 9 item 8, DESIGN §9): ≥ 0.95 of the bound, ≤ 1 % throttled.
// --mode point sends each document as its own upsert request (exportRaw --mode point) instead of
// bulk requests. --read-ahead-bytes sets how much parsed input may wait for its range (exportRaw's
// default 32 MiB; the hot-range import needs the cold ranges to run ahead). Timings only: nothing
// here is a test.
//
//   bench_restore [--documents N] [--ru R] [--lanes L] [--page P] [--mode bulk|point]
//                 [--read-ahead-bytes B] [--emulator PATH]

#include "bench/bench_options.hpp"
#include "io/cosmos/client.hpp"
#include "io/cosmos/epk.hpp"
#include "io/files/restore_file.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/throughput_bound.hpp"
#include "stages/collection_writes.hpp"
#include "stages/cosmos_session.hpp"
#include "stages/restore_import.hpp"
#include "support/cosmos_emulator.hpp"
#include "support/temp_dir.hpp"
#include "tools/tenant-gen/generator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
namespace files = idabus::io::files;
namespace pipeline = idabus::pipeline;
namespace stages = idabus::stages;
namespace tg = idabus::tenant_gen;

struct bench_options {
  std::uint64_t documents = 30000;  ///< tenant size; its Resources (70 %) are imported
  double ru = 10000;
  std::size_t lanes = 8;  ///< exportRaw's default --parallelism
  std::size_t page = 1000;
  stages::write_mode mode = stages::write_mode::bulk;
  std::size_t read_ahead_bytes = stages::restore_import_options{}.read_ahead_bytes;
  std::string emulator;
};

// One progress tick: how far the reader got and the RU each range had written by then.
struct progress_sample {
  double seconds = 0;
  std::uint64_t position = 0;
  std::uint64_t sent = 0;  ///< documents handed to the lanes
  std::vector<double> range_ru;
};

struct collection_run {
  std::string name;
  std::string key_path;
  std::vector<std::filesystem::path> files;
  stages::write_lanes_counters counters;
  std::vector<std::string> ranges;
  std::uint64_t documents = 0;
  double share = 0;
  double seconds = 0;
  std::size_t lanes = 0;
  std::vector<double> budget_wait;  ///< per range: seconds its requests waited for the budget
  std::vector<progress_sample> timeline;
  std::vector<std::uint64_t> file_starts;
  double survey_seconds = 0;  ///< one read of every file (restore_file_reader), before the import
};

// Writes the Resources as restore files in backup order: pages of `page` documents from each of
// four equal source EPK ranges in turn (a backup reads every range in parallel).
std::vector<std::filesystem::path> write_restore_files(const tg::tenant_generator& generator, bool by_id,
                                                       std::size_t page, const std::filesystem::path& folder,
                                                       const std::string& collection) {
  const std::uint64_t count = generator.plan().count(tg::collection_kind::resources);
  const std::vector<std::string> bounds{"", "3F", "7F", "BF", "FF"};
  std::vector<std::vector<std::uint64_t>> by_range(4);
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto doc = generator.generate(tg::collection_kind::resources, i);
    const std::vector<cosmos::pk_component> key{by_id ? doc.id : doc.partition_key};
    const auto epk = cosmos::effective_partition_key_v2(key);
    for (std::size_t r = 0; r < 4; ++r) {
      if (cosmos::epk_in_range(epk, bounds[r], bounds[r + 1])) by_range[r].push_back(i);
    }
  }
  files::restore_file_writer writer(folder, collection);
  std::vector<std::size_t> next(4, 0);
  for (bool more = true; more;) {
    more = false;
    for (std::size_t r = 0; r < 4; ++r) {
      for (std::size_t k = 0; k < page && next[r] < by_range[r].size(); ++k) {
        writer.add(generator.generate(tg::collection_kind::resources, by_range[r][next[r]++]).body);
      }
      more = more || next[r] < by_range[r].size();
    }
  }
  writer.finish();
  return files::list_restore_files(folder, collection);
}

net::awaitable<void> import_collection(stages::cosmos_session& session, pipeline::cpu_pool& file_thread,
                                       bench_options o, collection_run& run) {
  auto& client = session.client();
  co_await client.create_collection_if_missing("bench", run.name, run.key_path, static_cast<int>(o.ru));
  const auto plan = co_await stages::plan_collection_writes(client, &session.gate(), "bench", run.name);
  if (!plan.provisioned || plan.ranges.empty()) throw std::runtime_error("the emulator reported no offer or no ranges");
  std::vector<stages::epk_range> ranges;
  for (const auto& r : plan.ranges) {
    run.ranges.push_back(r.id);
    ranges.push_back({r.min_inclusive, r.max_exclusive});
  }
  run.share = plan.range_share;
  const auto survey_start = std::chrono::steady_clock::now();
  auto surveyed = stages::survey_restore_files(run.files);
  run.survey_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - survey_start).count();
  stages::import_tracker tracker(std::move(surveyed), std::move(ranges));
  run.documents = tracker.total_documents();
  stages::restore_import_options options;
  options.files = run.files;
  options.partition_key_path = run.key_path;
  options.lanes = stages::import_lanes("bench", run.name, o.lanes, plan.range_share);
  run.lanes = o.lanes;
  run.file_starts = tracker.file_starts();
  options.lanes.mode = o.mode;
  options.read_ahead_bytes = o.read_ahead_bytes;
  const auto started = std::chrono::steady_clock::now();
  options.progress = [&run, &tracker, started] {
    progress_sample s;
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    s.position = tracker.position();
    s.sent = tracker.counts().sent;
    for (const auto& id : run.ranges) s.range_ru.push_back(run.counters.ranges[id].ru);
    run.timeline.push_back(std::move(s));
  };
  co_await stages::run_restore_import(client, file_thread, std::move(options), tracker, run.counters);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& id : run.ranges) run.budget_wait.push_back(session.gate().waited_seconds("dbs/bench/colls/" + run.name, id));
}

// Where each range's sub-lanes spent the import (shares of sub-lane time), and the reader's
// position with each range's RU/s over time.
void report_time(const collection_run& run) {
  const double lane_seconds = run.seconds * static_cast<double>(run.lanes);
  std::printf("              reading every restore file once (the survey before the import): %.2f s\n", run.survey_seconds);
  for (std::size_t i = 0; i < run.ranges.size(); ++i) {
    const auto it = run.counters.ranges.find(run.ranges[i]);
    if (it == run.counters.ranges.end()) continue;
    const auto& c = it->second;
    const double budget = i < run.budget_wait.size() ? run.budget_wait[i] : 0;
    std::printf("              range %s sub-lane time: idle (no input) %.1f %%, budget wait %.1f %%, in flight %.1f %%; "
                "router blocked on it %.2f s of %.2f s\n",
                run.ranges[i].c_str(), 100.0 * c.idle_seconds / lane_seconds, 100.0 * budget / lane_seconds,
                100.0 * (c.request_seconds - budget) / lane_seconds, c.router_blocked_seconds, run.seconds);
  }
  std::printf("              timeline (s: restore file read (slowest range) / documents sent to the lanes / RU/s per range):");
  std::size_t last = 0;
  for (std::size_t k = 0; k < run.timeline.size(); ++k) {
    const auto& s = run.timeline[k];
    if (k + 1 < run.timeline.size() && s.seconds - run.timeline[last].seconds < 2.0) continue;
    const auto& from = run.timeline[last];
    const std::size_t file =
        static_cast<std::size_t>(std::upper_bound(run.file_starts.begin(), run.file_starts.end(), s.position) -
                                 run.file_starts.begin());
    std::printf("\n                %5.1f: file %zu/%zu %6llu", s.seconds, file, run.file_starts.size(),
                static_cast<unsigned long long>(s.sent));
    for (std::size_t i = 0; i < s.range_ru.size(); ++i) {
      const double dt = k == last ? s.seconds : s.seconds - from.seconds;
      const double before = k == last ? 0 : from.range_ru[i];
      std::printf(" %6.0f", dt > 0 ? (s.range_ru[i] - before) / dt : 0.0);
    }
    last = k;
  }
  std::printf("\n");
}

net::awaitable<void> run_bench(cosmos::connection_string cs, bench_options o, std::vector<collection_run>& runs) {
  pipeline::cpu_pool file_thread(pipeline::cpu_pool_options{1, "file"});
  stages::cosmos_session_options session_options;
  session_options.max_connections = 4 * o.lanes + 4;
  stages::cosmos_session session(co_await net::this_coro::executor, cs, session_options);
  co_await session.client().create_database_if_missing("bench");
  for (auto& run : runs) co_await import_collection(session, file_thread, o, run);
}

bool report(const collection_run& run, stages::write_mode mode) {
  const auto& t = run.counters.total;
  std::vector<pipeline::key_load> loads;
  for (const auto& id : run.ranges) {
    const auto it = run.counters.ranges.find(id);
    loads.push_back({it == run.counters.ranges.end() ? 0.0 : it->second.ru, run.share});
  }
  const auto bound = pipeline::physical_bound(loads);
  const double used = pipeline::utilization(bound, run.seconds);
  const double throttled = t.operations ? static_cast<double>(t.throttled_operations) / static_cast<double>(t.operations) : 0;
  std::printf("%-12s: %llu of %llu documents written (%llu rejected) in %.2f s = %.0f docs/s; %.0f RU = %.0f RU/s\n",
              run.key_path.c_str(), static_cast<unsigned long long>(t.written),
              static_cast<unsigned long long>(run.documents), static_cast<unsigned long long>(t.rejected), run.seconds,
              static_cast<double>(t.written) / run.seconds, t.ru, t.ru / run.seconds);
  std::printf("              RU per range (share %.0f RU/s each):", run.share);
  for (std::size_t i = 0; i < loads.size(); ++i) {
    std::printf(" %s=%.1f %%", run.ranges[i].c_str(), bound.total_ru > 0 ? 100.0 * loads[i].needed_ru / bound.total_ru : 0.0);
  }
  std::printf("\n              bound %.0f RU/s (T_min %.2f s, range %s); RU/s / bound = %.3f (target >= 0.95) %s\n",
              bound.achievable_ru_per_second, bound.min_seconds,
              bound.limiting < run.ranges.size() ? run.ranges[bound.limiting].c_str() : "?", used,
              used >= 0.95 ? "OK" : "BELOW TARGET");
  std::printf("              throttled %llu of %llu operations = %.2f %% (target <= 1 %%) %s; %llu %s requests\n",
              static_cast<unsigned long long>(t.throttled_operations), static_cast<unsigned long long>(t.operations),
              100.0 * throttled, throttled <= 0.01 ? "OK" : "ABOVE TARGET", static_cast<unsigned long long>(t.requests),
              mode == stages::write_mode::point ? "point" : "bulk");
  report_time(run);
  return used >= 0.95 && throttled <= 0.01 && t.rejected == 0 && t.written == run.documents;
}

}  // namespace

int main(int argc, char** argv) {
  bench_options o;
  o.emulator = idabus::bench::emulator_next_to_this_program();
  using idabus::bench::positive_count;
  const bool parsed = idabus::bench::parse_options(
      argc, argv, "bench_restore",
      "usage: bench_restore [--documents N] [--ru R] [--lanes L] [--page P] [--mode bulk|point] "
      "[--read-ahead-bytes B] [--emulator PATH]",
      {{"--documents", [&](std::string_view v) { o.documents = positive_count(v); }},
       {"--ru", [&](std::string_view v) { o.ru = idabus::bench::positive_number(v); }},
       {"--lanes", [&](std::string_view v) { o.lanes = positive_count(v); }},
       {"--page", [&](std::string_view v) { o.page = positive_count(v); }},
       {"--mode",
        [&](std::string_view v) {
          if (v != "bulk" && v != "point") throw std::invalid_argument("expected bulk or point, got '" + std::string(v) + "'");
          o.mode = v == "point" ? stages::write_mode::point : stages::write_mode::bulk;
        }},
       {"--read-ahead-bytes", [&](std::string_view v) { o.read_ahead_bytes = positive_count(v); }},
       {"--emulator", [&](std::string_view v) { o.emulator = v; }}});
  if (!parsed) return 2;
  try {
    idabus::test::temp_dir dir;
    const tg::tenant_generator generator(tg::plan_tenant(o.documents, 1));
    std::vector<collection_run> runs(2);
    runs[0].name = "ById";
    runs[0].key_path = "/id";
    runs[1].name = "Resources";
    runs[1].key_path = "/objecttype";
    for (auto& run : runs) {
      std::filesystem::create_directories(dir.path / run.name);
      run.files = write_restore_files(generator, run.key_path == "/id", o.page, dir.path / run.name, run.name);
    }
    idabus::test::cosmos_emulator emulator(
        o.emulator, {"--partitions", "4", "--ru-per-second", std::to_string(static_cast<long>(o.ru))});
    const auto cs = cosmos::parse_connection_string(emulator.connection());
    net::io_context ctx(1);
    std::exception_ptr failure;
    net::co_spawn(ctx, run_bench(cs, o, runs), [&](std::exception_ptr e) { failure = e; });
    ctx.run();
    if (failure) std::rethrow_exception(failure);
    std::printf("bench_restore: cosmos-emulator, 4 partitions, %.0f RU/s per collection, default budget (offer / "
                "ranges, no cap); %llu tenant-gen Resources in %zu restore files per collection, backup order (pages "
                "of %zu from each source range in turn); %zu sub-lanes per range; %s mode\n",
                o.ru, static_cast<unsigned long long>(runs[0].documents), runs[0].files.size(), o.page, o.lanes,
                o.mode == stages::write_mode::point ? "point" : "bulk");
    bool ok = true;
    for (const auto& run : runs) ok = report(run, o.mode) && ok;
    std::fflush(stdout);
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "bench_restore: " << e.what() << "\n";
    return 1;
  }
}
