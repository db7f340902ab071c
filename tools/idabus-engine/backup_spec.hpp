#pragma once
// backup_spec: the body and query of PUT /api/v1/Backup/create (DESIGN §5), validated.
// Keys match case-insensitively, as .NET binds them. A missing (or null) collection is not
// included; unknown keys inside a collection are ignored; an unknown collection name, a
// non-boolean isincluded/isincremental, an unparsable previouscompletedtime, a body that is not a
// JSON object, and a specification that includes nothing throw bad_request naming the problem.
// Pure functions, no I/O.

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace idabus::engine {

class bad_request : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class collection_kind { resources = 0, events = 1, workflow_executions = 2 };
inline constexpr std::array all_collections{collection_kind::resources, collection_kind::events,
                                            collection_kind::workflow_executions};

/// "Resources", "Events", "WorkflowExecutions".
std::string_view collection_name(collection_kind kind);

struct collection_request {
  bool included = false;
  bool incremental = false;
  std::optional<std::int64_t> previous_completed_ms;  ///< previouscompletedtime as given
};

struct backup_spec {
  std::array<collection_request, 3> collections;  ///< indexed by collection_kind
  const collection_request& operator[](collection_kind k) const { return collections[static_cast<int>(k)]; }
  collection_request& operator[](collection_kind k) { return collections[static_cast<int>(k)]; }
};

/// Parses and validates the specification. Throws bad_request.
backup_spec parse_backup_spec(std::string_view body);

/// The decoded value of query parameter `name` (case-insensitive; '+' is a space); std::nullopt
/// when absent. Throws bad_request for a malformed %-escape.
std::optional<std::string> query_parameter(std::string_view query, std::string_view name);

}  // namespace idabus::engine
