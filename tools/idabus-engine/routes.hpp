#pragma once
// routes: maps a request line to one of the engine's endpoints (DESIGN §5). Literal path segments
// match case-insensitively (as ASP.NET routing does); captured segments are percent-decoded.
// Pure function, no I/O.

#include <string>
#include <string_view>
#include <vector>

namespace idabus::engine {

enum class endpoint {
  healthz,           ///< GET /healthz
  metrics,           ///< GET /metrics
  backup_create,     ///< PUT /api/v1/Backup/create
  backup_cancel,     ///< POST /api/v1/Backup/cancel
  backup_status,     ///< GET /api/v1/Backup/status
  event_get,         ///< GET /api/v1/Events/{id}
  system_mode_get,   ///< GET /api/v1/System/mode
  system_mode_put,   ///< PUT /api/v1/System/mode
  resource_get,      ///< GET /api/v1/Resources/{objecttype}/{id}
  resource_put,      ///< PUT /api/v1/Resources/{objecttype}/{id}
  resource_delete,   ///< DELETE /api/v1/Resources/{objecttype}/{id}
  workflow_start,    ///< POST /api/v1/Workflows/{name}/executions
};

enum class route_outcome {
  matched,             ///< `which` and `params` are set
  not_found,           ///< no route has this path (404)
  method_not_allowed,  ///< the path exists, not with this method (405); `allow` lists the methods
};

struct route_match {
  route_outcome outcome = route_outcome::not_found;
  endpoint which = endpoint::healthz;
  std::vector<std::string> params;  ///< captured segments, decoded, in path order
  std::string allow;                ///< "GET, PUT" for 405
  bool needs_auth = false;          ///< every /api/v1 path
  std::string query;                ///< the raw query string (after '?', still encoded)
};

/// Matches `method` and an origin-form `target` ("/api/v1/Events/abc?x=1").
route_match match_route(std::string_view method, std::string_view target);

/// True for targets under /api/v1/ (they need an API key whatever the route).
bool is_api_path(std::string_view target);

}  // namespace idabus::engine
