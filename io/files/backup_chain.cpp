#include "io/files/backup_chain.hpp"

#include "io/files/atomic_file.hpp"

#include <algorithm>

namespace idabus::io::files {

namespace {

namespace fs = std::filesystem;

backup_set_info read_set(fs::path dir, std::string name) {
  backup_set_info set;
  set.dir = std::move(dir);
  set.name = std::move(name);
  try {
    set.manifest = read_manifest(set.dir);
    set.status = set_status::complete;
  } catch (const manifest_error& e) {
    set.status = e.problem() == manifest_problem::missing ? set_status::incomplete : set_status::bad_manifest;
    set.problem = e.problem() == manifest_problem::missing ? "no manifest.json (the backup did not complete)" : e.what();
  }
  return set;
}

}  // namespace

const collection_manifest* backup_set_info::collection(std::string_view name) const {
  if (!manifest) return nullptr;
  for (const auto& c : manifest->collections) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<backup_set_info> scan_backup_folder(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw file_error("backup folder " + folder.string() + " is not a directory");
  std::vector<backup_set_info> sets;
  if (fs::exists(folder / manifest_file_name, ec)) {
    const auto name = fs::absolute(folder, ec).lexically_normal().filename().string();
    sets.push_back(read_set(folder, name.empty() ? folder.string() : name));
    return sets;
  }
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_directory(type_ec)) continue;
    auto name = it->path().filename().string();
    if (!name.starts_with("backup-") && !fs::exists(it->path() / manifest_file_name, type_ec)) continue;
    sets.push_back(read_set(it->path(), std::move(name)));
  }
  if (ec) throw file_error("list " + folder.string() + ": " + ec.message());
  std::sort(sets.begin(), sets.end(), [](const backup_set_info& a, const backup_set_info& b) {
    if (a.manifest.has_value() != b.manifest.has_value()) return a.manifest.has_value();
    if (a.manifest && a.manifest->completed_time != b.manifest->completed_time) {
      return a.manifest->completed_time < b.manifest->completed_time;
    }
    return a.name < b.name;
  });
  return sets;
}

void verify_set(backup_set_info& set, verify_options options) {
  if (!set.manifest) return;
  auto report = verify_backup_set(set.dir, options);
  set.verified = true;
  set.issues = std::move(report.issues);
  if (report.status == set_status::complete || report.status == set_status::corrupt) {
    set.status = report.status;
  } else {  // the manifest changed under us
    set.status = report.status;
    set.problem = report.manifest_error;
    set.manifest.reset();
  }
}

restore_chain select_chain(std::span<const backup_set_info> sets, std::string_view collection, utc_time until) {
  const auto usable = [&](const backup_set_info& s) {
    return (s.status == set_status::complete || s.status == set_status::corrupt) && s.collection(collection) &&
           s.manifest->completed_time <= until;
  };
  std::optional<std::size_t> full;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    if (usable(sets[i]) && sets[i].collection(collection)->type == backup_type::full) full = i;
  }
  const std::string at = std::string(collection) + " at " + format_utc_time(until);
  if (!full) {
    throw chain_error("no full backup of " + std::string(collection) + " completed at or before " +
                      format_utc_time(until) + " in this folder");
  }
  restore_chain chain{std::string(collection), {*full}};
  for (std::size_t i = *full + 1; i < sets.size(); ++i) {
    if (usable(sets[i]) && sets[i].collection(collection)->type == backup_type::incremental) chain.sets.push_back(i);
  }
  for (std::size_t n = 0; n < chain.sets.size(); ++n) {
    const auto& set = sets[chain.sets[n]];
    for (const auto& issue : set.issues) {
      if (issue.collection == collection) {
        throw chain_error("the restore of " + at + " needs backup set " + set.name + ", which is corrupt: " +
                          issue.file + ": " + issue.detail);
      }
    }
    if (n == 0) continue;
    const auto& previous = sets[chain.sets[n - 1]];
    const auto& since = set.collection(collection)->since;
    if (since && *since > previous.manifest->completed_time) {
      throw chain_error("the restore of " + at + " has a gap: backup set " + set.name + " holds the changes of " +
                        std::string(collection) + " since " + format_utc_time(*since) + ", but the set before it, " +
                        previous.name + ", completed at " + format_utc_time(previous.manifest->completed_time) +
                        " (the set in between is missing, incomplete or unreadable)");
    }
  }
  return chain;
}

}  // namespace idabus::io::files
