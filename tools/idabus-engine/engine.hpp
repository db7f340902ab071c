#pragma once
// engine: the idabus-engine program assembled from its parts (config -> Cosmos client -> store,
// modes, lease, write tracking, workflow runner, orchestrator -> api), testable without main().
// - engine_host::start(): creates the database and collections when missing, recovers an
//   abandoned backup (orchestrator::recover_abandoned), and starts the workflow runner and the
//   lease watchdog in the background.
// - engine_host::stop(): cancels this process's backup and waits for its cleanup (modes restored,
//   event final, lease released), then stops the background coroutines. Call it before the host
//   goes away, and let the io_context run until they ended.
// - engine_main(): `idabus-engine [--config PATH]`; prints "listening on http://host:port" as
//   the first line of stdout; SIGINT/SIGTERM stop it as stop() describes, then the server drains.
//   Exit codes: 0 after a signal, 2 configuration error, 3 start-up failure (Cosmos unreachable,
//   port taken). Secrets are never printed.
// Runs on one single-threaded io_context.

#include "io/cosmos/client.hpp"
#include "io/cosmos/connection_string.hpp"
#include "io/http/client.hpp"
#include "io/http/server.hpp"
#include "tools/idabus-engine/activity.hpp"
#include "tools/idabus-engine/api.hpp"
#include "tools/idabus-engine/auth.hpp"
#include "tools/idabus-engine/config.hpp"
#include "tools/idabus-engine/lease.hpp"
#include "tools/idabus-engine/metrics.hpp"
#include "tools/idabus-engine/modes.hpp"
#include "tools/idabus-engine/orchestrator.hpp"
#include "tools/idabus-engine/pipeline_pass.hpp"
#include "tools/idabus-engine/store.hpp"
#include "tools/idabus-engine/workflow_runner.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string_view>
#include <vector>

namespace idabus::engine {

class engine_host {
 public:
  /// Throws config_error when the connection string cannot be parsed (without quoting it).
  /// An empty `pass` runs the streaming pipeline (pipeline_pass: chunks and the manifest); tests
  /// inject their own pass, and with it optionally the finalizer that writes the manifest (none:
  /// no manifest is written).
  engine_host(net::any_io_executor executor, config settings, backup_pass pass = {}, backup_finalizer finalize = {});

  net::awaitable<void> start();
  net::awaitable<void> stop();

  engine::api& http_api() noexcept { return api_; }
  orchestrator& backups() noexcept { return orchestrator_; }
  modes_registry& modes() noexcept { return modes_; }
  store& documents() noexcept { return store_; }
  workflow_runner& workflows() noexcept { return runner_; }
  activity_counter& writes() noexcept { return writes_; }
  const config& settings() const noexcept { return settings_; }

 private:
  net::any_io_executor executor_;
  config settings_;
  io::cosmos::connection_string connection_;
  io::http::client http_;
  io::cosmos::client cosmos_;
  engine::store store_;
  modes_registry modes_;
  backup_lease lease_;
  activity_counter writes_;
  activity_counter steps_;
  engine::metrics metrics_;
  workflow_runner runner_;
  std::unique_ptr<pipeline_pass> pipeline_;  ///< set when no pass was injected
  orchestrator orchestrator_;
  api_keys keys_;
  engine::api api_;
  net::cancellation_signal stop_runner_;
  net::cancellation_signal stop_watchdog_;
  int background_running_ = 0;  ///< runner + watchdog coroutines not yet finished
  net::steady_timer background_done_;
};

/// The API's HTTP server on the executor (not started: co_spawn its run()): Api.Urls, the body
/// limit and the caps of the Api section (connections, body bytes in flight, head and body
/// timeouts), and the API key checked from the request head (api::check_head), so the body of an
/// unauthenticated request is never read. The host must outlive it.
std::unique_ptr<io::http::server> make_api_server(net::any_io_executor executor, engine_host& host);

/// The program. `args` without argv[0]; `program_dir` is where appsettings.json is looked for first.
/// An empty `pass` runs the streaming pipeline (see engine_host).
int engine_main(std::vector<std::string_view> args, const std::filesystem::path& program_dir, std::ostream& out,
                std::ostream& err, backup_pass pass = {});

}  // namespace idabus::engine
