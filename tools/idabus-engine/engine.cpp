#include "tools/idabus-engine/engine.hpp"

#include "tools/idabus-engine/descriptors.hpp"
#include "tools/idabus-engine/documents.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <csignal>
#include <ostream>

namespace idabus::engine {

namespace {

io::cosmos::connection_string parse_connection(const std::string& text) {
  try {
    return io::cosmos::parse_connection_string(text);
  } catch (const std::invalid_argument&) {
    // The parser's message may quote the string; the key must never be printed.
    throw config_error("CosmosDb.ConnectionString: expected AccountEndpoint=http(s)://host:port/;AccountKey=<base64>;");
  }
}

}  // namespace

engine_host::engine_host(net::any_io_executor executor, config settings, backup_pass pass, backup_finalizer finalize)
    : executor_(executor),
      settings_(std::move(settings)),
      connection_(parse_connection(settings_.cosmos.connection_string)),
      http_(executor, io::cosmos::endpoint_of(connection_), io::cosmos::http_options_for(connection_)),
      cosmos_(http_, connection_),
      store_(cosmos_, settings_.cosmos),
      modes_(store_, std::chrono::milliseconds(settings_.engine.modes_cache_milliseconds)),
      lease_(store_, new_id(), std::chrono::seconds(settings_.backup.lease_seconds)),
      writes_(executor),
      steps_(executor),
      runner_(store_, modes_, steps_, workflow_options{std::chrono::milliseconds(settings_.engine.workflow_step_milliseconds)}),
      pipeline_(pass ? nullptr
                     : std::make_unique<pipeline_pass>(executor, connection_, settings_.cosmos, settings_.backup)),
      orchestrator_(executor, store_, modes_, lease_, writes_, steps_, metrics_, settings_.backup,
                    pipeline_ ? pipeline_->as_pass() : std::move(pass),
                    pipeline_ ? pipeline_->as_finalizer() : std::move(finalize)),
      keys_(settings_.api.api_keys),
      api_(api_parts{settings_, keys_, store_, modes_, writes_, runner_, orchestrator_, metrics_}),
      background_done_(executor) {}

net::awaitable<void> engine_host::start() {
  co_await store_.ensure_collections();
  co_await orchestrator_.recover_abandoned();
  auto finished = [this](std::exception_ptr) {
    if (--background_running_ == 0) background_done_.cancel();
  };
  background_running_ = 2;
  net::co_spawn(executor_, runner_.run(), net::bind_cancellation_slot(stop_runner_.slot(), finished));
  net::co_spawn(executor_, orchestrator_.run_watchdog(), net::bind_cancellation_slot(stop_watchdog_.slot(), finished));
}

net::awaitable<void> engine_host::stop() {
  orchestrator_.cancel();
  co_await orchestrator_.wait_idle();
  if (background_running_ == 0) co_return;
  stop_runner_.emit(net::cancellation_type::terminal);
  stop_watchdog_.emit(net::cancellation_type::terminal);
  while (background_running_ > 0) {
    background_done_.expires_after(std::chrono::hours(1));
    co_await background_done_.async_wait(net::as_tuple(net::use_awaitable));
  }
}

std::unique_ptr<io::http::server> make_api_server(net::any_io_executor executor, engine_host& host) {
  const auto& api_settings = host.settings().api;
  io::http::server_options options;
  options.host = api_settings.host;
  options.port = api_settings.port;
  options.body_limit = api_settings.body_limit;
  options.max_connections = api_settings.max_connections;
  options.max_body_bytes_in_flight = api_settings.max_body_bytes_in_flight;
  options.header_timeout = std::chrono::milliseconds(api_settings.header_timeout_milliseconds);
  options.body_timeout = std::chrono::milliseconds(api_settings.body_timeout_milliseconds);
  auto& api = host.http_api();
  return std::make_unique<io::http::server>(
      executor, options, io::http::handler([&api](io::http::request r) { return api.handle(std::move(r)); }),
      io::http::head_check([&api](const io::http::request& head) { return api.check_head(head); }));
}

namespace {

net::awaitable<void> serve(engine_host& host, io::http::server& server, std::ostream& out, int& exit_code) {
  net::signal_set signals(co_await net::this_coro::executor, SIGINT, SIGTERM);
  co_await signals.async_wait(net::use_awaitable);
  out << "stopping: cancelling a running backup and restoring the system modes" << std::endl;
  co_await host.stop();
  server.shutdown();
  exit_code = 0;
}

}  // namespace

int engine_main(std::vector<std::string_view> args, const std::filesystem::path& program_dir, std::ostream& out,
                std::ostream& err, backup_pass pass) {
  std::optional<std::filesystem::path> config_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = std::filesystem::path(args[++i]);
    } else if (args[i] == "--help" || args[i] == "-h") {
      out << "usage: idabus-engine [--config PATH]\n";
      return 0;
    } else {
      err << "idabus-engine: unknown argument '" << args[i] << "' (usage: idabus-engine [--config PATH])\n";
      return 2;
    }
  }
  std::optional<config> settings;
  try {
    const auto file = find_config_file(config_path, program_dir, std::filesystem::current_path());
    settings = load_config(file, process_environment());
  } catch (const config_error& e) {
    err << "idabus-engine: " << e.what() << "\n";
    return 2;
  }
  // Clients holding connections must not take the descriptors a running backup needs.
  std::string descriptor_note;
  settings->api.max_connections = fit_connections_to_descriptors(settings->api.max_connections, descriptor_note);
  if (!descriptor_note.empty()) err << "idabus-engine: " << descriptor_note << "\n";
  net::io_context ctx(1);
  std::optional<engine_host> host;
  std::unique_ptr<io::http::server> server;
  try {
    host.emplace(ctx.get_executor(), *settings, std::move(pass));
    server = make_api_server(ctx.get_executor(), *host);
  } catch (const config_error& e) {
    err << "idabus-engine: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "idabus-engine: cannot start: " << e.what() << "\n";
    return 3;
  }
  int exit_code = 3;
  std::exception_ptr startup_failure;
  net::co_spawn(ctx, host->start(), [&](std::exception_ptr e) {
    if (e) {
      startup_failure = e;
      server->shutdown();
      return;
    }
    out << "listening on " << server->url() << std::endl;
    net::co_spawn(ctx, serve(*host, *server, out, exit_code), net::detached);
  });
  net::co_spawn(ctx, server->run(), net::detached);
  ctx.run();
  if (startup_failure) {
    try {
      std::rethrow_exception(startup_failure);
    } catch (const std::exception& e) {
      err << "idabus-engine: cannot start: " << e.what() << "\n";
    }
    return 3;
  }
  return exit_code;
}

}  // namespace idabus::engine
