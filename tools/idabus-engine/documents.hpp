#pragma once
// documents: the small JSON documents the write surface composes (DESIGN §5): a Resources
// document from a request body, request events, workflow executions, and random ids.
// The client's body is never re-serialized: the id and objecttype are inserted when absent.
// Pure functions (new_id reads a random device), no I/O.

#include <cstdint>
#include <string>
#include <string_view>

namespace idabus::engine {

/// A random (version 4) UUID, lower-case, 36 characters.
std::string new_id();

/// The document to store for PUT /Resources/<objecttype>/<id>: `body` must be a JSON object; its
/// "id" and "objecttype", when present, must equal the URL's; when absent they are added.
/// Throws bad_request (backup_spec.hpp) naming the problem.
std::string resource_document(std::string_view body, std::string_view objecttype, std::string_view id);

enum class write_operation { put, remove };

/// {"id":..,"eventType":"Request","operation":"Put"|"Delete","target":{"id":..,"objecttype":..},"createdTime":..}
std::string request_event(std::string_view event_id, write_operation op, std::string_view objecttype,
                          std::string_view id, std::int64_t created_ms);

enum class execution_status { queued, running, completed };

/// A WorkflowExecutions document. `input` is a raw JSON value (the request body, "{}" when empty).
std::string execution_document(std::string_view id, std::string_view workflow, execution_status status, int step,
                               int steps, std::string_view input, std::int64_t updated_ms);

}  // namespace idabus::engine
