#include "io/files/import_checkpoint.hpp"

#include "io/files/atomic_file.hpp"
#include "io/files/json_fields.hpp"
#include "io/json/write.hpp"

#include <simdjson.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace idabus::io::files {

namespace {

using json::append_json_string;

[[noreturn]] void fail(std::string_view operation, const std::filesystem::path& path, int error) {
  throw file_error(std::string(operation) + " " + path.string() + ": " + std::strerror(error));
}

// Owns a descriptor.
struct descriptor {
  int fd;
  ~descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

std::string base_name(std::string_view database, std::string_view collection) {
  return "exportRaw." + std::string(database) + "." + std::string(collection);
}

}  // namespace

std::filesystem::path import_checkpoint_path(const std::filesystem::path& folder, std::string_view database,
                                             std::string_view collection) {
  return folder / (base_name(database, collection) + ".checkpoint.json");
}

std::filesystem::path import_rejects_path(const std::filesystem::path& folder, std::string_view database,
                                          std::string_view collection) {
  return folder / (base_name(database, collection) + ".rejects.jsonl");
}

std::string to_json(const import_checkpoint& c) {
  std::string out = "{\n  \"formatVersion\": " + std::to_string(import_checkpoint_format_version);
  out += ",\n  \"database\": ";
  append_json_string(out, c.database);
  out += ",\n  \"collection\": ";
  append_json_string(out, c.collection);
  out += ",\n  \"partitionKeyPath\": ";
  append_json_string(out, c.partition_key_path);
  out += ",\n  \"files\": [";
  for (std::size_t i = 0; i < c.files.size(); ++i) {
    out += i == 0 ? "\n    {\"file\": " : ",\n    {\"file\": ";
    append_json_string(out, c.files[i].file);
    out += ", \"documents\": " + std::to_string(c.files[i].documents) + ", \"bytes\": " +
           std::to_string(c.files[i].bytes) + "}";
  }
  out += c.files.empty() ? "]" : "\n  ]";
  out += ",\n  \"position\": " + std::to_string(c.position);
  out += ",\n  \"ranges\": [";
  for (std::size_t i = 0; i < c.ranges.size(); ++i) {
    out += i == 0 ? "\n    {\"min\": " : ",\n    {\"min\": ";
    append_json_string(out, c.ranges[i].min);
    out += ", \"max\": ";
    append_json_string(out, c.ranges[i].max);
    out += ", \"completed\": " + std::to_string(c.ranges[i].completed) + "}";
  }
  out += c.ranges.empty() ? "]" : "\n  ]";
  out += ",\n  \"rejected\": " + std::to_string(c.rejected);
  out += ",\n  \"rejectsBytes\": " + std::to_string(c.rejects_bytes);
  out += "\n}\n";
  return out;
}

import_checkpoint parse_import_checkpoint(std::string_view text) {
  using namespace detail;
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(text);
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root)) {
    throw import_checkpoint_error(std::string("not valid JSON (") + simdjson::error_message(error) + ")");
  }
  try {
    auto o = as_object(root, "(root)");
    if (get_count(o, "", "formatVersion") != import_checkpoint_format_version) {
      invalid_field("formatVersion", "must be " + std::to_string(import_checkpoint_format_version));
    }
    import_checkpoint c;
    c.database = get_string(o, "", "database");
    c.collection = get_string(o, "", "collection");
    c.partition_key_path = get_string(o, "", "partitionKeyPath");
    std::size_t i = 0;
    for (simdjson::dom::element e : get_array(o, "", "files")) {
      const std::string field = "files[" + std::to_string(i++) + "]";
      auto f = as_object(e, field);
      c.files.push_back(import_input_file{get_string(f, field + ".", "file"), get_count(f, field + ".", "documents"),
                                          get_count(f, field + ".", "bytes")});
    }
    c.position = get_count(o, "", "position");
    i = 0;
    for (simdjson::dom::element e : get_array(o, "", "ranges")) {
      const std::string field = "ranges[" + std::to_string(i++) + "]";
      auto r = as_object(e, field);
      import_range_progress p{get_string(r, field + ".", "min"), get_string(r, field + ".", "max"),
                              get_count(r, field + ".", "completed")};
      if (!c.ranges.empty() && c.ranges.back().max != p.min) invalid_field(field + ".min", "must be the previous range's max");
      c.ranges.push_back(std::move(p));
    }
    c.rejected = get_count(o, "", "rejected");
    c.rejects_bytes = get_count(o, "", "rejectsBytes");
    std::uint64_t total = 0;
    for (const auto& f : c.files) total += f.documents;
    if (c.position > total) invalid_field("position", "must not exceed the documents of the files");
    for (std::size_t r = 0; r < c.ranges.size(); ++r) {
      if (c.ranges[r].completed > total) {
        invalid_field("ranges[" + std::to_string(r) + "].completed", "must not exceed the documents of the files");
      }
    }
    if (c.rejected > total) invalid_field("rejected", "must not exceed the documents of the files");
    return c;
  } catch (const json_field_error& e) {
    throw import_checkpoint_error(e.what());
  }
}

std::optional<import_checkpoint> read_import_checkpoint(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  const std::string text = read_file(path);
  try {
    return parse_import_checkpoint(text);
  } catch (const import_checkpoint_error& e) {
    throw import_checkpoint_error(path.string() + ": " + e.what());
  }
}

void write_import_checkpoint(const std::filesystem::path& path, const import_checkpoint& checkpoint) {
  write_file_atomically(path, to_json(checkpoint));
}

std::string reject_line(const import_reject& r) {
  std::string out = "{\"file\":";
  append_json_string(out, r.file);
  out += ",\"index\":" + std::to_string(r.index) + ",\"id\":";
  append_json_string(out, r.id);
  out += ",\"partitionKey\":";
  append_json_string(out, r.partition_key);
  out += ",\"status\":" + std::to_string(r.status) + ",\"substatus\":" + std::to_string(r.substatus) + ",\"reason\":";
  append_json_string(out, r.reason);
  out += "}\n";
  return out;
}

std::uint64_t append_rejects(const std::filesystem::path& path, std::span<const import_reject> rejects) {
  descriptor d{::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)};
  if (d.fd < 0) fail("open", path, errno);
  std::string text;
  for (const auto& r : rejects) text += reject_line(r);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(d.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write", path, errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(d.fd) != 0) fail("fsync", path, errno);
  const off_t end = ::lseek(d.fd, 0, SEEK_END);
  if (end < 0) fail("lseek", path, errno);
  return static_cast<std::uint64_t>(end);
}

void truncate_rejects(const std::filesystem::path& path, std::uint64_t bytes) {
  descriptor d{::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)};
  if (d.fd < 0) fail("open", path, errno);
  if (::ftruncate(d.fd, static_cast<off_t>(bytes)) != 0) fail("truncate", path, errno);
  if (::fsync(d.fd) != 0) fail("fsync", path, errno);
}

}  // namespace idabus::io::files
