// cosmos-emulator: a local Azure Cosmos DB (NoSQL) REST endpoint (DESIGN §11).
// Wiring only: options -> store -> routes + faults -> http server on N threads. First line of
// stdout: "listening on <url>". First SIGINT/SIGTERM: graceful shutdown (requests in flight
// finish, data flushed); a second one stops at once. Exit codes: 0 clean, 1 failure, 2 bad options.

#include "io/http/server.hpp"
#include "tools/cosmos-emulator/faults.hpp"
#include "tools/cosmos-emulator/options.hpp"
#include "tools/cosmos-emulator/routes.hpp"
#include "tools/cosmos-emulator/service.hpp"
#include "tools/cosmos-emulator/store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string_view>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace http = idabus::io::http;
namespace emu = idabus::emulator;

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = emu::parse_options(args);
  if (parsed.help) {
    std::cout << emu::usage();
    return 0;
  }
  if (!parsed.options) {
    std::cerr << "cosmos-emulator: " << parsed.error << "\n";
    return 2;
  }
  const emu::emulator_options& opts = *parsed.options;
  try {
    // Before the store: when the store stops its log, the last durability waiters are answered by
    // posting to this context, so it must outlive the store.
    net::io_context ctx(static_cast<int>(opts.threads));
    emu::store_options store_opts;
    store_opts.partitions = opts.partitions;
    store_opts.default_throughput = opts.ru_per_second;
    store_opts.data_dir = opts.data_dir;
    emu::store data(store_opts);

    emu::routes_options route_opts;
    route_opts.decoded_key = opts.decoded_key;
    route_opts.tls = !opts.tls_cert.empty();
    route_opts.host = opts.host;
    emu::routes api(data, route_opts);

    emu::fault_options fault_opts;
    fault_opts.throttle_probability = opts.fault_429;
    fault_opts.unavailable_probability = opts.fault_503;
    fault_opts.reset_probability = opts.fault_reset;
    fault_opts.seed = opts.seed;
    fault_opts.only = opts.fault_only;
    fault_opts.limit = opts.fault_limit;
    emu::fault_injector faults(fault_opts);

    http::server_options server_opts;
    server_opts.host = opts.host;
    server_opts.port = opts.port;
    server_opts.body_limit = 4 * 1024 * 1024;  // 2 MB documents plus bulk envelopes
    if (!opts.tls_cert.empty()) server_opts.tls = http::tls_files{opts.tls_cert, opts.tls_key};
    http::server srv(ctx.get_executor(), server_opts,
                     emu::make_handler(api, faults, data, std::chrono::milliseconds(opts.latency_ms)),
                     emu::make_head_check(api));
    api.set_port(srv.port());

    std::exception_ptr failure;
    net::co_spawn(ctx, srv.run(), [&](std::exception_ptr e) {
      failure = e;
      ctx.stop();
    });
    net::signal_set signals(ctx, SIGINT, SIGTERM);
    int signals_seen = 0;
    std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int) {
      if (ec) return;
      if (++signals_seen == 1) {
        srv.shutdown();
        signals.async_wait(on_signal);
      } else {
        ctx.stop();
      }
    };
    signals.async_wait(on_signal);

    std::cout << "listening on " << srv.url() << std::endl;  // the first line; endl flushes
    std::vector<std::thread> pool;
    for (std::uint32_t i = 1; i < opts.threads; ++i) pool.emplace_back([&ctx] { ctx.run(); });
    ctx.run();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    data.flush();
    std::cerr << "cosmos-emulator: stopped after " << srv.requests_served() << " requests\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cosmos-emulator: " << e.what() << "\n";
    return 1;
  }
}
