#include "tools/idabus-engine/api.hpp"

#include "io/json/write.hpp"
#include "tools/idabus-engine/backup_spec.hpp"
#include "tools/idabus-engine/documents.hpp"
#include "tools/idabus-engine/folder_policy.hpp"
#include "tools/idabus-engine/problem.hpp"
#include "tools/idabus-engine/routes.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <simdjson.h>

namespace idabus::engine {

namespace http = io::http;

namespace {

http::response bad(std::string_view detail) { return problem(400, "bad-request", "Bad Request", detail); }

}  // namespace

api::api(api_parts parts) : parts_(parts) {}

net::awaitable<http::response> api::handle(http::request request) {
  http::response response;
  try {
    response = co_await dispatch(request);
  } catch (const bad_request& e) {
    response = bad(e.what());
  } catch (const std::exception& e) {
    // Messages of the Cosmos client and the store never carry a key or a document body.
    response = problem(500, "internal", "Internal Server Error", e.what());
  }
  parts_.counters.count_request(response.status);
  co_return response;
}

std::optional<http::response> api::refuse_without_key(const http::request& request) const {
  if (!is_api_path(request.target) || parts_.keys.authorizes(request.header("Authorization"))) return std::nullopt;
  auto r = problem(401, "unauthorized", "Unauthorized", "a valid API key is required: Authorization: Bearer <key>");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

std::optional<http::response> api::check_head(const http::request& head) {
  auto refused = refuse_without_key(head);
  if (refused) parts_.counters.count_request(refused->status);
  return refused;
}

net::awaitable<std::optional<http::response>> api::refuse_if_read_only() {
  const auto modes = co_await parts_.modes.current();
  if (!modes.readonly) co_return std::nullopt;
  auto r = problem(503, "read-only", "Service Unavailable",
                   "the engine is in read-only mode (a backup is taking its consistency point); retry later");
  r.headers.emplace_back("Retry-After", "5");
  co_return r;
}

net::awaitable<http::response> api::dispatch(http::request& request) {
  const auto m = match_route(request.method, request.target);
  if (auto refused = refuse_without_key(request)) co_return std::move(*refused);
  if (m.outcome == route_outcome::not_found) co_return problem(404, "not-found", "Not Found", "no such route");
  if (m.outcome == route_outcome::method_not_allowed) {
    auto r = problem(405, "method-not-allowed", "Method Not Allowed", request.method + " is not allowed here; use " + m.allow);
    r.headers.emplace_back("Allow", m.allow);
    co_return r;
  }
  if (request.body.size() > parts_.settings.api.body_limit) {
    co_return problem(413, "payload-too-large", "Payload Too Large",
                      "request bodies are limited to " + std::to_string(parts_.settings.api.body_limit) + " bytes");
  }
  switch (m.which) {
    case endpoint::healthz:
      co_return text_response("ok");
    case endpoint::metrics:
      co_return text_response(parts_.counters.render(), 200, "text/plain; version=0.0.4; charset=utf-8");
    case endpoint::backup_create:
      co_return co_await create_backup(request, m.query);
    case endpoint::backup_cancel:
      if (parts_.backups.cancel()) co_return empty_response(202);
      if (co_await parts_.backups.phase_anywhere()) {
        co_return problem(409, "backup-elsewhere", "Conflict", "the running backup belongs to another engine process; cancel it there");
      }
      co_return problem(409, "no-backup-running", "Conflict", "no backup is running");
    case endpoint::backup_status: {
      const auto phase = co_await parts_.backups.phase_anywhere();
      if (!phase) co_return empty_response(204);
      co_return text_response(std::string(phase_name(*phase)));
    }
    case endpoint::event_get: {
      auto doc = co_await parts_.documents.read_event(m.params.at(0));
      if (!doc) co_return problem(404, "not-found", "Not Found", "no event with this id");
      co_return json_response(std::move(doc->body));
    }
    case endpoint::system_mode_get:
      co_return json_response(to_json(co_await parts_.modes.current()));
    case endpoint::system_mode_put: {
      const auto modes = parse_modes(request.body);
      if (co_await parts_.backups.phase_anywhere()) {
        co_return problem(409, "backup-running", "Conflict", "a backup is running; it sets and restores the modes itself");
      }
      co_await parts_.modes.set(modes);
      co_return json_response(to_json(modes));
    }
    case endpoint::resource_get: {
      auto doc = co_await parts_.documents.read_resource(m.params.at(0), m.params.at(1));
      if (!doc) co_return problem(404, "not-found", "Not Found", "no such resource");
      co_return json_response(std::move(doc->body));
    }
    case endpoint::resource_put:
      co_return co_await put_resource(request, m.params.at(0), m.params.at(1));
    case endpoint::resource_delete:
      co_return co_await delete_resource(m.params.at(0), m.params.at(1));
    case endpoint::workflow_start:
      co_return co_await start_workflow(request, m.params.at(0));
  }
  co_return problem(404, "not-found", "Not Found", "no such route");
}

net::awaitable<http::response> api::create_backup(const http::request& request, const std::string& query) {
  const auto folder = query_parameter(query, "folderPathForBackup").value_or("");
  const auto comment = query_parameter(query, "comment").value_or("");
  auto spec = parse_backup_spec(request.body);
  const auto check = check_backup_folder(folder, parts_.settings.backup.allowed_roots);
  if (check.verdict == folder_verdict::missing || check.verdict == folder_verdict::relative) co_return bad(check.detail);
  if (check.verdict == folder_verdict::outside_roots) {
    co_return problem(403, "folder-not-allowed", "Forbidden", check.detail);
  }
  // The specification is kept in the event as given (it parsed, so it is valid JSON).
  auto result = co_await parts_.backups.start(std::move(spec), request.body, check.canonical, comment);
  if (result.outcome == start_outcome::busy) {
    co_return problem(409, "backup-running", "Conflict", "a backup is already running on this database");
  }
  auto r = json_response(io::json::json_quote(result.event_id), 202);
  r.headers.emplace_back("Location", "/api/v1/Events/" + result.event_id);
  co_return r;
}

net::awaitable<http::response> api::put_resource(const http::request& request, std::string objecttype, std::string id) {
  auto in_flight = parts_.writes.enter();  // counted before the mode check: see orchestrator's drain
  if (auto refused = co_await refuse_if_read_only()) co_return std::move(*refused);
  auto doc = resource_document(request.body, objecttype, id);
  auto stored = co_await parts_.documents.upsert_resource(objecttype, std::move(doc));
  const auto event_id = new_id();
  co_await parts_.documents.upsert_event(event_id, request_event(event_id, write_operation::put, objecttype, id, now_ms()));
  co_return json_response(std::move(stored.body));
}

net::awaitable<http::response> api::delete_resource(std::string objecttype, std::string id) {
  auto in_flight = parts_.writes.enter();
  if (auto refused = co_await refuse_if_read_only()) co_return std::move(*refused);
  if (!co_await parts_.documents.delete_resource(objecttype, id)) {
    co_return problem(404, "not-found", "Not Found", "no such resource");
  }
  const auto event_id = new_id();
  co_await parts_.documents.upsert_event(event_id,
                                         request_event(event_id, write_operation::remove, objecttype, id, now_ms()));
  co_return empty_response(204);
}

net::awaitable<http::response> api::start_workflow(const http::request& request, std::string name) {
  auto in_flight = parts_.writes.enter();
  if (auto refused = co_await refuse_if_read_only()) co_return std::move(*refused);
  std::string input = request.body.empty() ? std::string("{}") : request.body;
  {
    simdjson::dom::parser parser;
    const simdjson::padded_string padded(input);
    simdjson::dom::element root;
    if (parser.parse(padded).get(root) || !root.is_object()) throw bad_request("body: expected a JSON object (the workflow's input)");
  }
  auto id = co_await parts_.workflows.enqueue(std::move(name), std::move(input));
  if (!id) {
    auto r = problem(503, "workflow-queue-full", "Service Unavailable", "too many workflow executions are queued");
    r.headers.emplace_back("Retry-After", "5");
    co_return r;
  }
  auto r = json_response(io::json::json_quote(*id), 202);
  co_return r;
}

}  // namespace idabus::engine
