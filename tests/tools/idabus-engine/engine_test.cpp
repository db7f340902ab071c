#include "tools/idabus-engine/engine.hpp"

#include "backup_check.hpp"
#include "engine_fixture.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"
#include "io/http/client.hpp"
#include "io/http/url.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <fstream>
#include <map>
#include <sstream>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;

std::string config_text(const engine_env& env, std::string_view backup_extra = {}) {
  return R"({"CosmosDb":{"DatabaseName":"idabus"},"Api":{"Urls":"http://127.0.0.1:0"},
    "Backup":{"AllowedRoots":[")" + env.roots.string() + "\"]" + std::string(backup_extra) + "}}";
}

TEST(EngineMain, AConfigErrorExits2NamingTheKeyAndNotTheSecrets) {
  engine_env env;
  const auto file = env.dir.path / "appsettings.json";
  std::ofstream(file) << R"({"CosmosDb":{"ConnectionString":")" << env.emu.connection()
                      << R"("},"Api":{"ApiKeys":["sekrit-key"]},"Backup":{"AllowedRoots":["/b"],"RuBudget":"lots"}})";
  std::ostringstream out, err;
  scripted_pass pass;
  const int code = engine_main({"--config", file.string()}, env.dir.path, out, err, pass.as_pass());
  EXPECT_EQ(code, 2);
  EXPECT_EQ(err.str(), "idabus-engine: Backup.RuBudget: expected a number\n");
  EXPECT_EQ(out.str().find("sekrit-key"), std::string::npos);
  EXPECT_EQ(engine_main({"--bogus"}, env.dir.path, out, err, pass.as_pass()), 2);
}

TEST(EngineMain, AnUnparsableConnectionStringIsAConfigErrorThatDoesNotQuoteIt) {
  engine_env env;
  auto settings = env.settings;
  settings.cosmos.connection_string = "AccountKey=c2VjcmV0;";
  try {
    net::io_context ctx;
    scripted_pass pass;
    engine_host host(ctx.get_executor(), settings, pass.as_pass());
    FAIL() << "accepted";
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()).find("c2VjcmV0"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("CosmosDb.ConnectionString"), std::string::npos);
  }
}

TEST(EngineProgram, ServesTheApiOverHttpAndStopsCleanlyOnSigterm) {
  engine_env env;
  const auto file = env.dir.path / "appsettings.json";
  std::ofstream(file) << config_text(env);
  idabus::test::child_process engine({std::string(IDABUS_BIN_DIR) + "/idabus-engine", "--config", file.string()},
                                    {"IDABUS_COSMOS_CONNECTION_STRING=" + env.emu.connection(),
                                     "IDABUS_API_KEYS=" + test_key});
  const auto url = engine.wait_for_line("listening on ");
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    http::client client(ctx.get_executor(), http::parse_url(url).endpoint());
    auto health = co_await client.request(make_request("GET", "/healthz", {}, std::nullopt));
    EXPECT_EQ(health.status, 200u);
    auto unauthorized = co_await client.request(make_request("GET", "/api/v1/Backup/status", {}, std::nullopt));
    EXPECT_EQ(unauthorized.status, 401u);
    EXPECT_EQ(unauthorized.header("Content-Type"), "application/problem+json");
    auto status = co_await client.request(make_request("GET", "/api/v1/Backup/status"));
    EXPECT_EQ(status.status, 204u);
    auto mode = co_await client.request(make_request("GET", "/api/v1/System/mode"));
    EXPECT_EQ(mode.body, R"({"maintenance":false,"readonly":false})");
    auto big = make_request("PUT", "/api/v1/Resources/Person/p1", std::string(1024 * 1024 + 1, ' '));
    auto too_large = co_await client.request(std::move(big));
    EXPECT_EQ(too_large.status, 413u);
  });
  const int status = engine.terminate(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}


// ---- consistency under load (DESIGN §6) ----

/// One PUT /api/v1/Resources/<type>/<id> a writer made.
struct write_record {
  std::string id;
  int version = 0;
  std::int64_t sent_ms = 0, answered_ms = 0;
  unsigned status = 0;
  bool retry_after = false;
  std::string problem;
  std::string body;  ///< the stored document (2xx)
};

/// Writes new Resources and new versions of its earlier ones through the API until `stop`; after
/// a 503 it waits a little (not the 5 s of Retry-After: the test wants writes in every phase).
net::awaitable<void> keep_writing(engine_host& host, int writer, const bool& stop, std::vector<write_record>& log) {
  static constexpr const char* types[] = {"Person", "Group", "OrganizationalUnit", "Role"};
  std::vector<std::string> ids;
  std::map<std::string, int> versions;
  for (int n = 0; !stop; ++n) {
    std::string id;
    if (n % 3 == 0 || ids.empty()) {
      id = "w" + std::to_string(writer) + "-" + std::to_string(n);
      ids.push_back(id);
    } else {
      id = ids[static_cast<std::size_t>(n) % ids.size()];
    }
    write_record w;
    w.id = id;
    w.version = ++versions[id];
    const std::string type = types[std::hash<std::string>{}(id) % 4];
    w.sent_ms = now_ms();
    auto r = co_await host.http_api().handle(make_request("PUT", "/api/v1/Resources/" + type + "/" + id,
                                                          R"({"name":")" + id + R"(","version":)" +
                                                              std::to_string(w.version) + "}"));
    w.answered_ms = now_ms();
    w.status = r.status;
    w.retry_after = !r.header("Retry-After").empty();
    w.problem = problem_type(r);
    if (r.status / 100 == 2) w.body = std::move(r.body);
    const bool refused = r.status == 503u;
    log.push_back(std::move(w));
    if (refused) co_await pause(std::chrono::milliseconds(20));
  }
}

TEST(EngineBackup, WritesThroughTheApiDuringTheBackupAreInItExactlyUpToTheConsistencyPoint) {
  engine_env env{std::vector<std::string>{"--partitions", "4"}};
  env.settings.backup.chunk_bytes = 256 * 1024;
  env.settings.backup.page_size = 100;
  // Read-only lasts at least this long (the wait for other processes' caches), so writers meet it.
  env.settings.engine.modes_cache_milliseconds = 500;
  const gen::tenant_generator tenant(gen::plan_tenant(3000, 11));
  constexpr int writers = 4;
  std::array<std::vector<write_record>, writers> logs;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host host(ctx.get_executor(), env.settings);  // the real pipeline
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      co_await load_tenant(s.client, tenant);
      co_await let_the_margin_pass(env.settings);
      bool stop = false;
      int running = writers;
      std::exception_ptr writer_failure;
      net::steady_timer writers_done(ctx, std::chrono::hours(1));
      for (int w = 0; w < writers; ++w) {
        net::co_spawn(ctx, keep_writing(host, w, stop, logs[w]), [&](std::exception_ptr e) {
          if (e && !writer_failure) writer_failure = e;
          if (--running == 0) writers_done.cancel();
        });
      }
      backup_event e;
      std::exception_ptr failure;
      try {
        co_await pause(std::chrono::milliseconds(300));
        const auto id = co_await create_backup(
            host, R"({"Resources":{"isincluded":true},"Events":{"isincluded":true},"WorkflowExecutions":{"isincluded":true}})",
            env.roots);
        e = co_await finished_event(host, id);
        co_await pause(std::chrono::milliseconds(500));  // writes after the backup, first made after readonlyEnded
      } catch (...) {
        failure = std::current_exception();
      }
      stop = true;  // the writers borrow this frame: they end before it does
      co_await writers_done.async_wait(net::as_tuple(net::use_awaitable));
      if (failure) std::rethrow_exception(failure);
      if (writer_failure) std::rethrow_exception(writer_failure);

      EXPECT_EQ(e.status, backup_status::completed) << e.error;
      CO_ASSERT_EQ(e.status, backup_status::completed);
      CO_ASSERT_TRUE(e.timings.readonly_started && e.timings.readonly_ended && e.timings.finished);
      const auto readonly_started = *e.timings.readonly_started, readonly_ended = *e.timings.readonly_ended;
      const auto report = files::verify_backup_set(e.folder, files::verify_options{.decompress = true});
      EXPECT_TRUE(report.ok()) << files::to_string(report.status);
      CO_ASSERT_TRUE(report.ok());
      const auto resources = lines_of(e.folder, report.manifest->collections[0]);
      const auto events = lines_of(e.folder, report.manifest->collections[1]);

      // The source at the consistency point: per id the last version acknowledged before readonlyEnded.
      std::map<std::string, const write_record*> expected;
      std::map<std::string, std::size_t> acknowledged_writes;
      std::size_t refused = 0, before_readonly = 0, after_backup = 0;
      for (const auto& log : logs) {
        for (const auto& w : log) {
          if (w.status / 100 != 2) {
            ++refused;
            EXPECT_EQ(w.status, 503u) << w.id;
            EXPECT_TRUE(w.retry_after) << w.id;
            EXPECT_EQ(w.problem, "https://idabus.net/problems/read-only") << w.id;
            EXPECT_GE(w.answered_ms, readonly_started) << w.id << ": refused before the read-only phase";
            EXPECT_LE(w.sent_ms, *e.timings.finished) << w.id << ": refused after the backup";
            continue;
          }
          // No write is acknowledged across the consistency point: in flight at its start means drained before.
          EXPECT_TRUE(w.answered_ms <= readonly_ended || w.sent_ms >= readonly_ended) << w.id;
          if (w.answered_ms > readonly_ended) {
            ++after_backup;
            continue;
          }
          if (w.answered_ms < readonly_started) ++before_readonly;
          expected[w.id] = &w;  // the log is in version order
          ++acknowledged_writes[w.id];
        }
      }
      EXPECT_GT(refused, 0u) << "no write met the read-only phase";
      EXPECT_GT(before_readonly, 0u);
      EXPECT_GT(after_backup, 0u);

      // Resources: per phase each document at most once; the newest version is the acknowledged one.
      std::size_t writer_documents = 0;
      for (const auto& [id, occurrences] : resources) {
        std::size_t basis = 0, delta = 0;
        for (const auto& o : occurrences) (o.phase == files::chunk_phase::basis ? basis : delta)++;
        // A document rewritten while the basis pass reads its range can be met twice by it (pages
        // run in (_ts, write) order, as the change feed does; Cosmos does not promise a query order
        // either); its _ts is then past the delta bound, so the delta pass holds its newest version.
        if (basis > 1) {
          EXPECT_EQ(delta, 1u) << id << ": read " << basis << " times by the basis pass, not by the delta";
        }
        EXPECT_LE(delta, 1u) << id;
        if (id[0] != 'w') continue;  // a tenant document (a uuid)
        ++writer_documents;
        auto it = expected.find(id);
        if (it == expected.end()) {
          ADD_FAILURE() << id << " is in the backup but was first written after the consistency point";
          continue;
        }
        EXPECT_EQ(occurrences.back().raw, it->second->body) << id << ": not the version acknowledged last";
      }
      for (const auto& [id, w] : expected) {
        if (!resources.count(id)) ADD_FAILURE() << id << " (version " << w->version << ", acknowledged) is not in the backup";
      }
      EXPECT_EQ(writer_documents, expected.size());
      EXPECT_EQ(resources.size(), tenant.plan().resources + expected.size());

      // Events: one request event per acknowledged write, each once per phase.
      std::map<std::string, std::size_t> request_events;
      for (const auto& [event_id, occurrences] : events) {
        std::size_t basis = 0, delta = 0;
        for (const auto& o : occurrences) (o.phase == files::chunk_phase::basis ? basis : delta)++;
        EXPECT_LE(basis, 1u) << event_id;
        EXPECT_LE(delta, 1u) << event_id;
        const auto& raw = occurrences.back().raw;
        const auto at = raw.find(R"("target":{"id":")");
        if (raw.find(R"("eventType":"Request")") == std::string::npos || at == std::string::npos) continue;
        const auto start = at + 16;
        auto target = raw.substr(start, raw.find('"', start) - start);
        if (target[0] == 'w') ++request_events[target];  // else the tenant's own history
      }
      EXPECT_EQ(request_events, acknowledged_writes);
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(120));
}

}  // namespace
}  // namespace idabus::engine
