#pragma once
// query: the emulator's SQL subset — parser and evaluator over raw JSON documents.
//
// Supported (keywords case-insensitive, any alias name):
//   SELECT * FROM c [WHERE <cond> {AND <cond>}]
//   SELECT c.a, c.b.c [AS name], ... FROM c [WHERE ...]      projection: {"a":..,"c"|"name":..}
//   SELECT VALUE COUNT(1) FROM c [WHERE ...]                  Documents: [<count>]
//   FROM <name> [[AS] <alias>]   (e.g. "FROM root r")
//   <cond> := <operand> (= | != | <> | < | <= | > | >=) <operand>
//   <operand> := <alias>.<field>{.<field>} | 'string' | "string" | number | true | false | null | @param
// Parameters come from the request body: {"query": "...", "parameters": [{"name":"@x","value":...}]}
// (scalar values only). Comparison semantics follow Cosmos: values of different types, or a missing
// field, are "undefined" and never match (not even with !=); strings compare by UTF-8 bytes.
// Anything else is rejected with a message naming the unsupported construct, e.g.
// "unsupported: ORDER BY", "unsupported: OR", "unsupported: function IS_DEFINED".
//
// Evaluation uses simdjson on the stored bytes; SELECT * returns the stored bytes unchanged and
// projections copy the raw JSON text of each selected value (numbers and escapes as stored).
// Thread-safety: parsed_query is immutable after parsing and may be shared; a query_evaluator owns
// a simdjson parser and must be used by one thread at a time (use one per thread).

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace idabus::emulator {

/// A JSON scalar: monostate = undefined (missing), nullptr_t = null.
using json_scalar = std::variant<std::monostate, std::nullptr_t, bool, double, std::string>;

enum class compare_op { eq, ne, lt, le, gt, ge };

enum class select_kind {
  all,         ///< SELECT *
  projection,  ///< SELECT c.a, c.b
  count,       ///< SELECT VALUE COUNT(1)
};

/// A property path below the alias, e.g. c.a.b -> segments {"a","b"}, pointer "/a/b".
struct field_path {
  std::vector<std::string> segments;
  std::string pointer;  ///< JSON pointer (RFC 6901 escaped) for simdjson at_pointer
};

struct operand {
  bool is_path = false;
  field_path path;     ///< when is_path
  json_scalar value;   ///< when !is_path (literals and resolved @parameters)
};

struct predicate {
  operand left;
  compare_op op = compare_op::eq;
  operand right;
};

struct projection_item {
  field_path path;
  std::string output_name;  ///< AS name, else the last path segment
};

struct parsed_query {
  select_kind select = select_kind::all;
  std::vector<projection_item> projection;  ///< when select == projection
  std::string alias;                        ///< the FROM alias
  std::vector<predicate> where;             ///< every predicate, joined by AND

  /// `_ts` bounds (inclusive) implied by predicates `c._ts <op> <number>`; the store serves them
  /// from its _ts index. `residual` holds the predicates the index does not cover.
  std::int64_t ts_min = std::numeric_limits<std::int64_t>::min();
  std::int64_t ts_max = std::numeric_limits<std::int64_t>::max();
  std::vector<predicate> residual;
  /// False when the _ts predicates contradict each other (the query matches nothing).
  bool satisfiable = true;

  /// Stable digest of the query text and parameter values; continuation tokens carry it so a
  /// token cannot be replayed against a different query.
  std::uint64_t fingerprint = 0;
};

struct query_parse_result {
  std::optional<parsed_query> query;  ///< set on success
  std::string error;                  ///< set on failure: what is wrong or unsupported, and where
};

/// Parses a query request body `{"query": "...", "parameters": [...]}` (parameters optional).
/// Never throws on bad input: malformed JSON, a missing "query", an unknown @parameter or an
/// unsupported construct all come back as `error`.
query_parse_result parse_query_request(std::string_view body);

/// Parses SQL text with parameters given as a JSON array text (`[]` or empty = none).
query_parse_result parse_query(std::string_view sql, std::string_view parameters_json = {});

/// Evaluates predicates and projections on raw documents. One per thread.
class query_evaluator {
 public:
  query_evaluator();
  ~query_evaluator();
  query_evaluator(const query_evaluator&) = delete;
  query_evaluator& operator=(const query_evaluator&) = delete;

  /// True when the document satisfies every predicate in `predicates` (AND). `document` is
  /// used in place when its capacity leaves simdjson's padding, otherwise copied once.
  /// A document that is not valid JSON matches nothing.
  bool matches(const std::vector<predicate>& predicates, const std::string& document);

  /// The projection of `document` as a JSON object text: selected fields in query order, raw
  /// value text as stored; missing fields are omitted (as in Cosmos).
  std::string project(const std::vector<projection_item>& items, const std::string& document);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace idabus::emulator
