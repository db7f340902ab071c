#pragma once
// generator: the documents of a deterministic IDABUS tenant (DESIGN §12), as raw JSON text.
//
// Split of N documents: Resources 70% (floor), Events 20% (floor), WorkflowExecutions the rest.
// Resources by object type (floor of N_resources × share; the remainder goes to Person):
//   Person 60%, Group 15%, AttributeTypeDescription 8%, Set 6%, ManagementPolicyRule 5%,
//   ObjectTypeDescription 3%, BindingDescription 3%; indexes are laid out in that order.
// Sizes (Resources always within [min_resource_bytes, max_resource_bytes] = [1 KiB, 20 KiB]):
//   Person 90% 1–3 KiB, 8% 3–8 KiB, 2% 15–20 KiB; Group 85% 2–12 KiB, 15% 12–20 KiB (member list
//   fills it); Set 1–4 KiB; ManagementPolicyRule 1–3 KiB; schema objects 1–2 KiB.
//   Events and WorkflowExecutions are 0.3–6 KiB.
// References always point at ids of the same tenant: Group Owner/ExplicitMember and Person
// Manager -> Person ids; Set ExplicitMember -> Person ids; ManagementPolicyRule
// PrincipalSet/ResourceCurrentSet/ResourceFinalSet -> Set ids; BindingDescription
// BoundObjectType -> ObjectTypeDescription ids, BoundAttributeType -> AttributeTypeDescription
// ids; Event target -> a Resource {id, objecttype}; WorkflowExecution requestId -> an Event id
// and target -> a Resource. A reference kind is omitted when its target type has no documents.
// Strings carry unicode names (UTF-8) and JSON escapes (quotes, backslashes, tabs, newlines).
//
// Determinism: document (collection, index) depends only on (seed, collection, index) — every
// document has its own PRNG stream — so any document can be generated alone, in any order, on
// any thread, with byte-identical output for the same seed. Pure functions; thread-safe.

#include "io/json/write.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace idabus::tenant_gen {

enum class collection_kind { resources, events, workflow_executions };
inline constexpr std::array<collection_kind, 3> all_collections{
    collection_kind::resources, collection_kind::events, collection_kind::workflow_executions};

/// "Resources", "Events", "WorkflowExecutions".
std::string_view collection_name(collection_kind kind) noexcept;
/// "/objecttype" for Resources, "/id" for the others.
std::string_view partition_key_path(collection_kind kind) noexcept;

enum class object_type {
  person,
  group,
  attribute_type_description,
  set,
  management_policy_rule,
  object_type_description,
  binding_description,
};
inline constexpr std::size_t object_type_count = 7;

/// The objecttype value ("Person", "Group", ...).
std::string_view object_type_name(object_type type) noexcept;

inline constexpr std::size_t min_resource_bytes = 1024;
inline constexpr std::size_t max_resource_bytes = 20 * 1024;

/// How N documents are split (see the file comment).
struct tenant_plan {
  std::uint64_t seed = 1;
  std::uint64_t resources = 0;
  std::uint64_t events = 0;
  std::uint64_t workflow_executions = 0;
  std::array<std::uint64_t, object_type_count> per_type{};  ///< indexed by object_type

  std::uint64_t count(collection_kind kind) const noexcept;
  std::uint64_t total() const noexcept { return resources + events + workflow_executions; }
};

tenant_plan plan_tenant(std::uint64_t documents, std::uint64_t seed);

struct generated_document {
  std::string id;
  std::string partition_key;  ///< the value at partition_key_path (objecttype or id)
  std::string body;           ///< one JSON object, UTF-8
};

class tenant_generator {
 public:
  explicit tenant_generator(tenant_plan plan);

  const tenant_plan& plan() const noexcept { return plan_; }

  /// Document `index` (< plan().count(kind)) of a collection. Throws std::out_of_range otherwise.
  generated_document generate(collection_kind kind, std::uint64_t index) const;

  /// The id of document `index` of a collection (also for indexes not generated yet).
  std::string id_of(collection_kind kind, std::uint64_t index) const;
  /// The object type of Resource `index`.
  object_type resource_type(std::uint64_t index) const;
  /// The Resource index of the `nth` object of a type (nth < plan().per_type[type]).
  std::uint64_t resource_index(object_type type, std::uint64_t nth) const;

 private:
  tenant_plan plan_;
  std::array<std::uint64_t, object_type_count> first_{};  ///< first Resource index per type
};

/// JSON string literals (quotes included) for the generated documents.
using io::json::append_json_string;

/// "2024-03-05T10:11:12.345Z" for milliseconds since the Unix epoch (UTC, proleptic Gregorian).
std::string iso8601_utc(std::int64_t unix_ms);

}  // namespace idabus::tenant_gen
