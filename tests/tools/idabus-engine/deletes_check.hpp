#pragma once
// Helpers for the engine tests about deletes (issue 10): the real pipeline with hooks that let a test
// act inside a backup's phases, and writes through the engine's API with the test's clock around
// them.

#include "backup_check.hpp"
#include "engine_fixture.hpp"
#include "tools/idabus-engine/pipeline_pass.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace idabus::engine::testing {

/// The real pipeline (pipeline_pass: chunks, tombstones, manifest), with hooks that run in the
/// Basis phase before and after the basis pass read the collections, and in the read-only phase
/// before the delta pass. Give as_pass() and real.as_finalizer() to the engine_host.
struct hooked_pipeline {
  hooked_pipeline(net::any_io_executor executor, const config& settings)
      : real(executor, cosmos::parse_connection_string(settings.cosmos.connection_string), settings.cosmos,
             settings.backup) {}

  pipeline_pass real;
  std::function<net::awaitable<void>()> before_basis_read, after_basis_read, before_delta_read;

  backup_pass as_pass() {
    return [this](pass_request request, pass_progress* progress) -> net::awaitable<pass_result> {
      const bool basis = request.kind == pass_kind::basis;
      if (basis && before_basis_read) co_await before_basis_read();
      if (!basis && before_delta_read) co_await before_delta_read();
      auto result = co_await real.run(std::move(request), progress);
      if (basis && after_basis_read) co_await after_basis_read();
      co_return result;
    };
  }
};

/// A delete made through the engine's API, with the test's clock around it.
struct api_delete {
  std::string id;
  std::string objecttype;
  std::int64_t before_ms = 0;
  std::int64_t after_ms = 0;
};

/// DELETE /api/v1/Resources/<objecttype>/<id>; `expect` is the answer's status (else it throws).
/// Recorded in `log` when it deleted something (204).
inline net::awaitable<void> delete_through_api(engine_host& host, gen::generated_document doc,
                                               std::vector<api_delete>& log, unsigned expect = 204) {
  api_delete entry{doc.id, doc.partition_key, now_ms(), 0};
  auto r = co_await host.http_api().handle(make_request("DELETE", "/api/v1/Resources/" + doc.partition_key + "/" + doc.id));
  if (r.status != expect) throw std::runtime_error("DELETE " + doc.id + ": " + std::to_string(r.status) + " " + r.body);
  entry.after_ms = now_ms();
  if (r.status == 204u) log.push_back(std::move(entry));
}

/// PUT /api/v1/Resources/<objecttype>/<id> with `body` (200 expected, else it throws); the stored
/// document as the server returned it.
inline net::awaitable<std::string> put_through_api(engine_host& host, gen::generated_document doc, std::string body) {
  auto r = co_await host.http_api().handle(
      make_request("PUT", "/api/v1/Resources/" + doc.partition_key + "/" + doc.id, std::move(body)));
  if (r.status != 200u) throw std::runtime_error("PUT " + doc.id + ": " + std::to_string(r.status) + " " + r.body);
  co_return std::move(r.body);
}

}  // namespace idabus::engine::testing
