#include "io/files/restore_plan.hpp"

#include "io/files/atomic_file.hpp"
#include "io/files/json_fields.hpp"
#include "io/json/write.hpp"

#include <simdjson.h>

#include <algorithm>

namespace idabus::io::files {

namespace {

using json::append_json_string;

void append_source(std::string& out, const plan_source_backup& s) {
  out += "{\"backupId\": ";
  append_json_string(out, s.backup_id);
  out += ", \"folder\": ";
  append_json_string(out, s.folder);
  out += ", \"type\": ";
  append_json_string(out, to_string(s.type));
  out += ", \"completedtime\": ";
  append_json_string(out, format_utc_time(s.completed_time));
  out += "}";
}

void append_file(std::string& out, const restore_file_entry& f) {
  out += "{\"file\": ";
  append_json_string(out, f.file);
  out += ", \"documents\": " + std::to_string(f.documents);
  out += ", \"bytes\": " + std::to_string(f.bytes);
  out += ", \"sha256\": ";
  append_json_string(out, f.sha256);
  out += "}";
}

template <typename T, typename Append>
void append_list(std::string& out, const std::vector<T>& items, Append append) {
  out += "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i == 0 ? "\n        " : ",\n        ";
    append(out, items[i]);
  }
  out += items.empty() ? "]" : "\n      ]";
}

void append_collection(std::string& out, const plan_collection& c) {
  out += "    {\n      \"name\": ";
  append_json_string(out, c.name);
  out += ",\n      \"partitionKeyPath\": ";
  append_json_string(out, c.partition_key_path);
  out += ",\n      \"sourceBackups\": ";
  append_list(out, c.source_backups, append_source);
  out += ",\n      \"documents\": " + std::to_string(c.documents);
  out += ",\n      \"bytes\": " + std::to_string(c.bytes);
  out += ",\n      \"deletesApplied\": " + std::to_string(c.deletes_applied);
  out += ",\n      \"files\": ";
  append_list(out, c.files, append_file);
  out += "\n    }";
}

plan_source_backup parse_source(simdjson::dom::element e, const std::string& field) {
  using namespace detail;
  auto o = as_object(e, field);
  const auto path = field + ".";
  plan_source_backup s;
  s.backup_id = get_string(o, path, "backupId");
  s.folder = get_string(o, path, "folder");
  const auto type = get_string(o, path, "type");
  if (type == "full") {
    s.type = backup_type::full;
  } else if (type == "incremental") {
    s.type = backup_type::incremental;
  } else {
    invalid_field(path + "type", "must be \"full\" or \"incremental\"");
  }
  s.completed_time = get_time(o, path, "completedtime");
  return s;
}

restore_file_entry parse_file(simdjson::dom::element e, const std::string& field, std::string_view collection) {
  using namespace detail;
  auto o = as_object(e, field);
  const auto path = field + ".";
  restore_file_entry f;
  f.file = get_string(o, path, "file");
  if (!restore_file_sequence(f.file, collection)) {
    invalid_field(path + "file", "must be a restore file name of the collection (" +
                                     restore_file_name(collection, 1) + ")");
  }
  f.documents = get_count(o, path, "documents");
  f.bytes = get_count(o, path, "bytes");
  f.sha256 = get_sha256(o, path);
  return f;
}

plan_collection parse_collection(simdjson::dom::element e, const std::string& field) {
  using namespace detail;
  auto o = as_object(e, field);
  const auto path = field + ".";
  plan_collection c;
  c.name = get_string(o, path, "name");
  if (c.name.empty() || c.name.find('/') != std::string::npos || c.name == "." || c.name == "..") {
    invalid_field(path + "name", "must be a collection name (no '/', not '.' or '..')");
  }
  c.partition_key_path = get_string(o, path, "partitionKeyPath");
  std::size_t i = 0;
  for (auto s : get_array(o, path, "sourceBackups")) {
    c.source_backups.push_back(parse_source(s, path + "sourceBackups[" + std::to_string(i++) + "]"));
  }
  c.documents = get_count(o, path, "documents");
  c.bytes = get_count(o, path, "bytes");
  c.deletes_applied = get_count(o, path, "deletesApplied");
  i = 0;
  for (auto f : get_array(o, path, "files")) {
    c.files.push_back(parse_file(f, path + "files[" + std::to_string(i++) + "]", c.name));
  }
  return c;
}

}  // namespace

std::string to_json(const restore_plan& plan) {
  std::string out = "{\n  \"formatVersion\": " + std::to_string(plan.format_version);
  out += ",\n  \"maximumBackupFinalTimeUtc\": ";
  append_json_string(out, format_utc_time(plan.until));
  out += ",\n  \"toolVersion\": ";
  append_json_string(out, plan.tool_version);
  out += ",\n  \"collections\": [";
  for (std::size_t i = 0; i < plan.collections.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    append_collection(out, plan.collections[i]);
  }
  out += plan.collections.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

restore_plan parse_restore_plan(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root_element;
  if (auto error = parser.parse(padded).get(root_element)) {
    throw restore_plan_error(std::string("restore plan: not valid JSON (") + simdjson::error_message(error) + ")");
  }
  try {
    using namespace detail;
    auto root = as_object(root_element, "(top level)");
    restore_plan plan;
    std::int64_t version = 0;
    if (member(root, "", "formatVersion").get_int64().get(version) != simdjson::SUCCESS) {
      invalid_field("formatVersion", "must be an integer");
    }
    if (version != restore_plan_format_version) {
      invalid_field("formatVersion", "is " + std::to_string(version) + "; this tool reads " +
                                         std::to_string(restore_plan_format_version));
    }
    plan.format_version = static_cast<int>(version);
    plan.until = get_time(root, "", "maximumBackupFinalTimeUtc");
    plan.tool_version = get_string(root, "", "toolVersion");
    std::size_t i = 0;
    for (auto c : get_array(root, "", "collections")) {
      plan.collections.push_back(parse_collection(c, "collections[" + std::to_string(i++) + "]"));
    }
    return plan;
  } catch (const detail::json_field_error& e) {
    throw restore_plan_error(std::string("restore plan: ") + e.what());
  }
}

void write_restore_plan(const std::filesystem::path& folder, const restore_plan& plan) {
  write_file_atomically(folder / restore_plan_file_name, to_json(plan));
}

restore_plan read_restore_plan(const std::filesystem::path& folder) {
  const auto path = folder / restore_plan_file_name;
  std::string text;
  try {
    text = read_file(path);
  } catch (const file_error& e) {
    throw restore_plan_error(std::string("restore plan: ") + e.what());
  }
  return parse_restore_plan(text);
}

planned_restore_files list_planned_restore_files(const std::filesystem::path& folder, std::string_view collection) {
  namespace fs = std::filesystem;
  auto found = list_restore_files(folder, collection);
  std::error_code ec;
  if (!fs::exists(folder / restore_plan_file_name, ec)) return {std::move(found), false};
  const auto plan = read_restore_plan(folder);
  const auto where = (folder / restore_plan_file_name).string();
  const auto c = std::find_if(plan.collections.begin(), plan.collections.end(),
                              [&](const plan_collection& p) { return p.name == collection; });
  const std::vector<restore_file_entry> none;
  const auto& planned = c == plan.collections.end() ? none : c->files;
  for (std::size_t i = 0; i < std::max(planned.size(), found.size()); ++i) {
    if (i >= planned.size()) {
      throw restore_plan_error(found[i].string() + " is not one of the restore files " + where + " lists");
    }
    const auto path = folder / planned[i].file;
    if (i >= found.size() || found[i].filename() != planned[i].file) {
      throw restore_plan_error(path.string() + ", listed in " + where + ", is missing");
    }
    const auto size = fs::file_size(path, ec);
    if (ec || size != planned[i].bytes) {
      throw restore_plan_error(path.string() + " has " + (ec ? ec.message() : std::to_string(size) + " bytes") +
                               ", not the " + std::to_string(planned[i].bytes) + " bytes " + where + " lists");
    }
  }
  return {std::move(found), c != plan.collections.end()};
}

}  // namespace idabus::io::files
