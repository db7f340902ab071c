// End to end: a tenant from tenant-gen's generator in the real cosmos-emulator (4 partitions), a
// full and then an incremental backup started through the engine's Backup API with the real
// pipeline (engine_host without an injected pass). The chunks are read independently of the
// writer's code (plain ZSTD_decompress, simdjson for id and _ts) and compared byte for byte with
// what the server returns.
#include "tools/idabus-engine/pipeline_pass.hpp"

#include "backup_check.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"

#include <gtest/gtest.h>

#include <set>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;

TEST(PipelineOptions, ComeFromTheBackupSection) {
  backup_settings settings;
  settings.chunk_bytes = 1 << 20;
  settings.chunks_in_flight = 7;
  settings.compression_level = 5;
  settings.page_size = 300;
  const auto o = pipeline_options(settings);
  EXPECT_EQ(o.chunk_bytes, 1u << 20);
  EXPECT_EQ(o.chunks_in_flight, 7u);
  EXPECT_EQ(o.compression_level, 5);
  EXPECT_EQ(o.page_size, 300);
}

TEST(PipelineOptions, AnEmptyBackupSectionGivesThePipelinesOwnDefaults) {
  const auto o = pipeline_options(backup_settings{});
  const stages::backup_options defaults;
  EXPECT_EQ(o.chunk_bytes, defaults.chunk_bytes);
  EXPECT_EQ(o.chunks_in_flight, defaults.chunks_in_flight);
  EXPECT_EQ(o.compression_level, defaults.compression_level);
  EXPECT_EQ(o.page_size, defaults.page_size);
}

struct PipelinePass : ::testing::Test {
  engine_env env{std::vector<std::string>{"--partitions", "4"}};
  // 20,000 documents in CI (about 20 s on the shared 2-core machine); IDABUS_BACKUP_TEST_DOCUMENTS
  // sets another count.
  const gen::tenant_generator tenant{gen::plan_tenant(documents_from_environment("IDABUS_BACKUP_TEST_DOCUMENTS", 20000), 5)};
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
      co_await load_tenant(s.client, tenant);
      co_await let_the_margin_pass(env.settings);

      // ---- full backup ----
      const auto full = co_await back_up(
          host, R"({"Resources":{"isincluded":true},"Events":{"isincluded":true},"WorkflowExecutions":{"isincluded":true}})",
          env.roots);
      EXPECT_EQ(full.status, backup_status::completed) << full.error;
      CO_ASSERT_EQ(full.status, backup_status::completed);
      std::uint64_t documents = 0;
      for (auto kind : all_collections) documents += full[kind].documents;
      EXPECT_GE(documents, tenant.plan().total());
      co_await expect_set_holds_the_server(s.client, full);
      const auto m = files::read_manifest(full.folder);
      EXPECT_EQ(m.source.database, "idabus");
      CO_ASSERT_EQ(m.collections.size(), 3u);
      for (const auto& c : m.collections) EXPECT_GT(c.chunks.size(), 1u) << c.name;
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
      co_await integration::upsert_all(s.client, "idabus", "Resources", std::move(changed));
      const gen::tenant_generator more(gen::plan_tenant(20, 99));  // other seed: new ids
      std::vector<gen::generated_document> added;
      for (std::uint64_t i = 0; i < more.plan().count(gen::collection_kind::resources); ++i) {
        added.push_back(more.generate(gen::collection_kind::resources, i));
        expected.insert(added.back().id);
      }
      co_await integration::upsert_all(s.client, "idabus", "Resources", std::move(added));
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
  }, std::chrono::seconds(120 + tenant.plan().total() / 500));
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
      co_await integration::upsert_all(s.client, "idabus", "Resources", std::move(docs));
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
