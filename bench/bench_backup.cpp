// bench_backup: the backup pipeline (stages/run_backup) end to end against cosmos-emulator, and
// its throughput next to `zstd -3 -T0` over the same JSON Lines in the same run (issue 8, 7a).
// A driver, not a Google Benchmark: one backup is one measurement.
//
//   bench_backup [--documents 20000] [--chunk-bytes 8388608] [--chunks-in-flight 4] [--compressors 2]
//                [--level 3] [--page-capacity 8] [--page-size 1000] [--ranges 8] [--ru-budget 0] [--endpoint URL] [--no-load]
//                [--no-zstd] [--emulator-ru 0] [--collections Resources,Events,WorkflowExecutions]
//
// --chunks-in-flight: Backup.ChunksInFlight, the chunks all collections together hold at once
// (the run prints the peak it reached, in bytes).
//
// --collections: the collections the backup reads (default all three), e.g. to see which
// pipeline's memory grows with the collection size.
//
// --emulator-ru N (issue 8, 7b): after the load every collection's offer is replaced by N RU/s
// (the emulator splits it over its 4 partitions); the backup reads the offers and paces each range
// at its share, as the engine does, under the --ru-budget cap. The run then prints per range the
// RU charged (summed from x-ms-request-charge), requests, 429s, time waiting on the budget, time
// with a query in flight, mean page charge and estimate, the physical bound
// (pipeline::physical_bound: max over ranges of RU on the range ÷ its share, and total ÷ the cap),
// RU/s ÷ the bound and 429s ÷ requests (targets >= 0.95 and <= 1 %).
//
// Without --endpoint it starts cosmos-emulator (next to this binary; 4 partitions, throttling
// off) and stops it at the end; it loads the tenant with tenant-gen (next to this binary) unless
// --no-load. With --endpoint it uses an emulator started by the caller (so `/usr/bin/time -v`
// measures this process alone). Prints documents, bytes, seconds, MB/s, RU, 429s, per-stage
// counters, this process's peak RSS (VmHWM) and glibc's heap at the sampled peak (in use, free but
// kept in the heap, mapped blocks: mallinfo2), zstd's MB/s and the ratio, and the CPU-seconds of
// this process, of the emulator (only when started here) and of zstd, with MB per CPU-second of
// the backup process against zstd's (the ratio that does not depend on who else uses the cores).

#include "io/cosmos/client.hpp"
#include "io/cosmos/connection_string.hpp"
#include "io/files/chunk.hpp"
#include "io/http/client.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/keyed_ru_budget.hpp"
#include "pipeline/stage_stats.hpp"
#include "pipeline/throughput_bound.hpp"
#include "stages/backup.hpp"
#include "stages/ru_budget_gate.hpp"
#include "support/child_process.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/resource.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace fs = std::filesystem;
using namespace idabus;

const std::string emulator_key =
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";
const std::string database = "bench";

struct bench_options {
  std::uint64_t documents = 20000;
  stages::backup_options backup;
  double ru_budget = 0;
  std::string endpoint;
  bool load = true;
  bool zstd = true;
  int emulator_ru = 0;  ///< every collection's offer for the backup; 0 = leave it (unthrottled)
  std::string collections = "Resources,Events,WorkflowExecutions";
};

using steady = std::chrono::steady_clock;
double since(steady::time_point from, steady::time_point to) { return std::chrono::duration<double>(to - from).count(); }

/// The engine's gate with counters per budget key ("<collection>#<range id>"), filled from what the
/// client reports: requests (HTTP attempts), 429s, estimates and charges, time spent in acquire
/// (waiting on the budget) and time with at least one request in flight. Used from the client's
/// executor only.
class counting_gate final : public io::cosmos::request_gate {
 public:
  struct range_figures {
    std::uint64_t requests = 0, throttles = 0, charged_requests = 0;
    double estimated_ru = 0, charged_ru = 0;
    double waiting_seconds = 0;  ///< summed over requests (they may overlap)
    double busy_seconds = 0;     ///< at least one request of the key sent and not settled
    int in_flight = 0, max_in_flight = 0;
    steady::time_point busy_since{}, first{}, last{};
  };

  explicit counting_gate(stages::ru_budget_gate& inner) : inner_(inner) {}

  net::awaitable<void> acquire(io::cosmos::gate_key key, double estimate) override {
    const auto started = steady::now();
    auto name = inner_.budget_key(key);
    co_await inner_.acquire(std::move(key), estimate);
    const auto now = steady::now();
    auto& f = figures[name];
    if (f.requests++ == 0) f.first = started;
    f.waiting_seconds += since(started, now);
    if (f.in_flight++ == 0) f.busy_since = now;
    f.max_in_flight = std::max(f.max_in_flight, f.in_flight);
  }
  void settle(io::cosmos::gate_key key, double estimate, double actual) override {
    auto& f = figures[inner_.budget_key(key)];
    const auto now = steady::now();
    if (f.in_flight > 0 && --f.in_flight == 0) f.busy_seconds += since(f.busy_since, now);
    f.last = now;
    f.estimated_ru += estimate;
    f.charged_ru += actual;
    if (actual > 0) ++f.charged_requests;
    inner_.settle(std::move(key), estimate, actual);
  }
  void throttled(io::cosmos::gate_key key, std::chrono::milliseconds retry_after) override {
    ++figures[inner_.budget_key(key)].throttles;
    inner_.throttled(std::move(key), retry_after);
  }
  void ranges_changed(std::string collection, std::vector<std::string> range_ids) override {
    ranges[collection] = range_ids.size();
    inner_.ranges_changed(std::move(collection), std::move(range_ids));
  }
  void work_left(io::cosmos::gate_key key, double ru) override { inner_.work_left(std::move(key), ru); }

  std::map<std::string, range_figures> figures;
  std::map<std::string, std::size_t> ranges;  ///< collection -> its current range count

 private:
  stages::ru_budget_gate& inner_;
};

// Replaces every collection's offer by `ru` and hands the gate what the server then reports, as
// the engine does before a pass (read_throughput, set_provisioned).
net::awaitable<std::map<std::string, double>> provision(io::cosmos::client& client, stages::ru_budget_gate& gate,
                                                        stages::backup_pass pass, int ru) {
  std::map<std::string, double> offers;
  for (const auto& c : pass.collections) {
    co_await client.replace_throughput(pass.database, c.name, ru);
    const auto provisioned = co_await client.read_throughput(pass.database, c.name);
    if (!provisioned) throw std::runtime_error("the emulator reported no offer for " + c.name);
    const auto path = "dbs/" + pass.database + "/colls/" + c.name;
    gate.set_provisioned(path, *provisioned);
    offers[path] = *provisioned;
  }
  co_return offers;
}

/// Prints the RU figures of a throttled run against its physical bound (DESIGN §9).
void report_ru(const counting_gate& gate, const pipeline::keyed_ru_budget& budget,
               const std::map<std::string, double>& offers, double ru_cap, steady::time_point start, double seconds) {
  std::vector<pipeline::key_load> loads;
  std::vector<std::string> names;
  std::uint64_t requests = 0, throttles = 0;
  // wait: in acquire (the range's ledger, then the cap); key wait: the range's ledger alone; busy:
  // a request of the range sent and not answered; from/to: first acquire, last answer.
  std::printf("%-36s %8s %5s %7s %4s %4s %6s %8s %6s %7s %8s %6s %6s\n", "range", "RU", "share", "needs s", "reqs",
              "429s", "wait s", "key wait", "busy s", "RU/page", "est/page", "from s", "to s");
  for (const auto& [name, f] : gate.figures) {
    // A range's share is its collection's offer ÷ its ranges; "<collection>#" (metadata, not one
    // range) has no share of its own: only the cap bounds it.
    const auto collection = name.substr(0, name.rfind('#'));
    const auto offer = offers.find(collection);
    const auto count = gate.ranges.find(collection);
    const bool ranged = name.back() != '#' && offer != offers.end() && count != gate.ranges.end() && count->second > 0;
    const double share = ranged ? offer->second / static_cast<double>(count->second) : 0;
    loads.push_back({f.charged_ru, share});
    names.push_back(name);
    requests += f.requests;
    throttles += f.throttles;
    const double pages = static_cast<double>(std::max<std::uint64_t>(f.charged_requests, 1));
    const double key_wait = std::chrono::duration<double>(budget.counters(name).waited).count();
    std::printf("%-36s %8.0f %5.0f %7.2f %4llu %4llu %6.2f %8.2f %6.2f %7.1f %8.1f %6.2f %6.2f\n", name.c_str(),
                f.charged_ru, share, share > 0 ? f.charged_ru / share : 0.0, static_cast<unsigned long long>(f.requests),
                static_cast<unsigned long long>(f.throttles), f.waiting_seconds, key_wait, f.busy_seconds,
                f.charged_ru / pages, f.estimated_ru / pages, since(start, f.first), since(start, f.last));
  }
  const auto bound = pipeline::physical_bound(loads, ru_cap);
  const double used = pipeline::utilization(bound, seconds);
  const double throttled = requests ? static_cast<double>(throttles) / static_cast<double>(requests) : 0;
  std::printf("RU: %.0f charged in %.2f s = %.0f RU/s; bound T_min %.2f s (%s) = %.0f RU/s; RU/s / bound = %.3f "
              "(target >= 0.95) %s; throttled %llu of %llu requests = %.2f %% (target <= 1 %%) %s\n",
              bound.total_ru, seconds, bound.total_ru / seconds, bound.min_seconds,
              bound.limiting == pipeline::throughput_bound::cap_limited ? "the --ru-budget cap"
                                                                        : names[bound.limiting].c_str(),
              bound.achievable_ru_per_second, used, used >= 0.95 ? "OK" : "BELOW TARGET",
              static_cast<unsigned long long>(throttles), static_cast<unsigned long long>(requests), 100.0 * throttled,
              throttled <= 0.01 ? "OK" : "ABOVE TARGET");
}

bench_options parse(int argc, char** argv) {
  bench_options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--documents") o.documents = std::stoull(value());
    else if (arg == "--chunk-bytes") o.backup.chunk_bytes = std::stoull(value());
    else if (arg == "--chunks-in-flight") o.backup.chunks_in_flight = std::stoull(value());
    else if (arg == "--page-capacity") o.backup.page_capacity = std::stoull(value());
    else if (arg == "--compressors") o.backup.compressors = std::stoull(value());
    else if (arg == "--level") o.backup.compression_level = std::stoi(value());
    else if (arg == "--page-size") o.backup.page_size = std::stoi(value());
    else if (arg == "--ranges") o.backup.range_concurrency = std::stoull(value());
    else if (arg == "--ru-budget") o.ru_budget = std::stod(value());
    else if (arg == "--endpoint") o.endpoint = value();
    else if (arg == "--no-load") o.load = false;
    else if (arg == "--no-zstd") o.zstd = false;
    else if (arg == "--collections") o.collections = value();
    else if (arg == "--emulator-ru") o.emulator_ru = std::stoi(value());
    else throw std::invalid_argument("unknown option " + arg);
  }
  return o;
}

fs::path bin_dir() { return fs::canonical("/proc/self/exe").parent_path(); }

std::string peak_rss() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return line.substr(6);
  }
  return "?";
}

double mb(std::uint64_t bytes) { return static_cast<double>(bytes) / 1e6; }

// User + system CPU-seconds of this process (RUSAGE_SELF) or of its waited-for children.
double cpu_seconds(int who) {
  rusage u{};
  ::getrusage(who, &u);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

// User + system CPU-seconds of a running process (fields 14 and 15 of /proc/<pid>/stat); -1 if unknown.
double process_cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto end_of_name = text.rfind(')');
  if (end_of_name == std::string::npos) return -1;
  std::istringstream fields(text.substr(end_of_name + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Decompresses every chunk (in manifest order) into one JSON Lines file; returns its size.
std::uint64_t write_json_lines(const fs::path& set_dir, const stages::backup_result& result, const fs::path& out) {
  io::files::chunk_decoder decoder;
  std::ofstream file(out, std::ios::binary);
  std::uint64_t total = 0;
  for (const auto& c : result.collections) {
    for (const auto& chunk : c.chunks) {
      const auto text = decoder.read((set_dir / chunk.file).string(), chunk.sha256);
      file.write(text.data(), static_cast<std::streamsize>(text.size()));
      total += text.size();
    }
  }
  return total;
}

// Samples this process's RSS every 20 ms on a thread of its own and, at each new peak, glibc's
// heap figures (mallinfo2): what is in use, what is free but kept in the heap, what is mapped on
// its own. So the peak RSS can be split into live memory and what the allocator holds.
class heap_at_peak {
 public:
  heap_at_peak()
      : sampler_([this] {
          while (!stop_) {
            if (const long rss = rss_kb(); rss > peak_rss_kb_) {
              peak_rss_kb_ = rss;
              at_peak_ = ::mallinfo2();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  heap_at_peak(const heap_at_peak&) = delete;
  heap_at_peak& operator=(const heap_at_peak&) = delete;
  ~heap_at_peak() { stop(); }

  void stop() {
    if (sampler_.joinable()) {
      stop_ = true;
      sampler_.join();
    }
  }
  std::string report() const {
    char line[256];
    std::snprintf(line, sizeof line,
                  "at the sampled peak RSS %ld kB, glibc heap (mallinfo2): in use %zu kB, free but kept %zu kB, "
                  "mapped blocks %zu kB (%zu)",
                  peak_rss_kb_, at_peak_.uordblks / 1024, at_peak_.fordblks / 1024, at_peak_.hblkhd / 1024,
                  at_peak_.hblks);
    return line;
  }

 private:
  static long rss_kb() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
  }

  std::atomic<bool> stop_{false};
  long peak_rss_kb_ = 0;
  struct mallinfo2 at_peak_ {};
  std::thread sampler_;  // last: starts after the fields it writes
};

int run(const bench_options& o) {
  std::optional<test::child_process> emulator;
  std::string url = o.endpoint;
  if (url.empty()) {
    emulator.emplace(std::vector<std::string>{(bin_dir() / "cosmos-emulator").string(), "--port", "0", "--partitions",
                                              "4", "--ru-per-second", "0"});
    url = emulator->wait_for_line("listening on ");
  }
  const std::string connection = "AccountEndpoint=" + url + "/;AccountKey=" + emulator_key + ";";
  if (o.load) {
    const auto start = std::chrono::steady_clock::now();
    test::child_process loader({(bin_dir() / "tenant-gen").string(), connection, database, "--documents",
                                std::to_string(o.documents)});
    while (auto line = loader.read_line(std::chrono::minutes(30))) std::cout << "load: " << *line << "\n";
    if (loader.wait() != 0) throw std::runtime_error("tenant-gen failed");
    std::cout << "load: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
              << " s\n";
  }

  const auto set_dir = fs::temp_directory_path() / ("bench-backup-" + std::to_string(::getpid()));
  fs::remove_all(set_dir);
  pipeline::cpu_pool cpu(pipeline::cpu_pool_options{0, "cpu"});
  pipeline::cpu_pool file_thread(pipeline::cpu_pool_options{1, "files"});
  pipeline::keyed_ru_budget_options budget_options;
  budget_options.cap_ru_per_second = o.ru_budget;
  pipeline::keyed_ru_budget budget(budget_options);
  stages::ru_budget_gate engine_gate(budget);
  counting_gate gate(engine_gate);
  pipeline::stage_stats stats;

  net::io_context ctx;
  const auto cs = io::cosmos::parse_connection_string(connection);
  io::http::client http(ctx.get_executor(), io::cosmos::endpoint_of(cs), io::cosmos::http_options_for(cs));
  io::cosmos::client_options client_options;
  client_options.gate = &gate;
  io::cosmos::client client(http, cs, client_options);

  stages::backup_pass pass;
  pass.database = database;
  for (auto [name, path] : {std::pair{"Resources", "/objecttype"}, {"Events", "/id"}, {"WorkflowExecutions", "/id"}}) {
    if (("," + o.collections + ",").find("," + std::string(name) + ",") == std::string::npos) continue;
    stages::backup_collection c;
    c.name = name;
    c.partition_key_path = path;
    pass.collections.push_back(c);
  }
  std::optional<stages::backup_result> result;
  std::exception_ptr failure;
  std::map<std::string, double> offers;  // "dbs/<db>/colls/<coll>" -> RU/s
  if (o.emulator_ru > 0) {
    net::co_spawn(ctx, provision(client, engine_gate, pass, o.emulator_ru),
                  [&](std::exception_ptr e, std::map<std::string, double> r) {
                    failure = e;
                    offers = std::move(r);
                  });
    ctx.run();
    ctx.restart();
    if (failure) std::rethrow_exception(failure);
    gate.figures.clear();  // count the backup's requests only
  }
  const double emulator_cpu_before = emulator ? process_cpu_seconds(emulator->pid()) : -1;
  const double cpu_before = cpu_seconds(RUSAGE_SELF);
  heap_at_peak heap;
  const auto start = std::chrono::steady_clock::now();
  net::co_spawn(ctx, stages::run_backup(client, cpu, file_thread, set_dir, pass, o.backup, stats),
                [&](std::exception_ptr e, stages::backup_result r) {
                  failure = e;
                  if (!e) result = std::move(r);
                });
  ctx.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  heap.stop();
  const double backup_cpu = cpu_seconds(RUSAGE_SELF) - cpu_before;
  const double emulator_cpu = emulator ? process_cpu_seconds(emulator->pid()) - emulator_cpu_before : -1;
  if (failure) std::rethrow_exception(failure);
  const std::string rss = peak_rss();
  if (o.emulator_ru > 0) report_ru(gate, budget, offers, o.ru_budget, start, seconds);

  std::uint64_t documents = 0, raw = 0, bytes = 0, chunks = 0;
  double ru = 0;
  for (const auto& c : result->collections) {
    documents += c.documents;
    raw += c.raw_bytes;
    bytes += c.bytes;
    chunks += c.chunks.size();
    ru += c.request_charge;
  }
  const auto counters = budget.total_counters();
  const double backup_mbs = mb(raw) / seconds;
  std::printf("backup: %llu documents, %llu chunks, %.1f MB raw -> %.1f MB zstd-%d, %.2f s, %.1f MB/s raw, "
              "%.0f docs/s, %.0f RU, %llu throttled (429)\n",
              static_cast<unsigned long long>(documents), static_cast<unsigned long long>(chunks), mb(raw), mb(bytes),
              o.backup.compression_level, seconds, backup_mbs, static_cast<double>(documents) / seconds, ru,
              static_cast<unsigned long long>(counters.throttles));
  std::printf("options: chunk_bytes=%zu chunks_in_flight=%zu compressors=%zu range_concurrency=%zu page_size=%d "
              "page_capacity=%zu batch_capacity=%zu reorder_window=%zu cpu_threads=%zu\n",
              o.backup.chunk_bytes, o.backup.chunks_in_flight, o.backup.compressors, o.backup.range_concurrency,
              o.backup.page_size, o.backup.page_capacity, o.backup.batch_capacity, o.backup.reorder_window,
              cpu.threads());
  std::printf("peak RSS of this process during the backup (VmHWM):%s\n", rss.c_str());
  std::printf("%s\n", heap.report().c_str());
  std::printf("peak chunk bytes in flight (all collections): %.1f MB of %.1f MB allowed\n",
              mb(result->peak_chunk_bytes_in_flight), mb(o.backup.chunks_in_flight * o.backup.chunk_bytes));
  std::printf("http: %llu requests, %llu response reads\n", static_cast<unsigned long long>(http.stats().requests),
              static_cast<unsigned long long>(http.stats().response_reads));
  std::cout << stats.snapshot().to_string();
  std::printf("cpu seconds during the backup: bench_backup %.2f (%.1f MB raw per cpu-second), ", backup_cpu,
              mb(raw) / backup_cpu);
  if (emulator) std::printf("cosmos-emulator %.2f\n", emulator_cpu);
  else std::printf("cosmos-emulator not measured (--endpoint)\n");

  if (o.zstd) {
    const auto jsonl = set_dir / "all.jsonl";
    const auto size = write_json_lines(set_dir, *result, jsonl);
    const std::string command = "zstd -3 -T0 -q -f '" + jsonl.string() + "' -o '" + jsonl.string() + ".zst'";
    const double zcpu_before = cpu_seconds(RUSAGE_CHILDREN);
    const auto zstart = std::chrono::steady_clock::now();
    const int rc = std::system(command.c_str());
    const double zseconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - zstart).count();
    const double zcpu = cpu_seconds(RUSAGE_CHILDREN) - zcpu_before;
    if (rc != 0) throw std::runtime_error("zstd failed: " + command);
    const double zstd_mbs = mb(size) / zseconds;
    std::printf("zstd -3 -T0 over the same %.1f MB of JSON Lines: %.2f s, %.1f MB/s, %.1f MB; backup/zstd = %.2f\n",
                mb(size), zseconds, zstd_mbs, mb(fs::file_size(jsonl.string() + ".zst")), backup_mbs / zstd_mbs);
    std::printf("zstd cpu seconds %.2f (%.1f MB per cpu-second); per cpu-second of its own process, backup/zstd = %.2f\n",
                zcpu, mb(size) / zcpu, (mb(raw) / backup_cpu) / (mb(size) / zcpu));
  }
  fs::remove_all(set_dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "bench_backup: " << e.what() << "\n";
    return 1;
  }
}
