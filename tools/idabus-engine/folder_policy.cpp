#include "tools/idabus-engine/folder_policy.hpp"

#include <algorithm>
#include <system_error>

namespace idabus::engine {

namespace {

std::filesystem::path canonical_of(const std::filesystem::path& p) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(p, ec);
  return (ec ? p.lexically_normal() : c.lexically_normal());
}

bool inside(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty() && std::next(r) == root.end()) return true;  // trailing separator of the root
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

}  // namespace

folder_check check_backup_folder(std::string_view requested, const std::vector<std::string>& allowed_roots) {
  folder_check out;
  if (requested.empty()) {
    out.verdict = folder_verdict::missing;
    out.detail = "folderPathForBackup: required";
    return out;
  }
  const std::filesystem::path path(requested);
  if (!path.is_absolute()) {
    out.verdict = folder_verdict::relative;
    out.detail = "folderPathForBackup: expected an absolute path";
    return out;
  }
  // Resolving `..` after symlinks (not lexically before) is what the kernel will do when we write.
  out.canonical = canonical_of(path);
  const bool ok = std::any_of(allowed_roots.begin(), allowed_roots.end(),
                              [&](const std::string& root) { return inside(out.canonical, canonical_of(root)); });
  if (!ok) {
    out.verdict = folder_verdict::outside_roots;
    out.detail = "folderPathForBackup: resolves to " + out.canonical.string() +
                 ", which is outside Backup.AllowedRoots";
    return out;
  }
  out.verdict = folder_verdict::allowed;
  return out;
}

}  // namespace idabus::engine
