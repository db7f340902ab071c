#include "tools/idabus-engine/routes.hpp"

#include "io/http/message.hpp"
#include "io/http/url.hpp"

#include <array>
#include <stdexcept>

namespace idabus::engine {

namespace {

struct route {
  std::string_view pattern;  ///< "/api/v1/Events/{}" : "{}" captures one segment
  std::string_view method;
  endpoint which;
};

constexpr std::array routes{
    route{"/healthz", "GET", endpoint::healthz},
    route{"/metrics", "GET", endpoint::metrics},
    route{"/api/v1/Backup/create", "PUT", endpoint::backup_create},
    route{"/api/v1/Backup/cancel", "POST", endpoint::backup_cancel},
    route{"/api/v1/Backup/status", "GET", endpoint::backup_status},
    route{"/api/v1/Events/{}", "GET", endpoint::event_get},
    route{"/api/v1/System/mode", "GET", endpoint::system_mode_get},
    route{"/api/v1/System/mode", "PUT", endpoint::system_mode_put},
    route{"/api/v1/Resources/{}/{}", "GET", endpoint::resource_get},
    route{"/api/v1/Resources/{}/{}", "PUT", endpoint::resource_put},
    route{"/api/v1/Resources/{}/{}", "DELETE", endpoint::resource_delete},
    route{"/api/v1/Workflows/{}/executions", "POST", endpoint::workflow_start},
};

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.starts_with('/')) path.remove_prefix(1);
  if (path.ends_with('/')) path.remove_suffix(1);
  while (!path.empty()) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

/// Captured segments when `path` fits `pattern`, else false.
bool fits(std::string_view pattern, const std::vector<std::string_view>& path, std::vector<std::string>& params) {
  const auto want = segments(pattern);
  if (want.size() != path.size()) return false;
  std::vector<std::string> captured;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "{}") {
      if (path[i].empty()) return false;
      auto decoded = io::http::percent_decode(path[i]);
      if (!decoded) return false;
      captured.push_back(std::move(*decoded));
    } else if (!io::http::iequals(want[i], path[i])) {
      return false;
    }
  }
  params = std::move(captured);
  return true;
}

}  // namespace

bool is_api_path(std::string_view target) {
  constexpr std::string_view prefix = "/api/v1/";
  return target.size() >= prefix.size() && io::http::iequals(target.substr(0, prefix.size()), prefix);
}

route_match match_route(std::string_view method, std::string_view target) {
  route_match m;
  const auto q = target.find('?');
  if (q != std::string_view::npos) m.query = std::string(target.substr(q + 1));
  const auto path = segments(target.substr(0, q));
  m.needs_auth = is_api_path(target);
  for (const auto& r : routes) {
    std::vector<std::string> params;
    if (!fits(r.pattern, path, params)) continue;
    if (r.method == method) {
      m.outcome = route_outcome::matched;
      m.which = r.which;
      m.params = std::move(params);
      return m;
    }
    m.outcome = route_outcome::method_not_allowed;
    if (m.allow.find(r.method) == std::string::npos) m.allow += (m.allow.empty() ? "" : ", ") + std::string(r.method);
  }
  return m;
}

}  // namespace idabus::engine
