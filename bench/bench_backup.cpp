// bench_backup: the backup pipeline (stages/run_backup) end to end against cosmos-emulator, and
// its throughput next to `zstd -3 -T0` over the same JSON Lines in the same run (issue 8, 7a).
// A driver, not a Google Benchmark: one backup is one measurement.
//
//   bench_backup [--documents 20000] [--chunk-bytes 8388608] [--compressors 2] [--level 3]
//                [--page-size 1000] [--ranges 8] [--ru-budget 0] [--endpoint URL] [--no-load]
//                [--no-zstd]
//
// Without --endpoint it starts cosmos-emulator (next to this binary; 4 partitions, throttling
// off) and stops it at the end; it loads the tenant with tenant-gen (next to this binary) unless
// --no-load. With --endpoint it uses an emulator started by the caller (so `/usr/bin/time -v`
// measures this process alone). Prints documents, bytes, seconds, MB/s, RU, 429s, per-stage
// counters, this process's peak RSS (VmHWM), zstd's MB/s and the ratio, and the CPU-seconds of
// this process, of the emulator (only when started here) and of zstd, with MB per CPU-second of
// the backup process against zstd's (the ratio that does not depend on who else uses the cores).

#include "io/cosmos/client.hpp"
#include "io/cosmos/connection_string.hpp"
#include "io/files/chunk.hpp"
#include "io/http/client.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/keyed_ru_budget.hpp"
#include "pipeline/stage_stats.hpp"
#include "stages/backup.hpp"
#include "stages/ru_budget_gate.hpp"
#include "support/child_process.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
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
};

bench_options parse(int argc, char** argv) {
  bench_options o;
  o.backup.chunk_bytes = 8u << 20;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--documents") o.documents = std::stoull(value());
    else if (arg == "--chunk-bytes") o.backup.chunk_bytes = std::stoull(value());
    else if (arg == "--compressors") o.backup.compressors = std::stoull(value());
    else if (arg == "--level") o.backup.compression_level = std::stoi(value());
    else if (arg == "--page-size") o.backup.page_size = std::stoi(value());
    else if (arg == "--ranges") o.backup.range_concurrency = std::stoull(value());
    else if (arg == "--ru-budget") o.ru_budget = std::stod(value());
    else if (arg == "--endpoint") o.endpoint = value();
    else if (arg == "--no-load") o.load = false;
    else if (arg == "--no-zstd") o.zstd = false;
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
  stages::ru_budget_gate gate(budget);
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
    stages::backup_collection c;
    c.name = name;
    c.partition_key_path = path;
    pass.collections.push_back(c);
  }
  std::optional<stages::backup_result> result;
  std::exception_ptr failure;
  const double emulator_cpu_before = emulator ? process_cpu_seconds(emulator->pid()) : -1;
  const double cpu_before = cpu_seconds(RUSAGE_SELF);
  const auto start = std::chrono::steady_clock::now();
  net::co_spawn(ctx, stages::run_backup(client, cpu, file_thread, set_dir, pass, o.backup, stats),
                [&](std::exception_ptr e, stages::backup_result r) {
                  failure = e;
                  if (!e) result = std::move(r);
                });
  ctx.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double backup_cpu = cpu_seconds(RUSAGE_SELF) - cpu_before;
  const double emulator_cpu = emulator ? process_cpu_seconds(emulator->pid()) - emulator_cpu_before : -1;
  if (failure) std::rethrow_exception(failure);
  const std::string rss = peak_rss();

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
  std::printf("options: chunk_bytes=%zu compressors=%zu range_concurrency=%zu page_size=%d page_capacity=%zu "
              "batch_capacity=%zu reorder_window=%zu cpu_threads=%zu\n",
              o.backup.chunk_bytes, o.backup.compressors, o.backup.range_concurrency, o.backup.page_size,
              o.backup.page_capacity, o.backup.batch_capacity, o.backup.reorder_window, cpu.threads());
  std::printf("peak RSS of this process during the backup (VmHWM):%s\n", rss.c_str());
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
