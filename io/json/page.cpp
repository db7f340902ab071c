#include "io/json/page.hpp"

#include "io/json/ondemand_fields.hpp"

#include <string>

namespace idabus::io::json {

namespace {

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

struct page_reader::impl {
  simdjson::ondemand::parser parser;
  std::string buffer;
  const char* parsed = nullptr;  ///< the text the parser iterates: buffer.data() or the body itself
  std::uint64_t copied_bytes = 0;
  std::vector<std::string> path;

  simdjson::ondemand::document iterate(std::string_view body) {
    buffer.assign(body);
    buffer.append(simdjson::SIMDJSON_PADDING, '\0');
    copied_bytes += body.size();
    return iterate_at(buffer.data(), body.size(), buffer.size());
  }

  simdjson::ondemand::document iterate_in_place(std::string_view body, std::size_t capacity) {
    if (capacity < body.size() || capacity - body.size() < simdjson::SIMDJSON_PADDING) return iterate(body);
    // The bytes past size() are the buffer's own (uninitialised) storage: simdjson reads into
    // them but stops at `size` (simdjson's own padded_string_view(const std::string&) does the same).
    return iterate_at(body.data(), body.size(), capacity);
  }

  simdjson::ondemand::document iterate_at(const char* text, std::size_t size, std::size_t capacity) {
    parsed = text;
    simdjson::ondemand::document doc;
    if (auto e = parser.iterate(text, size, capacity).get(doc)) detail::fail("page body", e);
    return doc;
  }

  // Maps a view into the parsed text back to the same bytes of the caller's body.
  std::string_view in_body(std::string_view body, std::string_view in_parsed) const {
    return body.substr(static_cast<std::size_t>(in_parsed.data() - parsed), in_parsed.size());
  }

  // {"Documents":[...], "_count":N} of `doc` (the parsed `body`).
  page split_page(std::string_view body, simdjson::ondemand::document& doc);

  void split_documents(std::string_view body, simdjson::ondemand::array& array, std::vector<page_document>& out) {
    std::size_t index = 0;
    for (auto element : array) {
      simdjson::ondemand::value value;
      if (auto e = element.get(value)) detail::fail("document " + std::to_string(index), e);
      simdjson::ondemand::json_type type;
      if (auto e = value.type().get(type)) detail::fail("document " + std::to_string(index), e);
      page_document doc;
      if (type == simdjson::ondemand::json_type::object) {
        simdjson::ondemand::object object;
        if (auto e = value.get_object().get(object)) detail::fail("document " + std::to_string(index), e);
        std::string_view raw;
        if (auto e = object.raw_json().get(raw)) detail::fail("document " + std::to_string(index), e);
        doc.raw = in_body(body, trim_right(raw));
        // raw_json() consumed the object; rewind it to read the fields.
        if (auto e = object.reset().error()) detail::fail("document " + std::to_string(index), e);
        doc.fields = detail::read_fields(object, path);
      } else if (type == simdjson::ondemand::json_type::array) {
        simdjson::ondemand::array inner;
        if (auto e = value.get_array().get(inner)) detail::fail("document " + std::to_string(index), e);
        std::string_view raw;
        if (auto e = inner.raw_json().get(raw)) detail::fail("document " + std::to_string(index), e);
        doc.raw = in_body(body, trim_right(raw));
      } else {
        // Scalars (SELECT VALUE ...): check the token is well-formed, then keep its bytes.
        std::string_view raw = trim_right(value.raw_json_token());
        simdjson::error_code e = simdjson::SUCCESS;
        if (type == simdjson::ondemand::json_type::string) e = value.get_string().error();
        else if (type == simdjson::ondemand::json_type::number) e = value.get_double().error();
        else if (type == simdjson::ondemand::json_type::boolean) e = value.get_bool().error();
        else if (bool is_null = false; value.is_null().get(is_null) || !is_null) e = simdjson::INCORRECT_TYPE;
        if (e) detail::fail("document " + std::to_string(index), e);
        doc.raw = in_body(body, raw);
      }
      out.push_back(std::move(doc));
      ++index;
    }
  }
};

page_reader::page_reader(std::string_view partition_key_path) : impl_(std::make_unique<impl>()) {
  impl_->path = parse_partition_key_path(partition_key_path);
}

page_reader::~page_reader() = default;
page_reader::page_reader(page_reader&&) noexcept = default;
page_reader& page_reader::operator=(page_reader&&) noexcept = default;

page page_reader::split(std::string_view body) {
  auto doc = impl_->iterate(body);
  return impl_->split_page(body, doc);
}

page page_reader::split_in_place(const std::string& body) { return split_in_place(body, body.capacity()); }

page page_reader::split_in_place(std::string_view body, std::size_t capacity) {
  auto doc = impl_->iterate_in_place(body, capacity);
  return impl_->split_page(body, doc);
}

std::uint64_t page_reader::copied_bytes() const noexcept { return impl_->copied_bytes; }

page page_reader::impl::split_page(std::string_view body, simdjson::ondemand::document& doc) {
  simdjson::ondemand::object top;
  if (auto e = doc.get_object().get(top)) detail::fail("page body is not a JSON object", e);
  page out;
  bool saw_documents = false;
  for (auto field : top) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) detail::fail("page body key", e);
    if (key == "Documents") {
      simdjson::ondemand::array array;
      if (auto e = field.value().get_array().get(array)) detail::fail("page field 'Documents' (expected an array)", e);
      split_documents(body, array, out.documents);
      saw_documents = true;
    } else if (key == "_count") {
      std::int64_t count = 0;
      if (auto e = field.value().get_int64().get(count)) detail::fail("page field '_count' (expected an integer)", e);
      out.count = count;
    }
  }
  detail::expect_end(doc, "page body");
  if (!saw_documents) throw parse_error("page body has no 'Documents' array");
  if (out.count && *out.count != static_cast<std::int64_t>(out.documents.size())) {
    throw parse_error("page body: '_count' is " + std::to_string(*out.count) + " but 'Documents' holds " +
                      std::to_string(out.documents.size()) + " entries");
  }
  return out;
}

std::vector<page_document> page_reader::split_array(std::string_view body) {
  auto doc = impl_->iterate(body);
  simdjson::ondemand::array array;
  if (auto e = doc.get_array().get(array)) detail::fail("body is not a JSON array", e);
  std::vector<page_document> out;
  impl_->split_documents(body, array, out);
  detail::expect_end(doc, "array body");
  return out;
}

}  // namespace idabus::io::json
