#include "tools/importTool/backup_folder.hpp"

#include "io/files/atomic_file.hpp"

#include <algorithm>

namespace idabus::import_tool {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const std::vector<std::string>& known_collection_types() {
  static const std::vector<std::string> types{"Resources", "Events", "WorkflowExecutions"};
  return types;
}

std::string default_partition_key_path(std::string_view collection_type) {
  return collection_type == "Resources" ? "/objecttype" : "/id";
}

std::vector<std::string> parse_collection_types(std::string_view text, command cmd) {
  std::vector<std::string> out;
  const auto& known = known_collection_types();
  while (true) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    const auto it = std::find_if(known.begin(), known.end(), [&](const std::string& k) { return iequals(k, item); });
    if (it == known.end()) {
      throw usage_error(cmd, "<collectionTypes>: unknown collection type '" + std::string(item) +
                                 "' (expected a comma-separated list of Resources, Events, WorkflowExecutions)");
    }
    if (std::find(out.begin(), out.end(), *it) == out.end()) out.push_back(*it);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<io::files::backup_set_info> scan_or_fail(const std::filesystem::path& folder) {
  try {
    return io::files::scan_backup_folder(folder);
  } catch (const io::files::file_error& e) {
    throw command_error(e.what());
  }
}

std::string skipped_line(const io::files::backup_set_info& set) {
  return set.name + ": " + std::string(to_string(set.status)) + " (" + set.problem + "); never used by a restore";
}

}  // namespace idabus::import_tool
