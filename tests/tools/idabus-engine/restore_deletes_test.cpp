// End to end (issue 10 item 4): backups through the engine's API with the real pipeline, deletes
// through its API, then importTool --generateRestoreFiles at a backup's completedtime, -exportRaw
// into a fresh database, and --compare (in-process, through import_tool_main) of the restore with
// the source as it was at that time: a deleted document never comes back, a re-created one does.

#include "deletes_check.hpp"
#include "engine_fixture.hpp"
#include "io/files/restore_file.hpp"
#include "io/files/restore_plan.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"
#include "tests/tools/importTool/run_tool.hpp"
#include "tools/importTool/commands.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <iostream>
#include <map>
#include <sstream>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;
namespace fs = std::filesystem;

/// The backup specs (Resources only) of a full and an incremental backup.
const std::string full_backup = R"({"Resources":{"isincluded":true}})";
const std::string incremental_backup = R"({"Resources":{"isincluded":true,"isincremental":true}})";

/// importTool with `args`, in this process (its own io_context), stdout and stderr captured.
import_tool::test::tool_result import_tool(const std::vector<std::string>& args) {
  return import_tool::test::run_in_process(args);
}

struct RestoreWithDeletes : ::testing::Test {
  engine_env env{std::vector<std::string>{"--partitions", "4"}};
  const gen::tenant_generator tenant{gen::plan_tenant(1500, 7)};
  std::vector<gen::generated_document> docs;  ///< the tenant's Resources

  RestoreWithDeletes() {
    env.settings.backup.chunk_bytes = 128 * 1024;
    env.settings.backup.page_size = 100;
    for (std::uint64_t i = 0; i < tenant.plan().count(gen::collection_kind::resources); ++i) {
      docs.push_back(tenant.generate(gen::collection_kind::resources, i));
    }
  }

  /// The tenant's Resources upserted into the source, then the engine's margin waited out: a backup
  /// started after this reads all of them.
  net::awaitable<void> write_the_tenant(cosmos::client& client) {
    auto all = docs;
    co_await integration::upsert_all(client, "idabus", "Resources", std::move(all));
    co_await let_the_margin_pass(env.settings);
  }

  /// generateRestoreFiles of Resources at `t_ms` into <dir>/restore-<database>, then -exportRaw of
  /// those files into <database>.Resources (created). The folder of the restore files.
  fs::path restore_at(std::int64_t t_ms, const std::string& database) {
    const auto out = env.dir.path / ("restore-" + database);
    const auto generated = import_tool(
        {"--generateRestoreFiles", env.roots.string(), out.string(), "Resources", format_iso8601_ms(t_ms)});
    EXPECT_EQ(generated.code, 0) << generated.err;
    const auto exported = import_tool(
        {"-exportRaw", out.string(), env.emu.connection(), database, "Resources", "/objecttype", "--create-collection"});
    EXPECT_EQ(exported.code, 0) << exported.err;
    return out;
  }

  void expect_restore_under_load(std::string spec, bool after_full);

  /// importTool --compare of the restore files in `folder` with <database>.Resources: true when equal.
  bool equal(const fs::path& folder, const std::string& database) {
    const auto r = import_tool({"--compare", folder.string(), env.emu.connection(), database, "Resources", "/objecttype"});
    EXPECT_TRUE(r.code == 0 || r.code == 1) << r.err;
    if (r.code != 0) std::cerr << "--compare " << folder.filename() << " with " << database << ":\n" << r.out << r.err;
    return r.code == 0;
  }
};

/// Every document of the restore files of Resources in `folder`: id -> raw bytes.
std::map<std::string, std::string> restored_documents(const fs::path& folder) {
  std::map<std::string, std::string> out;
  simdjson::dom::parser parser;
  for (const auto& file : files::list_restore_files(folder, "Resources")) {
    files::restore_file_reader reader(file);
    while (auto doc = reader.next()) {
      const simdjson::padded_string padded(*doc);
      out[std::string(parser.parse(padded)["id"].get_string().value())] = std::string(*doc);
    }
  }
  return out;
}

/// The source's Resources now, written as restore files into `folder` (the state at the
/// completedtime of the backup that just finished: nothing writes in between).
net::awaitable<void> snapshot_resources(cosmos::client& client, fs::path folder) {
  cosmos::query_spec all;  // named: GCC 12 and braced temporaries in co_await
  auto source = co_await integration::collect_all(client, "idabus", "Resources", "/objecttype", all);
  fs::create_directories(folder);
  files::restore_file_writer writer(folder, "Resources");
  for (const auto& [id, raw] : source.raw_by_id) writer.add(raw);
  writer.finish();
}

std::int64_t completed_ms(const backup_event& e) { return e[collection_kind::resources].completed_ms.value_or(0); }

std::int64_t ts_of(const std::string& raw) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(raw);
  return parser.parse(padded)["_ts"].get_int64().value();
}

TEST_F(RestoreWithDeletes, NoneOfThe300DeletedIsInARestoreAtTheIncrementalsTimeAndTheRestIsTheSource) {
  ASSERT_GE(docs.size(), 400u);
  std::int64_t t = 0;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host host(ctx.get_executor(), env.settings);
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      co_await write_the_tenant(s.client);
      const auto full = co_await back_up(host, full_backup, env.roots);
      CO_ASSERT_EQ(full.status, backup_status::completed);
      std::vector<api_delete> deleted;
      for (std::size_t i = 0; i < 300; ++i) co_await delete_through_api(host, docs[i], deleted);
      const auto incremental = co_await back_up(host, incremental_backup, env.roots);
      CO_ASSERT_EQ(incremental.status, backup_status::completed);
      t = completed_ms(incremental);
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(120));
  ASSERT_GT(t, 0);

  const auto restored = restore_at(t, "restored");
  const auto documents = restored_documents(restored);
  for (std::size_t i = 0; i < 300; ++i) EXPECT_FALSE(documents.count(docs[i].id)) << docs[i].id << " came back";
  EXPECT_EQ(documents.size(), docs.size() - 300);
  const auto plan = files::read_restore_plan(restored);
  EXPECT_EQ(plan.collections.at(0).deletes_applied, 300u);
  EXPECT_TRUE(equal(restored, "idabus")) << "the restore files differ from the source";
  EXPECT_TRUE(equal(restored, "restored")) << "the imported collection differs from the restore files";
}

TEST_F(RestoreWithDeletes, ADeleteThenRecreateOfTheSameIdRestoresTheRecreatedVersionAlsoWithinOneSecond) {
  std::int64_t t = 0;
  std::map<std::string, std::string> recreated;  // id -> the body written last
  std::size_t same_second = 0;
  fs::path snapshot = env.dir.path / "snapshot";
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    hooked_pipeline hooks(ctx.get_executor(), env.settings);
    engine_host host(ctx.get_executor(), env.settings, hooks.as_pass(), hooks.real.as_finalizer());
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      co_await write_the_tenant(s.client);
      const auto full = co_await back_up(host, full_backup, env.roots);
      CO_ASSERT_EQ(full.status, backup_status::completed);
      std::vector<api_delete> deleted;
      // Delete, then re-create at once: mostly within the same second as the delete.
      auto recreate = [&](std::size_t i, const char* tag) -> net::awaitable<void> {
        co_await delete_through_api(host, docs[i], deleted);
        const std::string doc_body = R"({"recreated":")" + std::string(tag) + R"("})";
        auto stored = co_await put_through_api(host, docs[i], doc_body);
        if (ts_of(stored) == deleted.back().before_ms / 1000 && ts_of(stored) == deleted.back().after_ms / 1000) {
          ++same_second;
        }
        recreated[docs[i].id] = doc_body;
      };
      for (std::size_t i = 0; i < 20; ++i) co_await recreate(i, "between");
      // Re-created in a later second than the delete.
      for (std::size_t i = 20; i < 30; ++i) co_await delete_through_api(host, docs[i], deleted);
      co_await pause(std::chrono::milliseconds(1100));
      for (std::size_t i = 20; i < 30; ++i) {
        const std::string doc_body = R"({"recreated":"later"})";
        co_await put_through_api(host, docs[i], doc_body);
        recreated[docs[i].id] = doc_body;
      }
      // Older than the incremental's deltaSince: those versions are in its basis chunks only.
      co_await let_the_margin_pass(env.settings);
      // And in the incremental's Basis before its read: in its basis and delta chunks.
      hooks.before_basis_read = [&]() -> net::awaitable<void> {
        for (std::size_t i = 30; i < 40; ++i) co_await recreate(i, "during basis");
      };
      const auto incremental = co_await back_up(host, incremental_backup, env.roots);
      CO_ASSERT_EQ(incremental.status, backup_status::completed);
      t = completed_ms(incremental);
      const auto m = files::read_manifest(incremental.folder);
      const auto lines = lines_of(incremental.folder, m.collections.at(0));
      for (std::size_t i = 0; i < 20; ++i) {
        // The case the same-second rule decides: a basis version and a tombstone, no delta version.
        const auto& occurrences = lines.at(docs[i].id);
        EXPECT_EQ(occurrences.size(), 1u) << docs[i].id;
        EXPECT_EQ(occurrences.front().phase, files::chunk_phase::basis) << docs[i].id;
      }
      co_await snapshot_resources(s.client, snapshot);
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(120));
  ASSERT_GT(t, 0);
  EXPECT_GT(same_second, 0u) << "no delete and re-create fell within one second";

  const auto restored = restore_at(t, "restored");
  const auto documents = restored_documents(restored);
  for (const auto& [id, doc_body] : recreated) {
    auto it = documents.find(id);
    if (it == documents.end()) {
      ADD_FAILURE() << id << " was re-created but is not in the restore";
      continue;
    }
    EXPECT_NE(it->second.find(doc_body.substr(1, doc_body.size() - 2)), std::string::npos) << id << ": " << it->second;
  }
  EXPECT_TRUE(equal(snapshot, "restored"));
}

TEST_F(RestoreWithDeletes, AChainRestoredAtEachCompletedTimeGivesTheSourceAtThatTime) {
  std::array<std::int64_t, 3> times{};
  const std::array<fs::path, 3> snapshots{env.dir.path / "snapshot0", env.dir.path / "snapshot1",
                                          env.dir.path / "snapshot2"};
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host host(ctx.get_executor(), env.settings);
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      co_await write_the_tenant(s.client);
      const auto full = co_await back_up(host, full_backup, env.roots);
      CO_ASSERT_EQ(full.status, backup_status::completed);
      times[0] = completed_ms(full);
      co_await snapshot_resources(s.client, snapshots[0]);

      std::vector<api_delete> deleted;
      for (std::size_t i = 0; i < 50; ++i) co_await delete_through_api(host, docs[i], deleted);
      for (std::size_t i = 50; i < 70; ++i) co_await put_through_api(host, docs[i], R"({"changed":1})");
      const auto first = co_await back_up(host, incremental_backup, env.roots);
      CO_ASSERT_EQ(first.status, backup_status::completed);
      times[1] = completed_ms(first);
      co_await snapshot_resources(s.client, snapshots[1]);

      for (std::size_t i = 0; i < 25; ++i) co_await put_through_api(host, docs[i], R"({"recreated":true})");
      for (std::size_t i = 70; i < 80; ++i) co_await delete_through_api(host, docs[i], deleted);
      const auto second = co_await back_up(host, incremental_backup, env.roots);
      CO_ASSERT_EQ(second.status, backup_status::completed);
      times[2] = completed_ms(second);
      co_await snapshot_resources(s.client, snapshots[2]);
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(150));
  ASSERT_GT(times[2], 0);

  for (std::size_t i = 0; i < times.size(); ++i) {
    const auto database = "restored" + std::to_string(i);
    restore_at(times[i], database);
    EXPECT_TRUE(equal(snapshots[i], database)) << "the restore at T" << i << " is not the source at T" << i;
  }
  EXPECT_EQ(restored_documents(env.dir.path / "restore-restored1").size(), docs.size() - 50);
  EXPECT_EQ(restored_documents(env.dir.path / "restore-restored2").size(), docs.size() - 50 + 25 - 10);
}

/// Deletes and re-creates this writer's own documents through the API, round after round (a
/// document deleted in one round is re-created in the next, sometimes at once, within the delete's
/// second), until the first 503 or until the backup is past read-only. Counts its acknowledged
/// operations in `done`.
net::awaitable<void> keep_deleting(engine_host& host, std::vector<gen::generated_document> mine, const bool& started,
                                   std::size_t& done, std::size_t& refused) {
  std::vector<bool> present(mine.size(), true);
  for (std::size_t n = 0;; ++n) {
    const auto phase = host.backups().local_phase();
    if (started && (!phase || *phase == backup_phase::finalizing)) co_return;  // past the consistency point
    const auto i = n % mine.size();
    const auto& doc = mine[i];
    const auto target = "/api/v1/Resources/" + doc.partition_key + "/" + doc.id;
    auto request = present[i] ? make_request("DELETE", target)
                              : make_request("PUT", target, R"({"round":)" + std::to_string(n) + "}");
    auto r = co_await host.http_api().handle(std::move(request));
    if (r.status == 503u) {
      ++refused;
      co_return;
    }
    if (r.status != (present[i] ? 204u : 200u)) throw std::runtime_error(target + ": " + std::to_string(r.status));
    ++done;
    present[i] = !present[i];
    if (!present[i] && n % 3 == 0) --n;  // re-created at once
  }
}

/// Writers delete (and re-create) Resources through the API while a backup runs (`spec`, after a
/// full backup when `after_full`): at least 30 operations before the basis read and 30 after it,
/// then the writers meet read-only (503) and stop; 10 deletes are refused in read-only. The restore
/// at its completedtime equals the source, which nothing changed since.
void RestoreWithDeletes::expect_restore_under_load(std::string spec, bool after_full) {
  // Read-only lasts at least this long (the wait for other processes' caches), so writers meet it.
  env.settings.engine.modes_cache_milliseconds = 500;
  constexpr std::size_t writers = 4;
  std::int64_t t = 0;
  std::size_t refused_in_readonly = 0;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    hooked_pipeline hooks(ctx.get_executor(), env.settings);
    engine_host host(ctx.get_executor(), env.settings, hooks.as_pass(), hooks.real.as_finalizer());
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      co_await write_the_tenant(s.client);
      if (after_full) {
        const auto full = co_await back_up(host, full_backup, env.roots);
        CO_ASSERT_EQ(full.status, backup_status::completed);
      }

      // The writers work on docs[100..]; docs[0..10) are the ones deleted in read-only.
      bool started = false;
      std::size_t done = 0, refused = 0, running = writers;
      std::exception_ptr writer_failure;
      net::steady_timer writers_done(ctx, std::chrono::hours(1));
      for (std::size_t w = 0; w < writers; ++w) {
        std::vector<gen::generated_document> mine;
        for (std::size_t i = 100 + w; i < docs.size(); i += writers) mine.push_back(docs[i]);
        net::co_spawn(ctx, keep_deleting(host, std::move(mine), started, done, refused), [&](std::exception_ptr e) {
          if (e && !writer_failure) writer_failure = e;
          if (--running == 0) writers_done.cancel();
        });
      }
      // The Basis phase waits for writes both before and after its read.
      std::size_t during_basis = 0;
      auto wait_for_writes = [&](std::size_t count) -> net::awaitable<void> {
        const auto from = done;
        while (done < from + count && running > 0) co_await pause(std::chrono::milliseconds(5));
        during_basis += done - from;
      };
      hooks.before_basis_read = [&]() -> net::awaitable<void> { co_await wait_for_writes(30); };
      hooks.after_basis_read = [&]() -> net::awaitable<void> { co_await wait_for_writes(30); };
      hooks.before_delta_read = [&]() -> net::awaitable<void> {
        std::vector<api_delete> none;
        for (std::size_t i = 0; i < 10; ++i) co_await delete_through_api(host, docs[i], none, 503);
        refused_in_readonly += 10;
      };
      backup_event e;
      std::exception_ptr failure;
      try {
        const auto id = co_await create_backup(host, spec, env.roots);
        started = true;
        e = co_await finished_event(host, id);
      } catch (...) {
        failure = std::current_exception();
      }
      started = true;
      // They borrow this frame. (A cancel() before the wait would not end it.)
      if (running > 0) co_await writers_done.async_wait(net::as_tuple(net::use_awaitable));
      if (failure) std::rethrow_exception(failure);
      if (writer_failure) std::rethrow_exception(writer_failure);
      EXPECT_EQ(e.status, backup_status::completed) << e.error;
      CO_ASSERT_EQ(e.status, backup_status::completed);
      EXPECT_GE(during_basis, 60u) << "docs " << docs.size() << " done " << done << " refused " << refused;
      refused_in_readonly += refused;
      t = completed_ms(e);
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(150));
  ASSERT_GT(t, 0);
  EXPECT_GE(refused_in_readonly, 10u);

  // Nothing was written after the consistency point: the source is still as it was then.
  const auto restored = restore_at(t, "restored");
  EXPECT_TRUE(equal(restored, "idabus")) << "the restore files differ from the source at completedtime";
  EXPECT_TRUE(equal(restored, "restored")) << "the imported collection differs from the restore files";
  const auto documents = restored_documents(restored);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_TRUE(documents.count(docs[i].id)) << "refused delete applied: " << docs[i].id;
}

TEST_F(RestoreWithDeletes, DeletesDuringAnIncrementalsBasisAndRefusedInReadOnlyUnderLoadRestoreToTheSourceAtCompletedtime) {
  expect_restore_under_load(incremental_backup, true);
}

TEST_F(RestoreWithDeletes, DeletesDuringAFullBackupsBasisAndRefusedInReadOnlyUnderLoadRestoreToTheSourceAtCompletedtime) {
  expect_restore_under_load(full_backup, false);
}

}  // namespace
}  // namespace idabus::engine
