#include "io/json/document.hpp"

#include "io/json/ondemand_fields.hpp"

namespace idabus::io::json {

namespace detail {

void fail(std::string_view what, simdjson::error_code error) {
  throw parse_error(std::string(what) + ": " + simdjson::error_message(error));
}

void expect_end(simdjson::ondemand::document& doc, std::string_view what) {
  const char* location = nullptr;
  if (doc.current_location().get(location) != simdjson::OUT_OF_BOUNDS) {
    throw parse_error(std::string(what) + ": unexpected bytes after the root JSON value");
  }
}

namespace {

scalar scalar_of(simdjson::ondemand::value& value) {
  simdjson::ondemand::json_type type;
  if (auto e = value.type().get(type)) fail("partition key value", e);
  switch (type) {
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      if (auto e = value.get_string().get(s)) fail("partition key string", e);
      return std::string(s);
    }
    case simdjson::ondemand::json_type::number: {
      double d = 0;
      if (auto e = value.get_double().get(d)) fail("partition key number", e);
      return d;
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b = false;
      if (auto e = value.get_bool().get(b)) fail("partition key boolean", e);
      return b;
    }
    case simdjson::ondemand::json_type::null:
      // Consume the literal so that a malformed one ("nul") is reported.
      if (bool is_null = false; value.is_null().get(is_null) || !is_null) fail("partition key null", simdjson::INCORRECT_TYPE);
      return nullptr;
    default:
      return std::monostate{};
  }
}

}  // namespace

std::optional<scalar> read_path(simdjson::ondemand::value value, std::span<const std::string> path) {
  if (path.empty()) return scalar_of(value);
  simdjson::ondemand::json_type type;
  if (auto e = value.type().get(type)) fail("partition key path", e);
  if (type != simdjson::ondemand::json_type::object) return std::nullopt;
  simdjson::ondemand::object object;
  if (auto e = value.get_object().get(object)) fail("partition key path", e);
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) fail("object key", e);
    if (key == path.front()) {
      simdjson::ondemand::value child;
      if (auto e = field.value().get(child)) fail("partition key path", e);
      return read_path(child, path.subspan(1));
    }
  }
  return std::nullopt;
}

document_fields read_fields(simdjson::ondemand::object& object, std::span<const std::string> pk_path) {
  document_fields out;
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) fail("object key", e);
    const bool is_id = key == "id";
    const bool is_ts = key == "_ts";
    const bool is_pk = !pk_path.empty() && key == pk_path.front() && !out.partition_key;
    if (!is_id && !is_ts && !is_pk) continue;
    simdjson::ondemand::value value;
    if (auto e = field.value().get(value)) fail("field value", e);
    if (is_pk) {
      out.partition_key = read_path(value, pk_path.subspan(1));
      if (is_id && out.partition_key) {
        if (const auto* s = std::get_if<std::string>(&*out.partition_key)) out.id = *s;
      }
      continue;
    }
    if (is_id) {
      simdjson::ondemand::json_type type;
      if (auto e = value.type().get(type)) fail("field 'id'", e);
      if (type == simdjson::ondemand::json_type::string) {
        std::string_view s;
        if (auto e = value.get_string().get(s)) fail("field 'id'", e);
        out.id = std::string(s);
      }
    } else {
      simdjson::ondemand::json_type type;
      if (auto e = value.type().get(type)) fail("field '_ts'", e);
      if (type == simdjson::ondemand::json_type::number) {
        std::int64_t ts = 0;
        if (value.get_int64().get(ts) == simdjson::SUCCESS) {
          out.ts = ts;
        } else {
          double d = 0;
          if (auto e = value.get_double().get(d)) fail("field '_ts'", e);
          out.ts = static_cast<std::int64_t>(d);
        }
      }
    }
  }
  return out;
}

}  // namespace detail

std::vector<std::string> parse_partition_key_path(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) throw std::invalid_argument("partition key path is empty (expected e.g. /objecttype)");
  std::vector<std::string> out;
  while (true) {
    const std::size_t slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    if (segment.empty()) {
      throw std::invalid_argument("partition key path has an empty segment (expected e.g. /a/b)");
    }
    out.emplace_back(segment);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

struct document_reader::impl {
  simdjson::ondemand::parser parser;
  std::string buffer;
  std::vector<std::string> path;
};

document_reader::document_reader(std::string_view partition_key_path) : impl_(std::make_unique<impl>()) {
  impl_->path = parse_partition_key_path(partition_key_path);
}

document_reader::~document_reader() = default;
document_reader::document_reader(document_reader&&) noexcept = default;
document_reader& document_reader::operator=(document_reader&&) noexcept = default;

document_fields document_reader::read(std::string_view raw_document) {
  auto& buffer = impl_->buffer;
  buffer.assign(raw_document);
  buffer.append(simdjson::SIMDJSON_PADDING, '\0');
  simdjson::ondemand::document doc;
  if (auto e = impl_->parser.iterate(buffer.data(), raw_document.size(), buffer.size()).get(doc)) {
    detail::fail("document", e);
  }
  simdjson::ondemand::object object;
  if (auto e = doc.get_object().get(object)) detail::fail("document is not a JSON object", e);
  document_fields fields = detail::read_fields(object, impl_->path);
  detail::expect_end(doc, "document");
  return fields;
}

}  // namespace idabus::io::json
