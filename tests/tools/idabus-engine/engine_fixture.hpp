#pragma once
// Helpers for the engine tests: a cosmos-emulator child process and a configuration pointing at
// it, an engine_host run between start() and stop() (stop() also when the test body throws, so
// that no background coroutine outlives the host), requests, and a controllable backup pass.

#include "integration/emulator_fixture.hpp"
#include "io/http/message.hpp"
#include "tools/idabus-engine/engine.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace idabus::engine::testing {

namespace integration = idabus::test::integration;
namespace http = idabus::io::http;

inline const std::string test_key = "test-key-0123456789";

struct engine_env {
  /// `emulator_args`: extra cosmos-emulator arguments ("--partitions", "4").
  explicit engine_env(std::vector<std::string> emulator_args = {}) : emu(std::move(emulator_args)) {
    settings.cosmos.connection_string = emu.connection();
    settings.cosmos.database = "idabus";
    settings.api.api_keys = {test_key};
    roots = dir.path / "backups";
    std::filesystem::create_directories(roots);
    settings.backup.allowed_roots = {roots.string()};
    settings.backup.lease_seconds = 3;
    settings.backup.progress_seconds = 0;
    settings.backup.max_read_only_seconds = 30;
    settings.backup.maintenance_wait_seconds = 10;
    settings.engine.modes_cache_milliseconds = 0;
    settings.engine.workflow_step_milliseconds = 10;
  }
  integration::emulator emu;
  integration::temp_dir dir;
  std::filesystem::path roots;
  config settings;
};

/// Runs `body` between host.start() and host.stop().
inline net::awaitable<void> with_host(engine_host& host, std::function<net::awaitable<void>()> body) {
  co_await host.start();
  std::exception_ptr failure;
  try {
    co_await body();
  } catch (...) {
    failure = std::current_exception();
  }
  co_await host.stop();
  if (failure) std::rethrow_exception(failure);
}

inline http::request make_request(std::string method, std::string target, std::string body = {},
                                  std::optional<std::string> key = test_key) {
  http::request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  if (key) r.headers.emplace_back("Authorization", "Bearer " + *key);
  return r;
}

/// The "type" member of a problem detail ("" when the body is none).
inline std::string problem_type(const http::response& r) {
  const auto at = r.body.find("\"type\":\"");
  if (at == std::string::npos) return {};
  const auto start = at + 8;
  return r.body.substr(start, r.body.find('"', start) - start);
}

/// A backup pass whose every call is recorded and which, while `hold` is set, waits until
/// release() (or its cancellation).
struct scripted_pass {
  struct call {
    pass_request request;
    system_modes modes;           ///< the modes when the pass started
    std::size_t writes_in_flight = 0;
  };
  std::vector<call> calls;
  bool hold_basis = false;
  bool hold_delta = false;
  std::function<void()> on_delta;  ///< runs when the delta pass starts
  engine_host* host = nullptr;
  /// The timer a held pass waits on. It lives in the pass's coroutine frame (a member timer would
  /// outlive the io_context that owns its service); the frame clears this pointer when it goes.
  net::steady_timer* gate = nullptr;
  bool released = false;
  pass_result totals{};

  void release() {
    released = true;
    if (gate) gate->cancel();
  }

  backup_pass as_pass() {
    return [this](pass_request request, pass_progress* progress) -> net::awaitable<pass_result> {
      // Named values, not a braced initializer around co_await (GCC 12 coroutine bug).
      const auto modes = co_await host->modes().current();
      call c;
      c.request = request;
      c.modes = modes;
      c.writes_in_flight = host->writes().in_flight();
      calls.push_back(std::move(c));
      if (request.kind == pass_kind::delta && on_delta) on_delta();
      const bool hold = request.kind == pass_kind::basis ? hold_basis : hold_delta;
      if (hold && !released) {
        net::steady_timer timer(co_await net::this_coro::executor, std::chrono::hours(1));
        struct clear_on_exit {
          net::steady_timer*& slot;
          ~clear_on_exit() { slot = nullptr; }
        } clear{gate};
        gate = &timer;
        try {
          co_await gate->async_wait(net::use_awaitable);
        } catch (const boost::system::system_error&) {
          if (!released) throw;
        }
      }
      progress->documents += 1;
      co_return totals;
    };
  }
};

}  // namespace idabus::engine::testing
