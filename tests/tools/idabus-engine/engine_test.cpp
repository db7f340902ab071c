#include "tools/idabus-engine/engine.hpp"

#include "backup_check.hpp"
#include "engine_fixture.hpp"
#include "support/child_process.hpp"
#include "support/co_assert.hpp"
#include "support/raw_http.hpp"
#include "support/run_coro.hpp"
#include "io/http/client.hpp"
#include "io/http/url.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;

std::string config_text(const engine_env& env, std::string_view backup_extra = {}, std::string_view top_extra = {}) {
  return R"({"CosmosDb":{"DatabaseName":"idabus"},"Api":{"Urls":"http://127.0.0.1:0"},
    "Backup":{"AllowedRoots":[")" + env.roots.string() + "\"]" + std::string(backup_extra) + "}" +
         std::string(top_extra) + "}";
}

/// `launcher` followed by the idabus-engine program and its arguments.
std::vector<std::string> engine_command(std::vector<std::string> launcher, const std::filesystem::path& config_file) {
  launcher.insert(launcher.end(), {idabus::test::program_path("idabus-engine"), "--config", config_file.string()});
  return launcher;
}

/// An idabus-engine process (secrets from the environment) on the emulator of `env`, started
/// through `launcher` when one is given (e.g. prlimit and its arguments).
struct engine_process {
  engine_process(const engine_env& env, const std::filesystem::path& config_file, std::vector<std::string> launcher = {})
      : process(engine_command(std::move(launcher), config_file),
                {"IDABUS_COSMOS_CONNECTION_STRING=" + env.emu.connection(), "IDABUS_API_KEYS=" + test_key}),
        url(process.wait_for_line("listening on ")) {}
  idabus::test::child_process process;
  std::string url;
};

/// One request to an engine process on a fresh connection.
net::awaitable<http::response> call(std::string url, http::request request) {
  // Named options: GCC 12 corrupts a default `{}` argument evaluated inside a coroutine.
  const auto executor = co_await net::this_coro::executor;
  http::client_options options;
  http::client client(executor, http::parse_url(url).endpoint(), options);
  co_return co_await client.request(std::move(request));
}

/// GET status until it answers `phase` (the run_coro deadline bounds the wait).
net::awaitable<void> wait_for_phase(std::string url, std::string phase) {
  for (;;) {
    auto status = co_await call(url, make_request("GET", "/api/v1/Backup/status"));
    if (status.status == 200u && status.body == phase) co_return;
    if (status.status == 204u) throw std::runtime_error("the backup ended before " + phase);
    co_await pause(std::chrono::milliseconds(50));
  }
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
  idabus::test::child_process engine({idabus::test::program_path("idabus-engine"), "--config", file.string()},
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

/// A document of a backup set (by id) is read at most once by each pass. One rewritten while the
/// basis pass reads its range can be met twice by it (pages run in (_ts, write) order, as the
/// change feed does; Cosmos does not promise a query order either); its _ts is then past the
/// delta bound, so the delta pass holds its newest version.
void expect_once_per_phase(const std::string& id, std::size_t basis, std::size_t delta) {
  if (basis > 1) {
    EXPECT_EQ(delta, 1u) << id << ": read " << basis << " times by the basis pass, not by the delta";
  }
  EXPECT_LE(delta, 1u) << id;
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
        expect_once_per_phase(id, basis, delta);
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
        // The backup's own event (its progress) and its lease are rewritten in Events while the
        // basis pass reads them (orchestrator::keep_alive).
        expect_once_per_phase(event_id, basis, delta);
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

// ---- a real backup in an engine process stopped by SIGTERM or SIGKILL (DESIGN §6) ----

struct EngineProcessBackup : ::testing::Test {
  engine_env env{std::vector<std::string>{"--partitions", "4"}};
  const gen::tenant_generator tenant{gen::plan_tenant(1000, 21)};
  std::filesystem::path config_file = env.dir.path / "appsettings.json";
  const std::string everything =
      R"({"Resources":{"isincluded":true},"Events":{"isincluded":true},"WorkflowExecutions":{"isincluded":true}})";
  const std::string modes_before = R"({"maintenance":true,"readonly":false})";

  EngineProcessBackup() {
    // A job cap of 300 RU/s makes each pass last seconds; a margin of an hour makes the delta
    // pass re-read the whole tenant, so the read-only phase lasts as long as Basis. Modes are
    // not cached: the other engine process sees each change at once.
    std::ofstream(config_file) << config_text(
        env, R"(,"RuBudget":300,"MarginSeconds":3600,"LeaseSeconds":30,"PageSize":50,"ChunkBytes":262144)",
        R"(,"Engine":{"ModesCacheMilliseconds":0})");
  }

  /// Loads the tenant, sets the modes to modes_before and starts a backup on `url`; waits until it
  /// is in the read-only phase. The backup's event id.
  std::string start_and_reach_readonly(const std::string& url) {
    std::string id;
    run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      co_await load_tenant(s.client, tenant);
      auto mode = co_await call(url, make_request("PUT", "/api/v1/System/mode", modes_before));
      EXPECT_EQ(mode.status, 200u);
      auto created = co_await call(
          url, make_request("PUT", "/api/v1/Backup/create?folderPathForBackup=" + env.roots.string(), everything));
      CO_ASSERT_EQ(created.status, 202u);
      id = created.body.substr(1, created.body.size() - 2);
      co_await wait_for_phase(url, "InMaintenanceAndReadonlyMode");
      auto readonly = co_await call(url, make_request("GET", "/api/v1/System/mode"));
      EXPECT_EQ(readonly.body, R"({"maintenance":true,"readonly":true})");
    }, std::chrono::seconds(60));
    return id;
  }

  /// What `url` (another or a restarted engine) reports after the backup's process went away: the
  /// event's final state, the modes from before the backup, no backup running, a free lease (a
  /// new backup starts, and is cancelled), and a folder without manifest.
  backup_event expect_cleaned_up(const std::string& url, const std::string& id) {
    backup_event e;
    run_coro([&](net::io_context&) -> net::awaitable<void> {
      auto event = co_await call(url, make_request("GET", "/api/v1/Events/" + id));
      CO_ASSERT_EQ(event.status, 200u);
      e = parse_backup_event(event.body);
      auto mode = co_await call(url, make_request("GET", "/api/v1/System/mode"));
      EXPECT_EQ(mode.body, modes_before);
      auto status = co_await call(url, make_request("GET", "/api/v1/Backup/status"));
      EXPECT_EQ(status.status, 204u);
      auto again = co_await call(
          url, make_request("PUT", "/api/v1/Backup/create?folderPathForBackup=" + env.roots.string(), everything));
      EXPECT_EQ(again.status, 202u) << again.body;
      if (again.status == 202u) {
        auto cancel = co_await call(url, make_request("POST", "/api/v1/Backup/cancel"));
        EXPECT_EQ(cancel.status, 202u);
        for (;;) {
          auto s = co_await call(url, make_request("GET", "/api/v1/Backup/status"));
          if (s.status == 204u) break;
          co_await pause(std::chrono::milliseconds(50));
        }
      }
    }, std::chrono::seconds(60));
    EXPECT_FALSE(e.folder.empty());
    EXPECT_TRUE(std::filesystem::exists(e.folder));
    EXPECT_EQ(files::verify_backup_set(e.folder).status, files::set_status::incomplete);
    return e;
  }
};

TEST_F(EngineProcessBackup, SigtermInTheReadOnlyPhaseRestoresTheModesCancelsTheEventAndFreesTheLease) {
  engine_process a(env, config_file);
  engine_process b(env, config_file);
  const auto id = start_and_reach_readonly(a.url);
  run_coro([&](net::io_context&) -> net::awaitable<void> {
    // The other process sees the backup and cannot cancel it: only its owner can.
    auto status = co_await call(b.url, make_request("GET", "/api/v1/Backup/status"));
    EXPECT_EQ(status.body, "InMaintenanceAndReadonlyMode");
    auto cancel = co_await call(b.url, make_request("POST", "/api/v1/Backup/cancel"));
    EXPECT_EQ(cancel.status, 409u);
    EXPECT_EQ(problem_type(cancel), "https://idabus.net/problems/backup-elsewhere");
    auto create = co_await call(
        b.url, make_request("PUT", "/api/v1/Backup/create?folderPathForBackup=" + env.roots.string(), everything));
    EXPECT_EQ(create.status, 409u);
  });
  const int exit_status = a.process.terminate(SIGTERM, std::chrono::seconds(30));
  EXPECT_TRUE(WIFEXITED(exit_status));
  EXPECT_EQ(WEXITSTATUS(exit_status), 0);
  const auto e = expect_cleaned_up(b.url, id);
  EXPECT_EQ(e.status, backup_status::canceled);
  EXPECT_EQ(e.phase, backup_phase::readonly);
}

TEST_F(EngineProcessBackup, AfterSigkillInTheReadOnlyPhaseTheNextStartFailsTheEventRestoresTheModesAndFreesTheLease) {
  std::string id;
  {
    engine_process a(env, config_file);
    id = start_and_reach_readonly(a.url);
    a.process.terminate(SIGKILL);
  }
  engine_process restarted(env, config_file);  // recovers during its start, before it listens
  const auto e = expect_cleaned_up(restarted.url, id);
  EXPECT_EQ(e.status, backup_status::failed);
  EXPECT_NE(e.error.find("stopped before it finished"), std::string::npos) << e.error;
}

// ---- out of file descriptors (issue 8: hostile clients) ----

/// The descriptors process `pid` has open now.
std::size_t open_descriptors(pid_t pid) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) ++n;
  return n;
}

/// The CPU time (user + system) process `pid` has used so far.
std::chrono::milliseconds cpu_time(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start with the state, field 3;
  // utime and stime are fields 14 and 15, in clock ticks.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stol(field);
  }
  return std::chrono::milliseconds(ticks * 1000 / ::sysconf(_SC_CLK_TCK));
}

/// The backup event `id` once it is no longer Running, read from the database, not the engine.
net::awaitable<backup_event> final_event_in_the_database(io::cosmos::client& client, std::string id) {
  for (;;) {
    // A named key, not a braced one in the co_await operand (GCC 12 coroutine bug).
    std::vector<io::cosmos::pk_component> key{io::cosmos::pk_component(id)};
    auto doc = co_await client.read_document("idabus", "Events", id, std::move(key));
    if (!doc) throw std::runtime_error("no event " + id);
    auto e = parse_backup_event(doc->body);
    if (e.status != backup_status::running) co_return e;
    co_await pause(std::chrono::milliseconds(100));
  }
}

// Clients take every connection they can get while a backup runs in an engine whose descriptor
// limit is low (160, soft and hard, set by prlimit before it starts): the engine lowers its
// connection cap to leave the backup the descriptors it needs (descriptors.hpp), answers the
// connections over the cap 503, and the backup completes while the others are held.
TEST_F(EngineProcessBackup, ClientsHoldingEveryConnectionTheyCanGetLeaveARunningBackupItsDescriptors) {
  namespace raw = idabus::test::raw_http;
  engine_process a(env, config_file, {"prlimit", "--nofile=160:160", "--"});
  const auto id = start_and_reach_readonly(a.url);
  const auto port = static_cast<std::uint16_t>(std::stoi(a.url.substr(a.url.rfind(':') + 1)));
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    integration::session s(ctx, env.emu.connection());
    constexpr std::size_t clients = 150;
    std::vector<raw::beast::tcp_stream> held;
    for (std::size_t i = 0; i < clients; ++i) {
      held.push_back(co_await raw::connect(port));
      auto health = raw::make_raw_request("GET", "/healthz");
      co_await raw::bhttp::async_write(held.back(), health, raw::use_tuple);
    }
    std::size_t served = 0, shed = 0;
    // Generous for a loaded machine; once one client goes unanswered, short for the rest.
    std::chrono::milliseconds limit = std::chrono::seconds(10);
    for (auto& stream : held) {
      auto res = co_await raw::read_response(stream, limit);
      if (!res) limit = std::chrono::seconds(1);
      if (res && res->result_int() == 200u) ++served;
      if (res && res->result_int() == 503u) ++shed;
    }
    // Unanswered means stuck in the listen backlog: the engine had run out of descriptors.
    EXPECT_EQ(served + shed, clients) << served << " served, " << shed << " shed";
    EXPECT_GT(shed, 0u) << "more clients than the lowered cap";
    // The served clients keep their connections while the backup runs to its end.
    const auto e = co_await final_event_in_the_database(s.client, id);
    EXPECT_EQ(e.status, backup_status::completed) << e.error;
    held.clear();
    // The engine sees the 150 connections close when it next reads them: until then the cap may
    // still be full and it answers 503 (a loaded machine, under ASan). Bounded: 10 s.
    auto mode = co_await call(a.url, make_request("GET", "/api/v1/System/mode"));
    for (int tries = 0; mode.status == 503u && tries < 100; ++tries) {
      co_await pause(std::chrono::milliseconds(100));
      mode = co_await call(a.url, make_request("GET", "/api/v1/System/mode"));
    }
    EXPECT_EQ(mode.status, 200u);
    EXPECT_EQ(mode.body, modes_before);
    EXPECT_TRUE(files::verify_backup_set(e.folder).ok());
  }, std::chrono::seconds(90));
}

// The engine process runs out of descriptors in the read-only phase: its soft RLIMIT_NOFILE is
// lowered (prlimit) to what it holds plus a few, and clients take those few and queue more in the
// listen backlog, so every accept, chunk file and new connection fails with EMFILE. An operator
// then wants the backup to fail saying why and the system writable again as it was (the modes
// are restored over the Cosmos connections the engine already holds), the engine not to burn a
// core retrying accept, and everything to work again once descriptors free up.
TEST_F(EngineProcessBackup, OutOfDescriptorsTheBackupFailsSayingWhyRestoresTheModesAndTheEngineServesAgain) {
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizer build is ASan+UBSan (IDABUS_SANITIZE). UBSan's vptr check validates a type it
  // has not seen yet by writing its vtable to a pipe (compiler-rt's IsAccessibleMemoryRange); the
  // engine's failure paths construct such types (boost::system::system_error first) with no
  // descriptor left, so it reports a false "invalid vptr" and dies, and a suppressions file does
  // not stop that report (tried: `vptr:*`, `vptr_check:*`). See README, Building by hand.
  GTEST_SKIP() << "an engine built with UBSan cannot run out of descriptors";
#endif
  namespace raw = idabus::test::raw_http;
  engine_process a(env, config_file);
  const auto id = start_and_reach_readonly(a.url);
  const pid_t pid = a.process.pid();
  const auto port = static_cast<std::uint16_t>(std::stoi(a.url.substr(a.url.rfind(':') + 1)));
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    integration::session s(ctx, env.emu.connection());
    rlimit saved{};
    const int read_limit = ::prlimit(pid, RLIMIT_NOFILE, nullptr, &saved);
    CO_ASSERT_EQ(read_limit, 0);
    rlimit lowered = saved;
    lowered.rlim_cur = open_descriptors(pid) + 8;
    const int lower = ::prlimit(pid, RLIMIT_NOFILE, &lowered, nullptr);
    CO_ASSERT_EQ(lower, 0);
    std::vector<raw::beast::tcp_stream> held;
    for (int i = 0; i < 32; ++i) held.push_back(co_await raw::connect(port));

    // The backup's next chunk file or connection fails; it ends while the table is still full
    // (read from the emulator: the engine accepts no connection now).
    const auto e = co_await final_event_in_the_database(s.client, id);
    EXPECT_EQ(e.status, backup_status::failed);
    EXPECT_NE(e.error.find("Too many open files"), std::string::npos) << e.error;
    EXPECT_EQ(e.error.find("restoring the system modes failed"), std::string::npos) << e.error;

    // Connections still wait in the backlog: accept keeps failing. Pauses between attempts (10 ms
    // doubling to 100 ms) cost next to nothing; retrying at once keeps a core busy.
    const auto cpu_before = cpu_time(pid);
    const auto wall_before = std::chrono::steady_clock::now();
    co_await pause(std::chrono::seconds(1));
    const auto cpu = cpu_time(pid) - cpu_before;
    const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - wall_before);
    EXPECT_GE(open_descriptors(pid), lowered.rlim_cur) << "the engine was not out of descriptors";
    EXPECT_LT(cpu, wall / 4) << "accept backs off instead of spinning";

    held.clear();
    const int restore = ::prlimit(pid, RLIMIT_NOFILE, &saved, nullptr);
    EXPECT_EQ(restore, 0);
    auto health = co_await call(a.url, make_request("GET", "/healthz", {}, std::nullopt));
    EXPECT_EQ(health.status, 200u);
  }, std::chrono::seconds(60));
  // Modes as before the backup, no backup running, a new one starts (the lease is free).
  const auto e = expect_cleaned_up(a.url, id);
  EXPECT_EQ(e.status, backup_status::failed);
}

// ---- throttling and faults (DESIGN §9) ----

/// Raises every collection's offer for a quick load of `tenant`, then puts `ru_per_second` back.
net::awaitable<void> load_at_full_speed(cosmos::client& client, const gen::tenant_generator& tenant, int ru_per_second) {
  for (auto kind : gen::all_collections) co_await client.replace_throughput("idabus", std::string(gen::collection_name(kind)), 100'000);
  co_await load_tenant(client, tenant);
  for (auto kind : gen::all_collections) co_await client.replace_throughput("idabus", std::string(gen::collection_name(kind)), ru_per_second);
}

// The resets also hit the engine's own writes: the event and modes upserts are resent by the
// client; the lease's create and If-Match replaces are not, and the lease reads itself back to
// learn whether they landed (lease.hpp). Without that, a backup failed in about one run of two.
TEST(EngineBackup, CompletesWithEveryDocumentAtAThousandRuPerSecondWithServerFaults) {
  engine_env env{std::vector<std::string>{"--partitions", "4", "--ru-per-second", "1000", "--fault-503", "0.02",
                                          "--fault-reset", "0.01", "--seed", "8"}};
  env.settings.backup.chunk_bytes = 256 * 1024;
  env.settings.backup.page_size = 100;
  env.settings.backup.ru_budget = 0;  // only the offer (and the server's 429s) pace the job
  const gen::tenant_generator tenant(gen::plan_tenant(2000, 31));
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host host(ctx.get_executor(), env.settings);
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      co_await load_at_full_speed(s.client, tenant, 1000);
      co_await let_the_margin_pass(env.settings);
      const auto e = co_await back_up(
          host, R"({"Resources":{"isincluded":true},"Events":{"isincluded":true},"WorkflowExecutions":{"isincluded":true}})",
          env.roots);
      EXPECT_EQ(e.status, backup_status::completed) << e.error;
      CO_ASSERT_EQ(e.status, backup_status::completed);
      co_await expect_set_holds_the_server(s.client, e);
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(120));
}

// ---- live progress and the 429 count (DESIGN §5) ----

TEST(EngineBackup, ProgressMovesDuringBasisAndIsWrittenAtMostEveryTwoSeconds) {
  engine_env env{std::vector<std::string>{"--partitions", "4"}};
  env.settings.backup.page_size = 50;
  env.settings.backup.ru_budget = 200;  // Basis lasts several seconds
  env.settings.backup.progress_seconds = 2;
  const gen::tenant_generator tenant(gen::plan_tenant(1500, 41));
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host host(ctx.get_executor(), env.settings);
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      co_await load_tenant(s.client, tenant);
      const auto id = co_await create_backup(host, R"({"Resources":{"isincluded":true}})", env.roots);
      // Every change of the event's progress seen while it is in Basis, and when it was first seen.
      std::vector<std::pair<std::uint64_t, std::chrono::steady_clock::time_point>> seen;
      for (;;) {
        auto doc = co_await host.http_api().handle(make_request("GET", "/api/v1/Events/" + id));
        const auto e = parse_backup_event(doc.body);
        if (e.phase != backup_phase::basis || e.status != backup_status::running) break;
        if (e.progress_documents > 0 && (seen.empty() || seen.back().first != e.progress_documents)) {
          seen.emplace_back(e.progress_documents, std::chrono::steady_clock::now());
        }
        co_await pause(std::chrono::milliseconds(50));
      }
      const auto e = co_await finished_event(host, id);
      EXPECT_EQ(e.status, backup_status::completed) << e.error;
      EXPECT_GE(seen.size(), 2u) << "the progress did not move during Basis";
      for (std::size_t i = 1; i < seen.size(); ++i) {
        EXPECT_GT(seen[i].first, seen[i - 1].first);
        // Written at most every 2 s; seen up to one poll (plus a request) after each write.
        EXPECT_GE(seen[i].second - seen[i - 1].second, std::chrono::milliseconds(1500));
      }
      if (!seen.empty()) {
        EXPECT_LT(seen.back().first, e[collection_kind::resources].documents);
      }
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(120));
}

TEST(EngineBackup, MetricsCountTheRequestsAnswered429) {
  engine_env env{std::vector<std::string>{"--partitions", "4", "--fault-429", "0.2", "--seed", "3"}};
  env.settings.backup.page_size = 50;
  const gen::tenant_generator tenant(gen::plan_tenant(600, 51));
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host host(ctx.get_executor(), env.settings);
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      co_await load_tenant(s.client, tenant);
      const auto e = co_await back_up(host, R"({"Resources":{"isincluded":true},"Events":{"isincluded":true}})", env.roots);
      EXPECT_EQ(e.status, backup_status::completed) << e.error;
      auto metrics = co_await host.http_api().handle(make_request("GET", "/metrics", {}, std::nullopt));
      const std::string name = "\nidabus_backup_throttled_requests_total ";
      const auto at = metrics.body.find(name);
      CO_ASSERT_TRUE(at != std::string::npos);
      // About a fifth of some 60 page requests; at least one is all the test needs to be sure of.
      EXPECT_GT(std::stoull(metrics.body.substr(at + name.size())), 0u) << metrics.body;
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(120));
}

// ---- hostile clients against the engine's API server (DESIGN §5; io/http/server caps) ----

TEST(EngineServer, HostileClientsMeetTheCapsWhileHealthzAndARunningBackupKeepWorking) {
  namespace raw = idabus::test::raw_http;
  engine_env env;
  env.settings.api.max_connections = 200;
  env.settings.api.header_timeout_milliseconds = 300;
  env.settings.api.body_timeout_milliseconds = 300;
  scripted_pass pass;
  pass.hold_basis = true;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host host(ctx.get_executor(), env.settings, pass.as_pass());
    pass.host = &host;
    auto server = make_api_server(ctx.get_executor(), host);
    bool server_ended = false;
    net::co_spawn(ctx, server->run(), [&](std::exception_ptr) { server_ended = true; });
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      const auto port = server->port();
      auto authorized = [](raw::bhttp::request<raw::bhttp::string_body> r) {
        r.set("Authorization", "Bearer " + test_key);
        return r;
      };
      auto control = co_await raw::connect(port);
      auto create = authorized(raw::make_raw_request(
          "PUT", "/api/v1/Backup/create?folderPathForBackup=" + env.roots.string(), R"({"Events":{"isincluded":true}})"));
      auto created = co_await raw::exchange(control, create);
      CO_ASSERT_EQ(created.result_int(), 202u);
      const auto peak_before = server->stats().body_bytes_buffered_peak;  // the create's body

      // 150 clients without a key each announce a 1 MiB body, send 64 KiB of it and hold on:
      // each is answered 401 from its head; no byte of their bodies is buffered.
      constexpr std::size_t attackers = 150;
      const std::string head = "PUT /api/v1/Resources/Person/p1 HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                               std::to_string(env.settings.api.body_limit) + "\r\n\r\n";
      const std::string part(64 * 1024, 'x');
      std::vector<raw::beast::tcp_stream> held;
      held.reserve(attackers);
      for (std::size_t i = 0; i < attackers; ++i) {
        held.push_back(co_await raw::connect(port));
        co_await raw::send_text(held.back(), head + part);
      }
      std::size_t refused = 0;
      for (auto& stream : held) {
        auto res = co_await raw::read_response(stream);
        if (res && res->result_int() == 401) ++refused;
      }
      EXPECT_EQ(refused, attackers) << "each is answered from its head alone";
      // With a key, a body over Api's 1 MiB limit is refused from its head too.
      auto big = co_await raw::connect(port);
      co_await raw::send_text(big, "PUT /api/v1/Resources/Person/p1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                       test_key + "\r\nContent-Length: " +
                                       std::to_string(env.settings.api.body_limit + 1) + "\r\n\r\n" + part);
      auto too_large = co_await raw::read_response(big);
      CO_ASSERT_TRUE(too_large.has_value());
      EXPECT_EQ(too_large->result_int(), 413u);
      EXPECT_EQ(server->stats().body_bytes_buffered_peak, peak_before) << "no refused body was read";

      // Slowloris: a head trickled in one byte every 20 ms is closed after the head timeout.
      auto slow = co_await raw::connect(port);
      bool closed = false;
      net::co_spawn(ctx, raw::watch_for_close(slow, closed), net::detached);
      co_await raw::send_text(slow, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
      for (int i = 0; i < 150 && !closed; ++i) {
        co_await raw::send_text(slow, "a");
        co_await pause(std::chrono::milliseconds(20));
      }
      EXPECT_TRUE(closed) << "the trickled head was closed";
      EXPECT_GE(server->stats().timeouts, 1u);

      // Connections beyond Api.MaxConnections are answered 503 with Retry-After at once.
      std::vector<raw::beast::tcp_stream> idle;
      idle.push_back(std::move(control));
      while (server->stats().connections < env.settings.api.max_connections) {
        idle.push_back(co_await raw::connect(port));
        co_await pause(std::chrono::milliseconds(1));
      }
      auto extra = co_await raw::connect(port);
      auto health_at_cap = raw::make_raw_request("GET", "/healthz");
      co_await raw::bhttp::async_write(extra, health_at_cap, raw::use_tuple);
      auto shed = co_await raw::read_response(extra);
      CO_ASSERT_TRUE(shed.has_value());
      EXPECT_EQ(shed->result_int(), 503u);
      EXPECT_FALSE((*shed)["Retry-After"].empty());
      idle.clear();

      // Through all of it the engine serves /healthz, and the backup runs on and completes.
      for (;;) {
        if (server->stats().connections < env.settings.api.max_connections) break;
        co_await pause(std::chrono::milliseconds(10));
      }
      auto probe = co_await raw::connect(port);
      auto health = raw::make_raw_request("GET", "/healthz");
      auto healthy = co_await raw::exchange(probe, health);
      EXPECT_EQ(healthy.result_int(), 200u);
      auto status_request = authorized(raw::make_raw_request("GET", "/api/v1/Backup/status"));
      auto status = co_await raw::exchange(probe, status_request);
      EXPECT_EQ(status.body(), "Basis");
      pass.release();
      co_await host.backups().wait_idle();
      const auto id = created.body().substr(1, created.body().size() - 2);
      auto doc = co_await host.documents().read_event(id);
      CO_ASSERT_TRUE(doc.has_value());
      EXPECT_EQ(parse_backup_event(doc->body).status, backup_status::completed);
    };
    co_await with_host(host, std::move(body));
    server->shutdown();
    while (!server_ended) co_await pause(std::chrono::milliseconds(10));
  }, std::chrono::seconds(60));
}

}  // namespace
}  // namespace idabus::engine
