#pragma once
// api: the engine's HTTP API (DESIGN §5) as one request -> response coroutine; the server
// (io/http/server) only moves bytes. Order of checks: route (404/405 for paths outside /api/v1),
// API key for every /api/v1 path (401, before anything else is revealed), route (404/405),
// body size (413), then the endpoint. Every error is a problem detail (problem.hpp); no bad
// request writes anything. Writes (Resources PUT/DELETE, workflow executions) are counted in
// `writes` while in flight and answered 503 + Retry-After in read-only mode.
// Runs on one executor (not thread-safe). Cancellation: a cancelled request throws.

#include "io/http/message.hpp"
#include "tools/idabus-engine/activity.hpp"
#include "tools/idabus-engine/auth.hpp"
#include "tools/idabus-engine/config.hpp"
#include "tools/idabus-engine/metrics.hpp"
#include "tools/idabus-engine/modes.hpp"
#include "tools/idabus-engine/orchestrator.hpp"
#include "tools/idabus-engine/store.hpp"
#include "tools/idabus-engine/workflow_runner.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>

namespace idabus::engine {

struct api_parts {
  const config& settings;
  const api_keys& keys;
  store& documents;
  modes_registry& modes;
  activity_counter& writes;
  workflow_runner& workflows;
  orchestrator& backups;
  metrics& counters;
};

class api {
 public:
  explicit api(api_parts parts);
  net::awaitable<io::http::response> handle(io::http::request request);
  /// The API server's head check (io/http/server head_check): a request to an /api/v1 path
  /// without a valid key is answered 401 from its head, before a byte of its body is read
  /// (counted in /metrics like any response). handle() checks the key again.
  std::optional<io::http::response> check_head(const io::http::request& head);

 private:
  net::awaitable<io::http::response> dispatch(io::http::request& request);
  net::awaitable<io::http::response> create_backup(const io::http::request& request, const std::string& query);
  net::awaitable<io::http::response> put_resource(const io::http::request& request, std::string objecttype, std::string id);
  net::awaitable<io::http::response> delete_resource(std::string objecttype, std::string id);
  net::awaitable<io::http::response> start_workflow(const io::http::request& request, std::string name);
  /// The 401 for a request to /api/v1 without a valid key; std::nullopt otherwise.
  std::optional<io::http::response> refuse_without_key(const io::http::request& request) const;
  /// std::nullopt when writes may proceed, else the 503.
  net::awaitable<std::optional<io::http::response>> refuse_if_read_only();

  api_parts parts_;
};

}  // namespace idabus::engine
