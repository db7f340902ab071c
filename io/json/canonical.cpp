#include "io/json/canonical.hpp"

#include "io/json/write.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <vector>

namespace idabus::io::json {

namespace {

[[noreturn]] void fail(std::string_view what, simdjson::error_code error) {
  throw parse_error("canonical JSON: " + std::string(what) + ": " + simdjson::error_message(error));
}

template <class T>
void append_number(std::string& out, T value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)ec;  // 32 characters hold every int64, uint64 and shortest double
  out.append(buffer, end);
}

void append_double(std::string& out, double value) {
  constexpr double exact_integers = 9007199254740992.0;  // 2^53
  if (std::isfinite(value) && std::trunc(value) == value && std::fabs(value) <= exact_integers) {
    append_number(out, static_cast<std::int64_t>(value));  // -0.0 becomes 0
  } else {
    append_number(out, value);
  }
}

struct member {
  std::string_view name;
  simdjson::dom::element value;
};

// The properties Cosmos DB adds to every document (a user's own "_x" is content).
bool is_system_property(std::string_view name) {
  return name == "_rid" || name == "_self" || name == "_etag" || name == "_attachments" || name == "_ts" ||
         name == "_lsn";
}

// Writes `element`; `top` drops the top-level system properties.
void append_canonical(std::string& out, simdjson::dom::element element, bool top,
                      std::deque<std::vector<member>>& scratch, std::size_t depth) {
  using type = simdjson::dom::element_type;
  switch (element.type()) {
    case type::OBJECT: {
      if (scratch.size() <= depth) scratch.resize(depth + 1);
      auto& members = scratch[depth];
      members.clear();
      for (auto field : simdjson::dom::object(element)) {
        if (top && is_system_property(field.key)) continue;
        members.push_back(member{field.key, field.value});
      }
      std::stable_sort(members.begin(), members.end(), [](const member& a, const member& b) {
        return a.name < b.name;  // std::string_view compares as unsigned char (char_traits<char>)
      });
      out.push_back('{');
      // `members` may be reused by a nested object at depth + 1 only, so it stays valid here.
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i) out.push_back(',');
        append_json_string(out, members[i].name);
        out.push_back(':');
        append_canonical(out, members[i].value, false, scratch, depth + 1);
      }
      out.push_back('}');
      return;
    }
    case type::ARRAY: {
      out.push_back('[');
      bool first = true;
      for (auto item : simdjson::dom::array(element)) {
        if (!first) out.push_back(',');
        first = false;
        append_canonical(out, item, false, scratch, depth + 1);
      }
      out.push_back(']');
      return;
    }
    case type::STRING:
      append_json_string(out, std::string_view(element));
      return;
    case type::INT64:
      append_number(out, std::int64_t(element));
      return;
    case type::UINT64:
      append_number(out, std::uint64_t(element));
      return;
    case type::DOUBLE:
      append_double(out, double(element));
      return;
    case type::BOOL:
      out += bool(element) ? "true" : "false";
      return;
    case type::NULL_VALUE:
      out += "null";
      return;
  }
}

}  // namespace

struct canonical_writer::impl {
  simdjson::dom::parser parser;
  std::string padded;  // the document plus simdjson's padding, reused (no allocation per document)
  std::deque<std::vector<member>> scratch;  // one member list per nesting depth, reused (a deque: growing keeps the outer lists in place)
};

canonical_writer::canonical_writer() : impl_(std::make_unique<impl>()) {}
canonical_writer::~canonical_writer() = default;
canonical_writer::canonical_writer(canonical_writer&&) noexcept = default;
canonical_writer& canonical_writer::operator=(canonical_writer&&) noexcept = default;

void canonical_writer::write(std::string_view raw_document, std::string& out) {
  out.clear();
  simdjson::dom::element root;
  auto& padded = impl_->padded;
  if (padded.size() < raw_document.size() + simdjson::SIMDJSON_PADDING) {
    padded.resize(raw_document.size() + simdjson::SIMDJSON_PADDING);
  }
  std::copy(raw_document.begin(), raw_document.end(), padded.begin());
  if (auto e = impl_->parser.parse(padded.data(), raw_document.size(), false).get(root)) fail("document", e);
  if (root.type() != simdjson::dom::element_type::OBJECT) {
    throw parse_error("canonical JSON: the document is not a JSON object");
  }
  append_canonical(out, root, true, impl_->scratch, 0);
}

std::string canonical_writer::canonical(std::string_view raw_document) {
  std::string out;
  write(raw_document, out);
  return out;
}

}  // namespace idabus::io::json
