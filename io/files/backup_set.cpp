#include "io/files/backup_set.hpp"

#include "io/files/atomic_file.hpp"

#include <fstream>

namespace idabus::io::files {

namespace {

struct expected_file {
  const std::string& collection;
  const std::string& file;
  std::uint64_t documents;
  std::uint64_t raw_bytes;
  std::uint64_t bytes;
  const std::string& sha256;
};

// Hashes the file in blocks; std::nullopt (and an issue) when it cannot be read.
std::optional<std::uint64_t> hash_file(const std::filesystem::path& path, std::size_t block, std::string& sha256) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  sha256_hasher hasher;
  std::string buffer(block == 0 ? 1 : block, '\0');
  std::uint64_t size = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    hasher.update(std::string_view(buffer.data(), n));
    size += n;
  }
  if (in.bad()) return std::nullopt;
  sha256 = hasher.finish();
  return size;
}

void check_file(const std::filesystem::path& set_dir, const expected_file& want, const verify_options& options,
                chunk_decoder& decoder, verify_report& report) {
  const auto path = set_dir / want.file;
  auto issue = [&](chunk_problem problem, std::string detail) {
    report.issues.push_back(chunk_issue{want.collection, want.file, problem, std::move(detail)});
  };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return issue(chunk_problem::missing, "file not found");
  std::string sha256;
  const auto size = hash_file(path, options.read_block_bytes, sha256);
  if (!size) return issue(chunk_problem::missing, "file cannot be read");
  ++report.files_checked;
  report.bytes_checked += *size;
  if (*size != want.bytes) {
    return issue(chunk_problem::size_mismatch, "size " + std::to_string(*size) + " bytes but the manifest lists " +
                                                   std::to_string(want.bytes));
  }
  if (sha256 != want.sha256) {
    return issue(chunk_problem::sha256_mismatch, "sha256 " + sha256 + " but the manifest lists " + want.sha256);
  }
  if (!options.decompress) return;
  try {
    const auto text = decoder.decode(read_file(path), want.file);
    std::uint64_t lines = 0;
    for ([[maybe_unused]] auto line : json_lines(text)) ++lines;
    if (text.size() != want.raw_bytes || lines != want.documents) {
      issue(chunk_problem::size_mismatch, std::to_string(lines) + " documents in " + std::to_string(text.size()) +
                                              " bytes but the manifest lists " + std::to_string(want.documents) +
                                              " in " + std::to_string(want.raw_bytes));
    }
  } catch (const chunk_error& e) {
    issue(e.problem(), e.what());
  } catch (const file_error& e) {
    issue(chunk_problem::missing, e.what());
  }
}

}  // namespace

std::string_view to_string(set_status status) noexcept {
  switch (status) {
    case set_status::complete: return "complete";
    case set_status::incomplete: return "incomplete";
    case set_status::bad_manifest: return "bad manifest";
    case set_status::corrupt: return "corrupt";
  }
  return "unknown";
}

verify_report verify_backup_set(const std::filesystem::path& set_dir, verify_options options) {
  verify_report report;
  try {
    report.manifest = read_manifest(set_dir);
  } catch (const manifest_error& e) {
    report.status = e.problem() == manifest_problem::missing ? set_status::incomplete : set_status::bad_manifest;
    report.manifest_error = e.what();
    return report;
  }
  chunk_decoder decoder;
  for (const auto& c : report.manifest->collections) {
    for (const auto& chunk : c.chunks) {
      check_file(set_dir, {c.name, chunk.file, chunk.documents, chunk.raw_bytes, chunk.bytes, chunk.sha256},
                 options, decoder, report);
    }
    if (c.tombstones) {
      const auto& t = *c.tombstones;
      check_file(set_dir, {c.name, t.file, t.documents, t.raw_bytes, t.bytes, t.sha256}, options, decoder, report);
    }
  }
  report.status = report.issues.empty() ? set_status::complete : set_status::corrupt;
  return report;
}

}  // namespace idabus::io::files
