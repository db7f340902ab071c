// bench_emulator: how fast cosmos-emulator serves the two workloads of this product, from one
// client process. Starts build/bin/cosmos-emulator (next to this binary, or --emulator PATH) with
// throttling off, then measures with the project's HTTP client (io/http) and signer (io/cosmos):
//   1. bulk upserts of 1 KB documents (batches of 100, several batches in flight)   target >= 20,000 docs/s
//   2. paged `SELECT * FROM c`, one continuation chain per partition key range        target >= 100,000 docs/s
//   3. the emulator's resident memory against the raw bytes of the documents          target <= 2x
// Not a test: it prints figures and exits 0 unless something failed outright.
//   bench_emulator [--documents 100000] [--connections 16] [--batch 100] [--page 1000]
//                  [--emulator-threads 2] [--emulator PATH] [--data-dir D]
// --data-dir D runs the emulator with `--data-dir D` (durable writes: each bulk request is
// acknowledged after its group's fdatasync); D must not hold an emulator.log yet, and the log the
// run wrote is removed at the end.

#include "bench/bench_options.hpp"
#include "io/cosmos/auth.hpp"
#include "io/cosmos/base64.hpp"
#include "io/http/client.hpp"
#include "io/http/url.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace net = boost::asio;
namespace http = idabus::io::http;
namespace cosmos = idabus::io::cosmos;
using clock_type = std::chrono::steady_clock;

constexpr std::string_view emulator_key =
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

struct bench_options {
  std::size_t documents = 100000;
  std::size_t connections = 16;
  std::size_t batch = 100;
  std::size_t page = 1000;
  unsigned emulator_threads = 2;
  std::string emulator;
  std::string data_dir;  ///< empty: memory only
};

/// The emulator as a child process; SIGTERM and wait on destruction.
class emulator_process {
 public:
  emulator_process(const std::string& path, std::vector<std::string> args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    args.insert(args.begin(), path);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
      ::close(fds[0]);
      throw std::runtime_error("cannot start " + path + ": " + std::strerror(rc));
    }
    fd_ = fds[0];
  }
  ~emulator_process() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    if (fd_ >= 0) ::close(fd_);
  }
  /// The first stdout line, within 10 s.
  std::string first_line() {
    std::string line;
    auto deadline = clock_type::now() + std::chrono::seconds(10);
    while (clock_type::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char c;
      if (::read(fd_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    throw std::runtime_error("cosmos-emulator printed no listening line");
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

std::uint64_t rss_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

/// A signed request as an SDK sends it.
http::request signed_request(const std::string& key, std::string method, std::string path, std::string body = {}) {
  http::request req;
  req.method = std::move(method);
  req.target = path;
  req.body = std::move(body);
  auto date = cosmos::http_date(std::chrono::system_clock::now());
  req.headers.emplace_back("x-ms-date", date);
  req.headers.emplace_back("x-ms-version", "2020-07-15");
  req.headers.emplace_back("authorization",
                           cosmos::authorization_header(key, req.method, cosmos::address_of(path), date));
  req.headers.emplace_back("Content-Type", "application/json");
  return req;
}

std::string document(std::size_t i) {
  std::string doc = "{\"id\":\"d" + std::to_string(i) + "\",\"pk\":\"p" + std::to_string(i % 1000) +
                    "\",\"objecttype\":\"Person\",\"payload\":\"";
  doc.append(1024 - doc.size() - 2, 'x');
  doc += "\"}";
  return doc;
}

net::awaitable<http::response> expect(http::client& client, http::request req, unsigned want1, unsigned want2 = 0) {
  std::string what = req.method + " " + req.target;
  auto res = co_await client.request(std::move(req));
  if (res.status != want1 && res.status != want2) {
    throw std::runtime_error(what + " answered " + std::to_string(res.status) + ": " + res.body.substr(0, 300));
  }
  co_return res;
}

struct figures {
  double bulk_seconds = 0;
  double query_seconds = 0;
  std::size_t queried = 0;
  std::size_t pages = 0;
  std::uint64_t rss = 0;
  std::uint64_t rss_before = 0;
};

net::awaitable<void> run_bulk_worker(http::client& client, std::string key, bench_options opts,
                                     std::size_t& next) {
  while (next < opts.documents) {
    std::size_t first = next;
    std::size_t last = std::min(opts.documents, first + opts.batch);
    next = last;
    std::string body = "[";
    for (std::size_t i = first; i < last; ++i) {
      if (i != first) body += ',';
      body += "{\"operationType\":\"Upsert\",\"partitionKey\":\"[\\\"p" + std::to_string(i % 1000) +
              "\\\"]\",\"resourceBody\":";
      body += document(i);
      body += '}';
    }
    body += ']';
    auto req = signed_request(key, "POST", "/dbs/bench/colls/items/docs", std::move(body));
    req.headers.emplace_back("x-ms-cosmos-is-batch-request", "True");
    req.headers.emplace_back("x-ms-cosmos-batch-atomic", "False");
    req.headers.emplace_back("x-ms-cosmos-batch-continue-on-error", "True");
    co_await expect(client, std::move(req), 200);
  }
}

net::awaitable<void> run_range_query(http::client& client, std::string key, bench_options opts,
                                     std::string range, figures& f) {
  std::string continuation;
  for (;;) {
    auto req = signed_request(key, "POST", "/dbs/bench/colls/items/docs", R"({"query":"SELECT * FROM c"})");
    http::set_header(req.headers, "Content-Type", "application/query+json");
    req.headers.emplace_back("x-ms-documentdb-isquery", "True");
    req.headers.emplace_back("x-ms-documentdb-query-enablecrosspartition", "True");
    req.headers.emplace_back("x-ms-documentdb-partitionkeyrangeid", range);
    req.headers.emplace_back("x-ms-max-item-count", std::to_string(opts.page));
    if (!continuation.empty()) req.headers.emplace_back("x-ms-continuation", continuation);
    auto res = co_await expect(client, std::move(req), 200);
    auto count = res.header("x-ms-item-count");
    std::size_t n = 0;
    std::from_chars(count.data(), count.data() + count.size(), n);
    f.queried += n;
    ++f.pages;
    continuation = std::string(res.header("x-ms-continuation"));
    if (continuation.empty()) break;
  }
}

net::awaitable<void> run_bench(http::client& client, std::string key, bench_options opts, pid_t emulator, figures& f) {
  co_await expect(client, signed_request(key, "POST", "/dbs", R"({"id":"bench"})"), 201);
  co_await expect(client,
                  signed_request(key, "POST", "/dbs/bench/colls",
                                 R"({"id":"items","partitionKey":{"paths":["/pk"],"kind":"Hash","version":2}})"),
                  201);
  f.rss_before = rss_bytes(emulator);
  auto ex = co_await net::this_coro::executor;
  {
    std::size_t next = 0;
    std::size_t done = 0;
    auto t0 = clock_type::now();
    std::exception_ptr failure;
    for (std::size_t w = 0; w < opts.connections; ++w) {
      net::co_spawn(ex, run_bulk_worker(client, key, opts, next), [&](std::exception_ptr e) {
        if (e && !failure) failure = e;
        ++done;
      });
    }
    while (done < opts.connections) {
      net::steady_timer t(ex, std::chrono::milliseconds(1));
      co_await t.async_wait(net::use_awaitable);
    }
    if (failure) std::rethrow_exception(failure);
    f.bulk_seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  }
  f.rss = rss_bytes(emulator);
  auto ranges_res = co_await expect(client, signed_request(key, "GET", "/dbs/bench/colls/items/pkranges"), 200);
  std::vector<std::string> ranges;
  for (std::size_t at = 0; (at = ranges_res.body.find("{\"id\":\"", at)) != std::string::npos;) {
    at += 7;
    ranges.push_back(ranges_res.body.substr(at, ranges_res.body.find('"', at) - at));
  }
  {
    std::size_t done = 0;
    std::exception_ptr failure;
    auto t0 = clock_type::now();
    for (auto& r : ranges) {
      net::co_spawn(ex, run_range_query(client, key, opts, r, f), [&](std::exception_ptr e) {
        if (e && !failure) failure = e;
        ++done;
      });
    }
    while (done < ranges.size()) {
      net::steady_timer t(ex, std::chrono::milliseconds(1));
      co_await t.async_wait(net::use_awaitable);
    }
    if (failure) std::rethrow_exception(failure);
    f.query_seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  }
}

}  // namespace

int main(int argc, char** argv) {
  bench_options opts;
  opts.emulator = idabus::bench::emulator_next_to_this_program();
  using idabus::bench::positive_count;
  const bool parsed = idabus::bench::parse_options(
      argc, argv, "bench_emulator",
      "usage: bench_emulator [--documents N] [--connections C] [--batch B] [--page P] [--emulator-threads T] "
      "[--emulator PATH] [--data-dir D]",
      {{"--documents", [&](std::string_view v) { opts.documents = positive_count(v); }},
       {"--connections", [&](std::string_view v) { opts.connections = positive_count(v); }},
       {"--batch", [&](std::string_view v) { opts.batch = std::min<std::size_t>(positive_count(v), 100); }},
       {"--page", [&](std::string_view v) { opts.page = positive_count(v); }},
       {"--emulator-threads",
        [&](std::string_view v) { opts.emulator_threads = static_cast<unsigned>(positive_count(v)); }},
       {"--emulator", [&](std::string_view v) { opts.emulator = v; }},
       {"--data-dir", [&](std::string_view v) { opts.data_dir = v; }}});
  if (!parsed) return 2;
  try {
    std::vector<std::string> emulator_args{"--port", "0", "--partitions", "4", "--ru-per-second", "0", "--threads",
                                           std::to_string(opts.emulator_threads)};
    std::filesystem::path log_file;
    if (!opts.data_dir.empty()) {
      log_file = std::filesystem::path(opts.data_dir) / "emulator.log";
      if (std::filesystem::exists(log_file)) {
        std::cerr << "bench_emulator: " << log_file.string() << " exists: give an empty --data-dir\n";
        return 2;
      }
      emulator_args.insert(emulator_args.end(), {"--data-dir", opts.data_dir});
    }
    struct remove_log {
      std::filesystem::path file;
      ~remove_log() {
        std::error_code ec;
        if (!file.empty()) std::filesystem::remove(file, ec);
      }
    } cleanup{log_file};
    emulator_process emu(opts.emulator, emulator_args);
    std::string line = emu.first_line();
    std::string url = line.substr(line.find("http"));
    std::string key = *cosmos::base64_decode(emulator_key);
    net::io_context ctx(1);
    http::client_options copts;
    copts.max_connections = opts.connections + 4;
    http::client client(ctx.get_executor(), http::parse_url(url).endpoint(), copts);
    figures f;
    std::exception_ptr failure;
    net::co_spawn(ctx, run_bench(client, key, opts, emu.pid(), f), [&](std::exception_ptr e) { failure = e; });
    ctx.run();
    if (failure) std::rethrow_exception(failure);

    double raw = static_cast<double>(opts.documents) * 1024.0;
    double bulk_rate = static_cast<double>(opts.documents) / f.bulk_seconds;
    double query_rate = static_cast<double>(f.queried) / f.query_seconds;
    double ratio = static_cast<double>(f.rss) / raw;
    double ratio_net = static_cast<double>(f.rss - std::min(f.rss, f.rss_before)) / raw;
    std::printf("cosmos-emulator at %s, %u threads, 4 partitions, throttling off, %s; client: 1 thread, %zu "
                "connections\n",
                url.c_str(), opts.emulator_threads,
                opts.data_dir.empty() ? "memory only" : ("--data-dir " + opts.data_dir).c_str(), opts.connections);
    std::printf("bulk upsert : %zu docs of 1 KB in %.2f s = %.0f docs/s (target >= 20000) %s\n", opts.documents,
                f.bulk_seconds, bulk_rate, bulk_rate >= 20000 ? "OK" : "BELOW TARGET");
    std::printf("paged query : %zu docs in %zu pages in %.2f s = %.0f docs/s (target >= 100000) %s\n", f.queried,
                f.pages, f.query_seconds, query_rate, query_rate >= 100000 ? "OK" : "BELOW TARGET");
    std::printf("memory      : emulator RSS %.1f MiB (%.1f MiB before loading) for %.1f MiB raw = %.2fx total, %.2fx "
                "added (target <= 2x) %s\n",
                f.rss / 1048576.0, f.rss_before / 1048576.0, raw / 1048576.0, ratio, ratio_net,
                ratio <= 2.0 ? "OK" : "ABOVE TARGET");
    std::fflush(stdout);
    if (f.queried != opts.documents) {
      std::fprintf(stderr, "bench_emulator: the query returned %zu documents, expected %zu\n", f.queried, opts.documents);
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_emulator: " << e.what() << "\n";
    return 1;
  }
}
