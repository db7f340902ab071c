// importTool --list <folder> [--until T] (DESIGN §8, issue 9 item 4): one line per backup set,
// read from the manifests only (nothing is re-hashed; --verify does that):
//
//   <mark> <set folder>  id=<backupId>  completed=<time>  <status>  <Collection>=<type>,<documents> documents,<deletes> deletes,<bytes> bytes ...
//
// Sets without a usable manifest show "completed=-" and their problem. With --until T the mark
// is '*' for exactly the sets a restore at T needs (the union of every collection's chain) and
// '-' for the others; a collection whose chain cannot be built is named on stderr and makes the
// exit code 1 (the operator would copy an unusable selection).

#include "tools/importTool/backup_folder.hpp"
#include "tools/importTool/commands.hpp"

#include <iostream>
#include <set>

namespace idabus::import_tool {

namespace {

namespace files = io::files;

std::string describe(const files::backup_set_info& set) {
  std::string line = set.name + "  id=" + (set.manifest ? set.manifest->backup_id : "-") + "  completed=" +
                     (set.manifest ? files::format_utc_time(set.manifest->completed_time) : "-") + "  " +
                     std::string(to_string(set.status));
  if (!set.manifest) return line + " (" + set.problem + ")";
  for (const auto& c : set.manifest->collections) {
    line += "  " + c.name + "=" + std::string(to_string(c.type)) + "," + std::to_string(c.documents) + " documents,";
    if (c.tombstones) line += std::to_string(c.tombstones->documents) + " deletes,";
    line += std::to_string(c.bytes) + " bytes";
  }
  return line;
}

}  // namespace

int run_list(const command_line& line) {
  const auto sets = scan_or_fail(line.args[0]);
  std::set<std::size_t> needed;
  int code = exit_success;
  if (line.time) {
    std::set<std::string> collections;
    for (const auto& set : sets) {
      if (!set.manifest) continue;
      for (const auto& c : set.manifest->collections) collections.insert(c.name);
    }
    for (const auto& c : collections) {
      try {
        for (auto i : files::select_chain(sets, c, *line.time).sets) needed.insert(i);
      } catch (const files::chain_error& e) {
        std::cerr << "importTool: " << e.what() << '\n';
        code = exit_failed;
      }
    }
  }
  for (std::size_t i = 0; i < sets.size(); ++i) {
    if (line.time) std::cout << (needed.count(i) ? "* " : "- ");
    std::cout << describe(sets[i]) << '\n';
  }
  if (line.time) {
    std::cout << needed.size() << " of " << sets.size() << " backup sets needed for a restore at "
              << files::format_utc_time(*line.time) << " (marked *)\n";
  } else {
    std::cout << sets.size() << " backup sets\n";
  }
  return code;
}

}  // namespace idabus::import_tool
