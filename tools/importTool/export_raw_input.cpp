#include "tools/importTool/export_raw_input.hpp"

#include "io/files/restore_plan.hpp"
#include "tools/importTool/cli.hpp"

#include <set>
#include <system_error>

namespace idabus::import_tool {

namespace fs = std::filesystem;

namespace {

// The collections whose restore files are in `folder` ("<name>.<digits>.json").
std::set<std::string> collections_in(const fs::path& folder) {
  std::set<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.ends_with(".json")) continue;
    const std::string stem = name.substr(0, name.size() - 5);
    const auto dot = stem.rfind('.');
    if (dot == std::string::npos || dot == 0) continue;
    const std::string collection = stem.substr(0, dot);
    if (io::files::restore_file_sequence(name, collection)) out.insert(collection);
  }
  return out;
}

}  // namespace

export_raw_input resolve_export_raw_input(const fs::path& restore_file, std::string_view collection) {
  std::error_code ec;
  const auto status = fs::status(restore_file, ec);
  if (ec || !fs::exists(status)) throw command_error(restore_file.string() + ": no such file or folder");
  export_raw_input input;
  if (!fs::is_directory(status)) {
    input.files.push_back(restore_file);
    input.state_folder = restore_file.has_parent_path() ? restore_file.parent_path() : fs::path(".");
    return input;
  }
  input.state_folder = restore_file;
  io::files::planned_restore_files listed;
  try {
    listed = io::files::list_planned_restore_files(restore_file, collection);
  } catch (const std::exception& e) {
    throw command_error(e.what());
  }
  input.files = std::move(listed.files);
  // A collection the restore plan lists without files had no documents: nothing to import (never
  // another collection's files).
  if (!input.files.empty() || listed.planned) return input;
  const auto found = collections_in(restore_file);
  if (found.size() == 1) {
    try {
      input.files = io::files::list_planned_restore_files(restore_file, *found.begin()).files;
    } catch (const std::exception& e) {
      throw command_error(e.what());
    }
    input.note = "no restore files of " + std::string(collection) + " in " + restore_file.string() + "; importing those of " +
                 *found.begin();
    return input;
  }
  std::string names;
  for (const auto& name : found) names += (names.empty() ? "" : ", ") + name;
  throw command_error(restore_file.string() + " holds no restore files of " + std::string(collection) +
                      (found.empty() ? std::string(" (none at all)") : " (found: " + names + ")"));
}

void check_resumable(const io::files::import_checkpoint& saved, const io::files::import_checkpoint& current,
                     const fs::path& checkpoint_file) {
  auto refuse = [&](const std::string& why) {
    throw command_error("--resume: " + checkpoint_file.string() + " " + why + "; rerun without --resume to start over");
  };
  if (saved.database != current.database || saved.collection != current.collection) {
    refuse("is for " + saved.database + "/" + saved.collection);
  }
  if (saved.partition_key_path != current.partition_key_path) {
    refuse("was written with partition key " + saved.partition_key_path);
  }
  if (saved.files != current.files) {
    for (std::size_t i = 0; i < std::max(saved.files.size(), current.files.size()); ++i) {
      if (i >= saved.files.size()) refuse("does not list " + current.files[i].file);
      if (i >= current.files.size()) refuse("lists " + saved.files[i].file + ", which is not in the input");
      if (saved.files[i] != current.files[i]) refuse("was written for another " + saved.files[i].file);
    }
  }
}

}  // namespace idabus::import_tool
