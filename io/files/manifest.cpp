#include "io/files/manifest.hpp"

#include "io/files/atomic_file.hpp"
#include "io/files/json_fields.hpp"
#include "io/json/write.hpp"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <cstdio>

namespace idabus::io::files {

namespace {

using namespace std::chrono;

// ---- times ----

bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

// ---- writing ----

void append_number(std::string& out, std::uint64_t v) { out += std::to_string(v); }

void append_double(std::string& out, double v) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), ec == std::errc() ? end : buf.data());
}

void append_optional_ts(std::string& out, const std::optional<std::int64_t>& ts) {
  out += ts ? std::to_string(*ts) : "null";
}

void append_key(std::string& out, std::string_view indent, std::string_view key) {
  out += indent;
  json::append_json_string(out, key);
  out += ": ";
}

void append_chunk(std::string& out, const chunk_entry& c) {
  out += "{\"file\": ";
  json::append_json_string(out, c.file);
  out += ", \"phase\": ";
  json::append_json_string(out, to_string(c.phase));
  out += ", \"documents\": ";
  append_number(out, c.documents);
  out += ", \"rawBytes\": ";
  append_number(out, c.raw_bytes);
  out += ", \"bytes\": ";
  append_number(out, c.bytes);
  out += ", \"sha256\": ";
  json::append_json_string(out, c.sha256);
  out += ", \"minTs\": ";
  append_optional_ts(out, c.min_ts);
  out += ", \"maxTs\": ";
  append_optional_ts(out, c.max_ts);
  out += "}";
}

void append_tombstones(std::string& out, const std::optional<tombstones_entry>& t) {
  if (!t) {
    out += "null";
    return;
  }
  out += "{\"file\": ";
  json::append_json_string(out, t->file);
  out += ", \"documents\": ";
  append_number(out, t->documents);
  out += ", \"rawBytes\": ";
  append_number(out, t->raw_bytes);
  out += ", \"bytes\": ";
  append_number(out, t->bytes);
  out += ", \"sha256\": ";
  json::append_json_string(out, t->sha256);
  out += "}";
}

void append_collection(std::string& out, const collection_manifest& c) {
  const std::string_view in = "      ";
  out += "    {\n";
  append_key(out, in, "name");
  json::append_json_string(out, c.name);
  out += ",\n";
  append_key(out, in, "type");
  json::append_json_string(out, to_string(c.type));
  out += ",\n";
  append_key(out, in, "since");
  if (c.since) {
    json::append_json_string(out, format_utc_time(*c.since));
  } else {
    out += "null";
  }
  out += ",\n";
  if (c.delta_since) {
    append_key(out, in, "deltaSince");
    json::append_json_string(out, format_utc_time(*c.delta_since));
    out += ",\n";
  }
  append_key(out, in, "documents");
  append_number(out, c.documents);
  out += ",\n";
  append_key(out, in, "rawBytes");
  append_number(out, c.raw_bytes);
  out += ",\n";
  append_key(out, in, "bytes");
  append_number(out, c.bytes);
  out += ",\n";
  append_key(out, in, "requestCharge");
  append_double(out, c.request_charge);
  out += ",\n";
  append_key(out, in, "chunks");
  out += "[";
  for (std::size_t i = 0; i < c.chunks.size(); ++i) {
    out += i == 0 ? "\n        " : ",\n        ";
    append_chunk(out, c.chunks[i]);
  }
  out += c.chunks.empty() ? "],\n" : "\n      ],\n";
  append_key(out, in, "tombstones");
  append_tombstones(out, c.tombstones);
  out += "\n    }";
}

// ---- parsing ----

// Typed members come from json_fields.hpp; parse_manifest turns its json_field_error into
// manifest_error(invalid_field).
using detail::as_object;
using detail::get_array;
using detail::get_count;
using detail::get_sha256;
using detail::get_string;
using detail::get_time;
using detail::invalid_field;
using detail::member;

double get_double(simdjson::dom::object o, const std::string& path, std::string_view key) {
  double v = 0;
  if (member(o, path, key).get_double().get(v) != simdjson::SUCCESS || v < 0) {
    invalid_field(path + std::string(key), "must be a non-negative number");
  }
  return v;
}

std::optional<std::int64_t> get_optional_ts(simdjson::dom::object o, const std::string& path, std::string_view key) {
  auto e = member(o, path, key);
  if (e.is_null()) return std::nullopt;
  std::int64_t v = 0;
  if (e.get_int64().get(v) != simdjson::SUCCESS) invalid_field(path + std::string(key), "must be an integer or null");
  return v;
}

std::string get_file(simdjson::dom::object o, const std::string& path) {
  auto file = get_string(o, path, "file");
  if (!is_safe_relative_path(file)) invalid_field(path + "file", "must be a relative path inside the set (no '..')");
  return file;
}

chunk_entry parse_chunk(simdjson::dom::element e, const std::string& field) {
  auto o = as_object(e, field);
  const auto path = field + ".";
  chunk_entry c;
  c.file = get_file(o, path);
  const auto phase = get_string(o, path, "phase");
  if (phase == "basis") {
    c.phase = chunk_phase::basis;
  } else if (phase == "delta") {
    c.phase = chunk_phase::delta;
  } else {
    invalid_field(path + "phase", "must be \"basis\" or \"delta\"");
  }
  c.documents = get_count(o, path, "documents");
  c.raw_bytes = get_count(o, path, "rawBytes");
  c.bytes = get_count(o, path, "bytes");
  c.sha256 = get_sha256(o, path);
  c.min_ts = get_optional_ts(o, path, "minTs");
  c.max_ts = get_optional_ts(o, path, "maxTs");
  return c;
}

std::optional<tombstones_entry> parse_tombstones(simdjson::dom::object collection, const std::string& path) {
  simdjson::dom::element e;
  if (collection.at_key("tombstones").get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
  auto o = as_object(e, path + "tombstones");
  const auto inner = path + "tombstones.";
  tombstones_entry t;
  t.file = get_file(o, inner);
  t.documents = get_count(o, inner, "documents");
  t.raw_bytes = get_count(o, inner, "rawBytes");
  t.bytes = get_count(o, inner, "bytes");
  t.sha256 = get_sha256(o, inner);
  return t;
}

collection_manifest parse_collection(simdjson::dom::element e, const std::string& field) {
  auto o = as_object(e, field);
  const auto path = field + ".";
  collection_manifest c;
  c.name = get_string(o, path, "name");
  if (c.name.empty() || !is_safe_relative_path(c.name) || c.name.find('/') != std::string::npos) {
    invalid_field(path + "name", "must be a collection name (no '/', not '.' or '..')");
  }
  const auto type = get_string(o, path, "type");
  if (type == "full") {
    c.type = backup_type::full;
  } else if (type == "incremental") {
    c.type = backup_type::incremental;
  } else {
    invalid_field(path + "type", "must be \"full\" or \"incremental\"");
  }
  if (!member(o, path, "since").is_null()) c.since = get_time(o, path, "since");
  if (c.type == backup_type::incremental && !c.since) invalid_field(path + "since", "must be a time for an incremental");
  simdjson::dom::element delta_since;
  if (o.at_key("deltaSince").get(delta_since) == simdjson::SUCCESS && !delta_since.is_null()) {
    c.delta_since = get_time(o, path, "deltaSince");
  }
  c.documents = get_count(o, path, "documents");
  c.raw_bytes = get_count(o, path, "rawBytes");
  c.bytes = get_count(o, path, "bytes");
  c.request_charge = get_double(o, path, "requestCharge");
  std::size_t i = 0;
  for (auto chunk : get_array(o, path, "chunks")) {
    c.chunks.push_back(parse_chunk(chunk, path + "chunks[" + std::to_string(i++) + "]"));
  }
  c.tombstones = parse_tombstones(o, path);
  return c;
}

source_info parse_source(simdjson::dom::object root) {
  auto o = as_object(member(root, "", "source"), "source");
  source_info s;
  s.endpoint_host = get_string(o, "source.", "endpointHost");
  s.database = get_string(o, "source.", "database");
  std::size_t i = 0;
  for (auto e : get_array(o, "source.", "collections")) {
    const auto field = "source.collections[" + std::to_string(i++) + "]";
    auto c = as_object(e, field);
    s.collections.push_back(
        source_collection{get_string(c, field + ".", "name"), get_string(c, field + ".", "partitionKeyPath")});
  }
  return s;
}

manifest parse_fields(simdjson::dom::object root) {
  manifest m;
  std::int64_t version = 0;
  if (member(root, "", "formatVersion").get_int64().get(version) != simdjson::SUCCESS) {
    invalid_field("formatVersion", "must be an integer");
  }
  if (version != manifest_format_version) {
    throw manifest_error(manifest_problem::unsupported_version,
                         "manifest: formatVersion " + std::to_string(version) + " is not supported (this tool reads " +
                             std::to_string(manifest_format_version) + ")");
  }
  m.format_version = static_cast<int>(version);
  m.backup_id = get_string(root, "", "backupId");
  m.comment = get_string(root, "", "comment");
  m.basis_started = get_time(root, "", "basisStarted");
  m.completed_time = get_time(root, "", "completedtime");
  m.tool_version = get_string(root, "", "toolVersion");
  m.source = parse_source(root);
  std::size_t i = 0;
  for (auto c : get_array(root, "", "collections")) {
    m.collections.push_back(parse_collection(c, "collections[" + std::to_string(i++) + "]"));
  }
  return m;
}

}  // namespace

std::string format_utc_time(utc_time time) {
  const auto day = floor<days>(time);
  const year_month_day ymd(day);
  const hh_mm_ss hms(time - day);
  std::array<char, 40> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  return buf.data();
}

std::optional<utc_time> parse_utc_time(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 20 || !read_digits(text, 0, 4, y) || text[4] != '-' || !read_digits(text, 5, 2, mo) ||
      text[7] != '-' || !read_digits(text, 8, 2, d) || text[10] != 'T' || !read_digits(text, 11, 2, h) ||
      text[13] != ':' || !read_digits(text, 14, 2, mi) || text[16] != ':' || !read_digits(text, 17, 2, s)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  int ms = 0;
  if (text[pos] == '.') {
    std::size_t digits = 0;
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) ms = ms * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return std::nullopt;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  return utc_time(sys_days(ymd)) + hours(h) + minutes(mi) + seconds(s) + milliseconds(ms);
}

std::string_view to_string(chunk_phase phase) noexcept { return phase == chunk_phase::basis ? "basis" : "delta"; }

std::string_view to_string(backup_type type) noexcept { return type == backup_type::full ? "full" : "incremental"; }

bool is_safe_relative_path(std::string_view file) {
  if (file.empty() || file.front() == '/') return false;
  while (!file.empty()) {
    const auto slash = file.find('/');
    const auto segment = file.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (slash == std::string_view::npos) break;
    file.remove_prefix(slash + 1);
    if (file.empty()) return false;  // trailing '/'
  }
  return true;
}

std::string to_json(const manifest& m) {
  std::string out = "{\n";
  const std::string_view in = "  ";
  append_key(out, in, "formatVersion");
  out += std::to_string(m.format_version) + ",\n";
  append_key(out, in, "backupId");
  json::append_json_string(out, m.backup_id);
  out += ",\n";
  append_key(out, in, "comment");
  json::append_json_string(out, m.comment);
  out += ",\n";
  append_key(out, in, "basisStarted");
  json::append_json_string(out, format_utc_time(m.basis_started));
  out += ",\n";
  append_key(out, in, "completedtime");
  json::append_json_string(out, format_utc_time(m.completed_time));
  out += ",\n";
  append_key(out, in, "toolVersion");
  json::append_json_string(out, m.tool_version);
  out += ",\n";
  append_key(out, in, "source");
  out += "{\"endpointHost\": ";
  json::append_json_string(out, m.source.endpoint_host);
  out += ", \"database\": ";
  json::append_json_string(out, m.source.database);
  out += ", \"collections\": [";
  for (std::size_t i = 0; i < m.source.collections.size(); ++i) {
    if (i > 0) out += ", ";
    out += "{\"name\": ";
    json::append_json_string(out, m.source.collections[i].name);
    out += ", \"partitionKeyPath\": ";
    json::append_json_string(out, m.source.collections[i].partition_key_path);
    out += "}";
  }
  out += "]},\n";
  append_key(out, in, "collections");
  out += "[";
  for (std::size_t i = 0; i < m.collections.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    append_collection(out, m.collections[i]);
  }
  out += m.collections.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

manifest parse_manifest(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root_element;
  if (auto error = parser.parse(padded).get(root_element); error != simdjson::SUCCESS) {
    throw manifest_error(manifest_problem::malformed,
                         std::string("manifest: not valid JSON (") + simdjson::error_message(error) + ")");
  }
  simdjson::dom::object root;
  if (root_element.get_object().get(root) != simdjson::SUCCESS) {
    throw manifest_error(manifest_problem::malformed, "manifest: the top level is not an object");
  }
  try {
    return parse_fields(root);
  } catch (const detail::json_field_error& e) {
    throw manifest_error(manifest_problem::invalid_field, std::string("manifest: ") + e.what());
  }
}

void write_manifest(const std::filesystem::path& set_dir, const manifest& m) {
  write_file_atomically(set_dir / manifest_file_name, to_json(m));
}

manifest read_manifest(const std::filesystem::path& set_dir) {
  const auto path = set_dir / manifest_file_name;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw manifest_error(manifest_problem::missing,
                         path.string() + " is missing: the backup set is incomplete");
  }
  std::string text;
  try {
    text = read_file(path);
  } catch (const file_error& e) {
    throw manifest_error(manifest_problem::unreadable, e.what());
  }
  return parse_manifest(text);
}

}  // namespace idabus::io::files
