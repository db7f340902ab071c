#include "tools/idabus-engine/deletes.hpp"

#include "deletes_check.hpp"
#include "engine_fixture.hpp"
#include "io/files/tombstones.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"
#include "tools/idabus-engine/documents.hpp"
#include "tools/idabus-engine/store.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;

files::utc_time at_ms(std::int64_t ms) { return files::utc_time(std::chrono::milliseconds(ms)); }

TEST(Deletes, ATombstoneIsTheEventsTargetAndTime) {
  const auto event = request_event("e-1", write_operation::remove, "Person", "u-1", 1700000000123);
  const auto t = tombstone_of_event(event);
  EXPECT_EQ(t.id, "u-1");
  EXPECT_EQ(t.partition_key, io::json::scalar(std::string("Person")));
  EXPECT_EQ(t.deleted_time, at_ms(1700000000123));
  EXPECT_EQ(t.event_id, "e-1");
}

TEST(Deletes, AnEventThatCannotBeRecordedFailsNamingIt) {
  for (const char* bad : {R"({"id":"e-9","target":{"objecttype":"P"},"createdTime":"2026-11-30T01:02:03Z"})",
                          R"({"id":"e-9","target":{"id":"u"},"createdTime":"2026-11-30T01:02:03Z"})",
                          R"({"id":"e-9","target":{"id":"u","objecttype":"P"}})",
                          R"({"id":"e-9","target":{"id":"u","objecttype":"P"},"createdTime":"soon"})"}) {
    try {
      tombstone_of_event(bad);
      ADD_FAILURE() << bad;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("'e-9'"), std::string::npos) << e.what();
    }
  }
}

TEST(Deletes, QuerySelectsDeleteRequestsFromTheInclusiveBound) {
  const auto q = delete_events_query(1700000000);
  EXPECT_NE(q.text.find("c._ts >= @since"), std::string::npos);
  std::map<std::string, std::string> parameters;
  for (const auto& p : q.parameters) parameters[p.name] = p.json_value;
  EXPECT_EQ(parameters["@since"], "1700000000");
  EXPECT_EQ(parameters["@type"], "\"Request\"");
  EXPECT_EQ(parameters["@operation"], "\"Delete\"");
}

std::int64_t ts_of(const std::string& raw) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(raw);
  return parser.parse(padded)["_ts"].get_int64().value();
}

TEST(Deletes, ReadsEveryDeleteEventFromTheBoundOnInOrderAndNothingElse) {
  engine_env env({"--partitions", "4"});
  run_coro(
      [&](net::io_context& ctx) -> net::awaitable<void> {
        integration::session s(ctx, env.settings.cosmos.connection_string);
        store st(s.client, env.settings.cosmos);
        co_await st.ensure_collections();
        // Written out of time order, across partitions (Events is partitioned by /id).
        auto early = co_await st.upsert_event("d-early", request_event("d-early", write_operation::remove, "Person", "u-0", 1000));
        const auto early_ts = ts_of(early.body);
        // The server's _ts has one-second resolution: the next events get a later second.
        co_await pause(std::chrono::milliseconds(1100));
        std::vector<files::tombstone> expected;
        for (int i = 9; i >= 0; --i) {
          const auto id = "d-" + std::to_string(i);
          const auto object = "u-" + std::to_string(i + 1);
          const std::int64_t ms = 5000 + i * 10;
          co_await st.upsert_event(id, request_event(id, write_operation::remove, i % 2 ? "Group" : "Person", object, ms));
          expected.insert(expected.begin(), files::tombstone{object, std::string(i % 2 ? "Group" : "Person"), at_ms(ms), id});
          co_await st.upsert_event("p-" + std::to_string(i),
                                   request_event("p-" + std::to_string(i), write_operation::put, "Person", object, ms));
        }
        co_await st.upsert_event("b-1", R"({"id":"b-1","eventType":"BackupRequest","operation":"Delete"})");
        // The bound is the first of the ten (d-9): writing them may take more than a second (ASan), so the
        // last one's _ts can be later than the first ones'.
        auto later = co_await st.read_event("d-9");
        CO_ASSERT_TRUE(later);
        const auto later_ts = ts_of(later->body);
        CO_ASSERT_TRUE(later_ts > early_ts);

        auto from_later = co_await read_deletes(s.client, "idabus", "Events", later_ts);
        EXPECT_EQ(from_later.tombstones, expected);
        EXPECT_GT(from_later.request_charge, 0);

        auto from_early = co_await read_deletes(s.client, "idabus", "Events", early_ts);  // inclusive
        expected.insert(expected.begin(), files::tombstone{"u-0", std::string("Person"), at_ms(1000), "d-early"});
        EXPECT_EQ(from_early.tombstones, expected);

        auto none = co_await read_deletes(s.client, "idabus", "Events", later_ts + 3600);
        EXPECT_TRUE(none.tombstones.empty());
      },
      std::chrono::seconds(60));
}

// ---- end to end: the engine's backups with the real pipeline against the cosmos-emulator ----

struct DeletesInBackups : ::testing::Test {
  engine_env env{std::vector<std::string>{"--partitions", "4"}};
  const gen::tenant_generator tenant{gen::plan_tenant(2000, 5)};
  DeletesInBackups() {
    env.settings.backup.chunk_bytes = 128 * 1024;
    env.settings.backup.page_size = 100;
  }
};

/// The set's Resources tombstones equal `deletes`: same documents, each one's time within the test's
/// clock around its request, ordered by time, each naming its Delete request event.
net::awaitable<void> expect_tombstones(engine_host& host, const files::collection_manifest& c,
                                       const std::filesystem::path& set_dir, std::vector<api_delete> deletes) {
  EXPECT_TRUE(c.tombstones.has_value()) << c.name;
  CO_ASSERT_TRUE(c.tombstones.has_value());
  EXPECT_EQ(c.tombstones->file, "Resources/tombstones.jsonl.zst");
  files::chunk_decoder decoder;
  const auto got = files::read_tombstones(set_dir, *c.tombstones, decoder);
  std::map<std::string, api_delete> want;
  for (auto& d : deletes) want[d.id] = std::move(d);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto& t = got[i];
    seen.insert(t.id);
    if (i > 0) {
      EXPECT_LE(got[i - 1].deleted_time, t.deleted_time);
    }
    auto it = want.find(t.id);
    if (it == want.end()) {
      ADD_FAILURE() << t.id << " is a tombstone but was not deleted then";
      continue;
    }
    EXPECT_EQ(t.partition_key, io::json::scalar(it->second.objecttype)) << t.id;
    const auto ms = t.deleted_time.time_since_epoch().count();
    EXPECT_GE(ms, it->second.before_ms) << t.id;
    EXPECT_LE(ms, it->second.after_ms) << t.id;
    auto event = co_await host.documents().read_event(t.event_id);
    EXPECT_TRUE(event && event->body.find("\"operation\":\"Delete\"") != std::string::npos) << t.event_id;
  }
  EXPECT_EQ(got.size(), want.size());
  for (const auto& [id, d] : want) EXPECT_TRUE(seen.count(id)) << id << " was deleted but has no tombstone";
}

TEST_F(DeletesInBackups, BackupsRecordTheDeletesMadeThroughTheApiUpToTheConsistencyPoint) {
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    hooked_pipeline hooks(ctx.get_executor(), env.settings);
    auto& before_basis_read = hooks.before_basis_read;
    auto& after_basis_read = hooks.after_basis_read;
    engine_host host(ctx.get_executor(), env.settings, hooks.as_pass(), hooks.real.as_finalizer());
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      const auto resources = gen::collection_kind::resources;
      std::vector<gen::generated_document> docs;
      for (std::uint64_t i = 0; i < tenant.plan().count(resources); ++i) docs.push_back(tenant.generate(resources, i));
      CO_ASSERT_TRUE(docs.size() >= 40u);
      auto all = docs;
      co_await integration::upsert_all(s.client, "idabus", "Resources", std::move(all));
      co_await let_the_margin_pass(env.settings);
      auto in_basis = [&host] { EXPECT_EQ(host.backups().local_phase(), backup_phase::basis); };

      // ---- full backup: 5 documents its basis read are deleted before its consistency point ----
      std::vector<api_delete> during_full;
      after_basis_read = [&]() -> net::awaitable<void> {
        in_basis();
        for (std::size_t i = 0; i < 5; ++i) co_await delete_through_api(host, docs[i], during_full);
        // So that these deletes fall before the next incremental's bound (since - margin).
        co_await let_the_margin_pass(env.settings);
      };
      const auto full = co_await back_up(host, R"({"Resources":{"isincluded":true}})", env.roots);
      EXPECT_EQ(full.status, backup_status::completed) << full.error;
      CO_ASSERT_EQ(full.status, backup_status::completed);
      const auto full_report = files::verify_backup_set(full.folder, files::verify_options{.decompress = true});
      CO_ASSERT_TRUE(full_report.ok());
      const auto& full_resources = full_report.manifest->collections.at(0);
      EXPECT_EQ(full_resources.delta_since,
                files::utc_time(std::chrono::seconds(*full.timings.basis_started / 1000 - env.settings.backup.margin_seconds)));
      EXPECT_TRUE(lines_of(full.folder, full_resources).count(docs[0].id));  // the basis holds it
      co_await expect_tombstones(host, full_resources, full.folder, during_full);

      // ---- between the backups: 20 deletes, 5 updates, and a delete of a deleted document ----
      after_basis_read = nullptr;
      std::vector<api_delete> expected;
      for (std::size_t i = 5; i < 25; ++i) co_await delete_through_api(host, docs[i], expected);
      co_await delete_through_api(host, docs[0], expected, 404);
      for (std::size_t i = 25; i < 30; ++i) {
        auto put = co_await host.http_api().handle(
            make_request("PUT", "/api/v1/Resources/" + docs[i].partition_key + "/" + docs[i].id, R"({"updated":true})"));
        EXPECT_EQ(put.status, 200u) << put.body;
      }
      // Older than the incremental's delta bound (basisStart - margin): only `since` covers them.
      co_await let_the_margin_pass(env.settings);

      // ---- incremental: 5 deletes in Basis before its read, 5 of updated documents after it ----
      before_basis_read = [&]() -> net::awaitable<void> {
        in_basis();
        for (std::size_t i = 30; i < 35; ++i) co_await delete_through_api(host, docs[i], expected);
      };
      after_basis_read = [&]() -> net::awaitable<void> {
        in_basis();
        for (std::size_t i = 25; i < 30; ++i) co_await delete_through_api(host, docs[i], expected);
      };
      const auto incremental =
          co_await back_up(host, R"({"Resources":{"isincluded":true,"isincremental":true}})", env.roots);
      EXPECT_EQ(incremental.status, backup_status::completed) << incremental.error;
      CO_ASSERT_EQ(incremental.status, backup_status::completed);
      const auto report = files::verify_backup_set(incremental.folder, files::verify_options{.decompress = true});
      CO_ASSERT_TRUE(report.ok());
      const auto& c = report.manifest->collections.at(0);
      EXPECT_EQ(c.type, files::backup_type::incremental);
      const auto lines = lines_of(incremental.folder, c);
      for (std::size_t i = 25; i < 30; ++i) {
        // The basis read them before they were deleted: only the tombstone says they are gone.
        EXPECT_TRUE(lines.count(docs[i].id)) << docs[i].id;
      }
      EXPECT_EQ(expected.size(), 30u);
      co_await expect_tombstones(host, c, incremental.folder, expected);
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(120));
}

}  // namespace
}  // namespace idabus::engine
