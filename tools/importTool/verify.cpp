// importTool --verify <folder> (DESIGN §8, issue 9 item 4): re-hashes every chunk and tombstones
// file of every backup set against its manifest (SHA-256 and size) and names every bad file:
//
//   <set folder>: ok (<files> files, <bytes> bytes)
//   <set folder>: corrupt
//     <file>: <problem>: <detail>
//   <set folder>: incomplete (...); never used by a restore
//
// Exit 1 when a set is corrupt or has a manifest that cannot be read (or the folder holds no set);
// incomplete sets (a backup that never finished) are reported but are not a failure.

#include "tools/importTool/backup_folder.hpp"
#include "tools/importTool/commands.hpp"

#include <iostream>

namespace idabus::import_tool {

int run_verify(const command_line& line) {
  auto sets = scan_or_fail(line.args[0]);
  if (sets.empty()) throw command_error("no backup sets in " + line.args[0]);
  std::size_t bad = 0;
  for (auto& set : sets) {
    if (!set.manifest) {
      std::cout << skipped_line(set) << '\n';
      bad += set.status == io::files::set_status::bad_manifest ? 1 : 0;
      continue;
    }
    std::uint64_t files = 0, bytes = 0;
    for (const auto& c : set.manifest->collections) {
      files += c.chunks.size() + (c.tombstones ? 1 : 0);
      for (const auto& chunk : c.chunks) bytes += chunk.bytes;
      if (c.tombstones) bytes += c.tombstones->bytes;
    }
    io::files::verify_set(set);
    if (set.issues.empty()) {
      std::cout << set.name << ": ok (" << files << " files, " << bytes << " bytes)\n";
      continue;
    }
    ++bad;
    std::cout << set.name << ": corrupt\n";
    for (const auto& issue : set.issues) {
      std::cout << "  " << issue.file << ": " << to_string(issue.problem) << ": " << issue.detail << '\n';
    }
  }
  std::cout << sets.size() << " backup sets, " << bad << " bad\n";
  if (bad > 0) throw command_error(std::to_string(bad) + " of " + std::to_string(sets.size()) + " backup sets in " +
                                   line.args[0] + " are bad (listed above)");
  return exit_success;
}

}  // namespace idabus::import_tool
