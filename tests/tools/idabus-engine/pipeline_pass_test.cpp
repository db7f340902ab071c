// End to end: a tenant from tenant-gen's generator in the real cosmos-emulator (4 partitions), a
// full and then an incremental backup started through the engine's Backup API with the real
// pipeline (engine_host without an injected pass). The chunks are read independently of the
// writer's code (plain ZSTD_decompress, simdjson for id and _ts) and compared byte for byte with
// what the server returns.
#include "tools/idabus-engine/pipeline_pass.hpp"

#include "engine_fixture.hpp"
#include "io/files/backup_set.hpp"
#include "io/files/manifest.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"
#include "tools/tenant-gen/generator.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <zstd.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;
namespace cosmos = idabus::io::cosmos;
namespace files = idabus::io::files;
namespace gen = idabus::tenant_gen;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct chunk_line {
  std::string raw;
  files::chunk_phase phase = files::chunk_phase::basis;
};

/// Every line of every chunk of `collection` in the set, in file order: id -> its occurrences.
std::map<std::string, std::vector<chunk_line>> lines_of(const std::filesystem::path& set_dir,
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

net::awaitable<void> upsert_all(cosmos::client& client, std::string collection,
                                std::vector<gen::generated_document> docs) {
  std::vector<cosmos::bulk_operation> ops;
  for (auto& d : docs) {
    cosmos::bulk_operation op;
    op.type = cosmos::bulk_operation_type::upsert;
    op.partition_key = {cosmos::pk_component(d.partition_key)};
    op.id = d.id;
    op.body = std::move(d.body);
    ops.push_back(std::move(op));
  }
  auto results = co_await client.bulk("idabus", std::move(collection), std::move(ops));
  for (const auto& r : results) EXPECT_EQ(r.status / 100, 2u) << r.message;
}

net::awaitable<void> pause(std::chrono::milliseconds duration) {
  net::steady_timer timer(co_await net::this_coro::executor, duration);
  co_await timer.async_wait(net::use_awaitable);
}

/// PUT create, then GET status until 204; the finished event.
net::awaitable<backup_event> back_up(engine_host& host, std::string body, const std::filesystem::path& folder) {
  auto created = co_await host.http_api().handle(
      make_request("PUT", "/api/v1/Backup/create?folderPathForBackup=" + folder.string(), std::move(body)));
  if (created.status != 202u) throw std::runtime_error("create: " + std::to_string(created.status) + " " + created.body);
  const auto id = created.body.substr(1, created.body.size() - 2);  // a JSON string
  for (;;) {
    auto status = co_await host.http_api().handle(make_request("GET", "/api/v1/Backup/status"));
    if (status.status == 204u) break;
    co_await pause(std::chrono::milliseconds(100));
  }
  auto doc = co_await host.documents().read_event(id);
  if (!doc) throw std::runtime_error("the backup event is missing");
  co_return parse_backup_event(doc->body);
}

/// Waits until the server's clock (second resolution _ts) is past the margin of every bound.
net::awaitable<void> let_the_margin_pass(const config& settings) {
  co_await pause(std::chrono::seconds(settings.backup.margin_seconds + 1));
}

struct PipelinePass : ::testing::Test {
  engine_env env{std::vector<std::string>{"--partitions", "4"}};
  const gen::tenant_generator tenant{gen::plan_tenant(3000, 5)};
  PipelinePass() {
    env.settings.backup.chunk_bytes = 128 * 1024;  // several chunks per collection and pass
    env.settings.backup.page_size = 100;
  }
};

TEST_F(PipelinePass, FullThenIncrementalBackupThroughTheApiHoldExactlyTheDocumentsByteForByte) {
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host host(ctx.get_executor(), env.settings);  // no pass injected: the real pipeline
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      for (auto kind : gen::all_collections) {
        std::vector<gen::generated_document> docs;
        for (std::uint64_t i = 0; i < tenant.plan().count(kind); ++i) docs.push_back(tenant.generate(kind, i));
        co_await upsert_all(s.client, std::string(gen::collection_name(kind)), std::move(docs));
      }
      co_await let_the_margin_pass(env.settings);

      // ---- full backup ----
      const auto full = co_await back_up(
          host, R"({"Resources":{"isincluded":true},"Events":{"isincluded":true},"WorkflowExecutions":{"isincluded":true}})",
          env.roots);
      EXPECT_EQ(full.status, backup_status::completed) << full.error;
      CO_ASSERT_EQ(full.status, backup_status::completed);
      const auto report = files::verify_backup_set(full.folder, files::verify_options{.decompress = true});
      EXPECT_TRUE(report.ok()) << files::to_string(report.status) << " " << report.manifest_error;
      CO_ASSERT_TRUE(report.ok());
      const auto& m = *report.manifest;
      EXPECT_EQ(m.backup_id, full.id);
      EXPECT_EQ(m.source.database, "idabus");
      EXPECT_EQ(files::read_manifest(full.folder), m);
      CO_ASSERT_EQ(m.collections.size(), 3u);
      for (const auto& c : m.collections) {
        const auto kind = c.name == "Resources" ? collection_kind::resources
                          : c.name == "Events"  ? collection_kind::events
                                                : collection_kind::workflow_executions;
        const auto& outcome = full[kind];
        EXPECT_EQ(c.type, files::backup_type::full);
        EXPECT_EQ(outcome.documents, c.documents) << c.name;
        EXPECT_EQ(outcome.chunks, c.chunks.size()) << c.name;
        EXPECT_EQ(outcome.raw_bytes, c.raw_bytes) << c.name;
        EXPECT_EQ(outcome.compressed_bytes, c.bytes) << c.name;
        EXPECT_GT(outcome.request_charge, 0) << c.name;
        EXPECT_GT(c.chunks.size(), 1u) << c.name;
        const auto lines = lines_of(full.folder, c);
        const std::string pk(c.name == "Resources" ? "/objecttype" : "/id");
        cosmos::query_spec select_all;  // named: GCC 12 and braced temporaries in co_await
        auto server = co_await integration::collect_all(s.client, "idabus", c.name, pk, select_all);
        for (const auto& [id, raw] : server.raw_by_id) {
          auto it = lines.find(id);
          if (it == lines.end()) {
            ADD_FAILURE() << c.name << ": " << id << " is not in the backup";
            continue;
          }
          if (id == full.id) {
            // The backup's own event, rewritten when the read-only phase began (before the delta
            // pass): the delta pass holds that version, after the basis version.
            EXPECT_EQ(it->second.back().phase, files::chunk_phase::delta);
            EXPECT_NE(it->second.back().raw.find("InMaintenanceAndReadonlyMode"), std::string::npos);
            continue;
          }
          // The engine's own state (lease, system modes) changes during every backup.
          if (id == "idabus-backup-lease" || id == "idabus-system-modes") continue;
          EXPECT_EQ(it->second.size(), 1u) << c.name << ": " << id;
          EXPECT_EQ(it->second.front().raw, raw) << c.name << ": " << id;
        }
        EXPECT_EQ(lines.size(), server.raw_by_id.size()) << c.name;
      }
      // Delta chunks continue the numbering after the basis chunks (the verifier above would see a
      // basis chunk overwritten otherwise); Events has one because the backup rewrote its event.
      const auto& events = m.collections[1];
      EXPECT_EQ(events.chunks.back().phase, files::chunk_phase::delta);
      EXPECT_EQ(events.chunks.front().file, "Events/" + files::chunk_file_name(1));

      // ---- incremental without previouscompletedtime: the full backup's completedtime ----
      co_await let_the_margin_pass(env.settings);
      std::vector<gen::generated_document> changed;
      std::set<std::string> expected;
      for (std::uint64_t i = 0; i < 40; ++i) {
        auto d = tenant.generate(gen::collection_kind::resources, i * 7);
        d.body.insert(d.body.size() - 1, R"(,"changed":true)");
        expected.insert(d.id);
        changed.push_back(std::move(d));
      }
      co_await upsert_all(s.client, "Resources", std::move(changed));
      const gen::tenant_generator more(gen::plan_tenant(20, 99));  // other seed: new ids
      std::vector<gen::generated_document> added;
      for (std::uint64_t i = 0; i < more.plan().count(gen::collection_kind::resources); ++i) {
        added.push_back(more.generate(gen::collection_kind::resources, i));
        expected.insert(added.back().id);
      }
      co_await upsert_all(s.client, "Resources", std::move(added));
      co_await let_the_margin_pass(env.settings);  // so that the delta pass does not hold them again

      const auto incremental =
          co_await back_up(host, R"({"Resources":{"isincluded":true,"isincremental":true}})", env.roots);
      EXPECT_EQ(incremental.status, backup_status::completed) << incremental.error;
      CO_ASSERT_EQ(incremental.status, backup_status::completed);
      EXPECT_EQ(incremental[collection_kind::resources].since_from, since_source::computed);
      EXPECT_EQ(incremental[collection_kind::resources].since_ms, full[collection_kind::resources].completed_ms);
      const auto second = files::verify_backup_set(incremental.folder, files::verify_options{.decompress = true});
      EXPECT_TRUE(second.ok()) << files::to_string(second.status) << " " << second.manifest_error;
      CO_ASSERT_TRUE(second.ok());
      CO_ASSERT_EQ(second.manifest->collections.size(), 1u);
      const auto& resources = second.manifest->collections[0];
      EXPECT_EQ(resources.type, files::backup_type::incremental);
      const auto lines = lines_of(incremental.folder, resources);
      std::set<std::string> got;
      for (const auto& [id, occurrences] : lines) {
        got.insert(id);
        EXPECT_EQ(occurrences.size(), 1u) << id;
        EXPECT_EQ(occurrences.front().phase, files::chunk_phase::basis) << id;
      }
      EXPECT_EQ(got, expected);
      EXPECT_EQ(incremental[collection_kind::resources].documents, expected.size());
      EXPECT_NE(lines.at(tenant.id_of(gen::collection_kind::resources, 7)).front().raw.find("\"changed\":true"),
                std::string::npos);
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(120));
}

TEST_F(PipelinePass, ACancelledBackupLeavesNoManifest) {
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host host(ctx.get_executor(), env.settings);
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      std::vector<gen::generated_document> docs;
      for (std::uint64_t i = 0; i < tenant.plan().count(gen::collection_kind::resources); ++i) {
        docs.push_back(tenant.generate(gen::collection_kind::resources, i));
      }
      co_await upsert_all(s.client, "Resources", std::move(docs));
      auto created = co_await host.http_api().handle(make_request(
          "PUT", "/api/v1/Backup/create?folderPathForBackup=" + env.roots.string(), R"({"Resources":{"isincluded":true}})"));
      CO_ASSERT_EQ(created.status, 202u);
      const auto id = created.body.substr(1, created.body.size() - 2);
      auto cancelled = co_await host.http_api().handle(make_request("POST", "/api/v1/Backup/cancel"));
      EXPECT_EQ(cancelled.status, 202u);
      co_await host.backups().wait_idle();
      auto doc = co_await host.documents().read_event(id);
      CO_ASSERT_TRUE(doc.has_value());
      const auto e = parse_backup_event(doc->body);
      EXPECT_EQ(e.status, backup_status::canceled);
      EXPECT_TRUE(std::filesystem::exists(e.folder));
      EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(e.folder) / files::manifest_file_name));
      EXPECT_EQ(files::verify_backup_set(e.folder).status, files::set_status::incomplete);
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(60));
}

}  // namespace
}  // namespace idabus::engine
