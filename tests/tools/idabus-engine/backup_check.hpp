#pragma once
// Helpers for the engine tests that run real backups (engine_host without an injected pass): load
// a tenant, start a backup through the API and poll its status until 204, and read a finished set
// independently of the writer's code (plain ZSTD_decompress, simdjson for id and _ts) to compare it
// byte for byte with what the server returns.

#include "engine_fixture.hpp"
#include "integration/upsert_documents.hpp"
#include "io/files/backup_set.hpp"
#include "io/files/manifest.hpp"
#include "support/run_coro.hpp"
#include "tools/tenant-gen/generator.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <zstd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace idabus::engine::testing {

namespace cosmos = idabus::io::cosmos;
namespace files = idabus::io::files;
namespace gen = idabus::tenant_gen;

/// A document count a test may be told to use instead of its own (CI keeps the default; a longer
/// run sets the variable), e.g. IDABUS_BACKUP_TEST_DOCUMENTS=200000.
inline std::uint64_t documents_from_environment(const char* variable, std::uint64_t fallback) {
  const char* text = std::getenv(variable);
  if (!text || !*text) return fallback;
  return std::strtoull(text, nullptr, 10);
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct chunk_line {
  std::string raw;
  files::chunk_phase phase = files::chunk_phase::basis;
};

/// Every line of every chunk of `collection` in the set, in file order: id -> its occurrences.
inline std::map<std::string, std::vector<chunk_line>> lines_of(const std::filesystem::path& set_dir,
                                                               const files::collection_manifest& collection) {
  std::map<std::string, std::vector<chunk_line>> out;
  simdjson::ondemand::parser parser;
  for (const auto& entry : collection.chunks) {
    const auto bytes = slurp(set_dir / entry.file);
    const auto size = ZSTD_getFrameContentSize(bytes.data(), bytes.size());
    EXPECT_FALSE(size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR) << entry.file;
    std::string text(size, '\0');
    const auto n = ZSTD_decompress(text.data(), text.size(), bytes.data(), bytes.size());
    EXPECT_FALSE(ZSTD_isError(n)) << entry.file;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const auto end = text.find('\n', pos);
      std::string line = text.substr(pos, end - pos);
      pos = end == std::string::npos ? text.size() : end + 1;
      simdjson::padded_string padded(line);
      auto doc = parser.iterate(padded);
      const std::string id(std::string_view(doc["id"].get_string().value()));
      out[id].push_back({std::move(line), entry.phase});
    }
  }
  return out;
}

/// Every document of the tenant into its collection.
inline net::awaitable<void> load_tenant(cosmos::client& client, const gen::tenant_generator& tenant) {
  for (auto kind : gen::all_collections) {
    std::vector<gen::generated_document> docs;
    for (std::uint64_t i = 0; i < tenant.plan().count(kind); ++i) docs.push_back(tenant.generate(kind, i));
    co_await integration::upsert_all(client, "idabus", std::string(gen::collection_name(kind)), std::move(docs));
  }
}

using idabus::test::pause;

/// PUT create (202 expected); the event id.
inline net::awaitable<std::string> create_backup(engine_host& host, std::string body,
                                                 const std::filesystem::path& folder) {
  auto created = co_await host.http_api().handle(
      make_request("PUT", "/api/v1/Backup/create?folderPathForBackup=" + folder.string(), std::move(body)));
  if (created.status != 202u) throw std::runtime_error("create: " + std::to_string(created.status) + " " + created.body);
  co_return created.body.substr(1, created.body.size() - 2);  // a JSON string
}

/// GET status until 204; then the event.
inline net::awaitable<backup_event> finished_event(engine_host& host, std::string id) {
  for (;;) {
    auto status = co_await host.http_api().handle(make_request("GET", "/api/v1/Backup/status"));
    if (status.status == 204u) break;
    co_await pause(std::chrono::milliseconds(100));
  }
  auto doc = co_await host.documents().read_event(id);
  if (!doc) throw std::runtime_error("the backup event is missing");
  co_return parse_backup_event(doc->body);
}

/// PUT create, then GET status until 204; the finished event.
inline net::awaitable<backup_event> back_up(engine_host& host, std::string body, const std::filesystem::path& folder) {
  auto id = co_await create_backup(host, std::move(body), folder);
  co_return co_await finished_event(host, std::move(id));
}

/// Waits until the server's clock (second resolution _ts) is past the margin of every bound.
inline net::awaitable<void> let_the_margin_pass(const config& settings) {
  co_await pause(std::chrono::seconds(settings.backup.margin_seconds + 1));
}

inline collection_kind kind_named(const std::string& name) {
  return name == "Resources" ? collection_kind::resources
         : name == "Events"  ? collection_kind::events
                             : collection_kind::workflow_executions;
}

/// The finished full backup `full` (every collection included, nothing written during it but its
/// own state) against the server: the set verifies, the event's counts are the manifest's, and every
/// document the server holds is in the chunks exactly once, byte for byte, and nothing else is.
/// The exceptions are the engine's own documents: its event (a newer version in a delta chunk), and
/// the lease and the system modes, which the server holds and the backup must not.
inline net::awaitable<void> expect_set_holds_the_server(cosmos::client& client, const backup_event& full) {
  const auto report = files::verify_backup_set(full.folder, files::verify_options{.decompress = true});
  EXPECT_TRUE(report.ok()) << files::to_string(report.status) << " " << report.manifest_error;
  if (!report.ok()) co_return;
  const auto& m = *report.manifest;
  EXPECT_EQ(m.backup_id, full.id);
  EXPECT_EQ(m.collections.size(), 3u);
  for (const auto& c : m.collections) {
    const auto& outcome = full[kind_named(c.name)];
    EXPECT_EQ(c.type, files::backup_type::full);
    EXPECT_EQ(outcome.documents, c.documents) << c.name;
    EXPECT_EQ(outcome.chunks, c.chunks.size()) << c.name;
    EXPECT_EQ(outcome.raw_bytes, c.raw_bytes) << c.name;
    EXPECT_EQ(outcome.compressed_bytes, c.bytes) << c.name;
    EXPECT_GT(outcome.request_charge, 0) << c.name;
    const auto lines = lines_of(full.folder, c);
    const std::string pk(c.name == "Resources" ? "/objecttype" : "/id");
    cosmos::query_spec select_all;  // named: GCC 12 and braced temporaries in co_await
    auto server = co_await test::integration::collect_all(client, "idabus", c.name, pk, select_all);
    std::size_t missing = 0, twice = 0, different = 0;
    std::size_t left_out = 0;
    for (const auto& [id, raw] : server.raw_by_id) {
      auto it = lines.find(id);
      if (id == "idabus-backup-lease" || id == "idabus-system-modes") {
        // The engine's coordination documents are never backed up (a restore would start read-only).
        EXPECT_TRUE(it == lines.end()) << c.name << ": " << id << " is in the backup";
        ++left_out;
        continue;
      }
      if (it == lines.end()) {
        if (++missing <= 5) ADD_FAILURE() << c.name << ": " << id << " is not in the backup";
        continue;
      }
      if (id == full.id) {
        // Rewritten when the read-only phase began (before the delta pass): the delta pass holds
        // that version, after the basis version.
        EXPECT_EQ(it->second.back().phase, files::chunk_phase::delta);
        EXPECT_NE(it->second.back().raw.find("InMaintenanceAndReadonlyMode"), std::string::npos);
        continue;
      }
      if (it->second.size() != 1u && ++twice <= 5) ADD_FAILURE() << c.name << ": " << id << " is in the backup " << it->second.size() << " times";
      if (it->second.front().raw != raw && ++different <= 5) ADD_FAILURE() << c.name << ": " << id << " differs from the server's";
    }
    EXPECT_EQ(missing, 0u) << c.name;
    EXPECT_EQ(twice, 0u) << c.name;
    EXPECT_EQ(different, 0u) << c.name;
    EXPECT_EQ(left_out, c.name == "Events" ? 2u : 0u) << c.name;
    EXPECT_EQ(lines.size(), server.raw_by_id.size() - left_out) << c.name;
  }
}

}  // namespace idabus::engine::testing
