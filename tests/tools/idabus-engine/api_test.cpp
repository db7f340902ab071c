#include "tools/idabus-engine/api.hpp"

#include "engine_fixture.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;

const std::string events_only = R"({"Events":{"isincluded":true}})";

struct Api : ::testing::Test {
  engine_env env;

  std::string create_target(const std::filesystem::path& folder) {
    return "/api/v1/Backup/create?folderPathForBackup=" + folder.string() + "&comment=test";
  }

  /// Runs `body` on a started host whose backups use `pass`.
  void run(scripted_pass& pass, std::function<net::awaitable<void>(engine_host&)> body) {
    run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
      engine_host host(ctx.get_executor(), env.settings, pass.as_pass());
      pass.host = &host;
      std::function<net::awaitable<void>()> inner = [&]() { return body(host); };
      co_await with_host(host, std::move(inner));
    }, std::chrono::seconds(60));
  }
};

net::awaitable<std::size_t> count_events(engine_host& host) {
  io::cosmos::query_spec q;
  q.text = "SELECT * FROM c";
  auto docs = co_await host.documents().query_events(std::move(q));
  co_return docs.size();
}

struct bad_case {
  const char* name;
  std::string target;
  std::string body;
  unsigned status;
  std::string type;
  std::string detail_contains;
};

TEST_F(Api, EveryBadBackupRequestIsAProblemAndWritesNothing) {
  std::filesystem::create_directories(env.dir.path / "elsewhere");
  std::filesystem::create_directory_symlink(env.dir.path / "elsewhere", env.roots / "link");
  const auto base = "https://idabus.net/problems/";
  const std::vector<bad_case> cases{
      {"malformed JSON", create_target(env.roots), "{\"Events\":", 400, "bad-request", "not valid JSON"},
      {"body not an object", create_target(env.roots), "[1,2]", 400, "bad-request", "expected a JSON object"},
      {"unknown collection", create_target(env.roots), R"({"Users":{"isincluded":true}})", 400, "bad-request",
       "unknown collection 'Users'"},
      {"non-boolean isincluded", create_target(env.roots), R"({"Events":{"isincluded":"true"}})", 400, "bad-request",
       "Events.isincluded: expected true or false"},
      {"unparsable date", create_target(env.roots),
       R"({"Events":{"isincluded":true,"isincremental":true,"previouscompletedtime":"soon"}})", 400, "bad-request",
       "previouscompletedtime"},
      {"nothing included", create_target(env.roots), R"({"Events":{"isincluded":false}})", 400, "bad-request",
       "no collection is included"},
      {"missing folder", "/api/v1/Backup/create?comment=x", events_only, 400, "bad-request", "folderPathForBackup: required"},
      {"relative folder", "/api/v1/Backup/create?folderPathForBackup=backups/x", events_only, 400, "bad-request",
       "absolute path"},
      {"dot-dot escape", create_target(env.roots / ".." / "elsewhere"), events_only, 403, "folder-not-allowed",
       "outside Backup.AllowedRoots"},
      {"symlink escape", create_target(env.roots / "link" / "x"), events_only, 403, "folder-not-allowed",
       "outside Backup.AllowedRoots"},
      {"outside the allow-list", create_target("/tmp"), events_only, 403, "folder-not-allowed",
       "outside Backup.AllowedRoots"},
      {"body over 1 MiB", create_target(env.roots), std::string(1024 * 1024 + 1, ' '), 413, "payload-too-large",
       "limited to 1048576 bytes"},
  };
  scripted_pass pass;
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    for (const auto& c : cases) {
      auto request = make_request("PUT", c.target, c.body);
      auto r = co_await host.http_api().handle(std::move(request));
      EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
      EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << c.name;
      EXPECT_EQ(problem_type(r), base + c.type) << c.name;
      EXPECT_NE(r.body.find(c.detail_contains), std::string::npos) << c.name << ": " << r.body;
    }
    EXPECT_EQ(co_await count_events(host), 0u);
    EXPECT_TRUE(std::filesystem::is_empty(env.dir.path / "elsewhere"));
    EXPECT_TRUE(pass.calls.empty());
  });
  EXPECT_FALSE(std::filesystem::exists(env.roots / "link" / "x"));
}

TEST_F(Api, MissingOrWrongKeyIs401BeforeTheRouteIsRevealed) {
  scripted_pass pass;
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    for (auto key : {std::optional<std::string>{}, std::optional<std::string>{"wrong"}}) {
      for (auto target : {create_target(env.roots), std::string("/api/v1/NoSuchThing")}) {
        auto request = make_request("PUT", target, events_only, key);
        auto r = co_await host.http_api().handle(std::move(request));
        EXPECT_EQ(r.status, 401u) << target;
        EXPECT_EQ(problem_type(r), "https://idabus.net/problems/unauthorized");
        EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
      }
    }
    EXPECT_EQ(co_await count_events(host), 0u);
    EXPECT_TRUE(pass.calls.empty());
  });
}

TEST_F(Api, UnknownRouteIs404AndWrongMethodIs405WithAllow) {
  scripted_pass pass;
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    auto r404 = co_await host.http_api().handle(make_request("GET", "/api/v1/Backups"));
    EXPECT_EQ(r404.status, 404u);
    EXPECT_EQ(problem_type(r404), "https://idabus.net/problems/not-found");
    auto r405 = co_await host.http_api().handle(make_request("GET", "/api/v1/Backup/create"));
    EXPECT_EQ(r405.status, 405u);
    EXPECT_EQ(r405.header("Allow"), "PUT");
    EXPECT_EQ(problem_type(r405), "https://idabus.net/problems/method-not-allowed");
    auto health = co_await host.http_api().handle(make_request("GET", "/healthz", {}, std::nullopt));
    EXPECT_EQ(health.status, 200u);
    auto metrics = co_await host.http_api().handle(make_request("GET", "/metrics", {}, std::nullopt));
    EXPECT_EQ(metrics.status, 200u);
    EXPECT_NE(metrics.body.find("idabus_backups_total"), std::string::npos);
  });
}

TEST_F(Api, CreateStatusCancelAndTheEvent) {
  scripted_pass pass;
  pass.hold_basis = true;
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    auto none = co_await host.http_api().handle(make_request("GET", "/api/v1/Backup/status"));
    EXPECT_EQ(none.status, 204u);
    auto cancel_none = co_await host.http_api().handle(make_request("POST", "/api/v1/Backup/cancel"));
    EXPECT_EQ(cancel_none.status, 409u);
    EXPECT_EQ(problem_type(cancel_none), "https://idabus.net/problems/no-backup-running");

    auto created = co_await host.http_api().handle(make_request("PUT", create_target(env.roots), events_only));
    CO_ASSERT_EQ(created.status, 202u);
    const auto id = created.body.substr(1, created.body.size() - 2);
    EXPECT_EQ(created.header("Location"), "/api/v1/Events/" + id);

    auto second = co_await host.http_api().handle(make_request("PUT", create_target(env.roots), events_only));
    EXPECT_EQ(second.status, 409u);
    EXPECT_EQ(problem_type(second), "https://idabus.net/problems/backup-running");

    auto status = co_await host.http_api().handle(make_request("GET", "/api/v1/Backup/status"));
    EXPECT_EQ(status.status, 200u);
    EXPECT_EQ(status.body, "Basis");
    EXPECT_EQ(status.header("Content-Type"), "text/plain; charset=utf-8");

    auto event = co_await host.http_api().handle(make_request("GET", "/api/v1/Events/" + id));
    EXPECT_EQ(event.status, 200u);
    EXPECT_NE(event.body.find("\"status\":\"Running\""), std::string::npos);
    EXPECT_NE(event.body.find("\"comment\":\"test\""), std::string::npos);

    auto cancel = co_await host.http_api().handle(make_request("POST", "/api/v1/Backup/cancel"));
    EXPECT_EQ(cancel.status, 202u);
    co_await host.backups().wait_idle();
    auto after = co_await host.http_api().handle(make_request("GET", "/api/v1/Backup/status"));
    EXPECT_EQ(after.status, 204u);
    auto final_event = co_await host.http_api().handle(make_request("GET", "/api/v1/Events/" + id));
    EXPECT_NE(final_event.body.find("\"status\":\"Canceled\""), std::string::npos) << final_event.body;
    auto missing = co_await host.http_api().handle(make_request("GET", "/api/v1/Events/nope"));
    EXPECT_EQ(missing.status, 404u);
  });
}

TEST_F(Api, ResourcesWriteARequestEventAndReadOnlyModeRefusesWritesWith503) {
  scripted_pass pass;
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    auto put = co_await host.http_api().handle(make_request("PUT", "/api/v1/Resources/Person/p1", R"({"name":"Ann"})"));
    EXPECT_EQ(put.status, 200u) << put.body;
    auto get = co_await host.http_api().handle(make_request("GET", "/api/v1/Resources/Person/p1"));
    EXPECT_EQ(get.status, 200u);
    EXPECT_NE(get.body.find("\"name\":\"Ann\""), std::string::npos);
    io::cosmos::query_spec q;
    q.text = "SELECT * FROM c WHERE c.eventType = @t";
    q.parameters = {{"@t", "\"Request\""}};
    auto events = co_await host.documents().query_events(q);
    CO_ASSERT_EQ(events.size(), 1u);
    EXPECT_NE(events[0].find(R"("operation":"Put","target":{"id":"p1","objecttype":"Person"})"), std::string::npos);

    auto bad_body = co_await host.http_api().handle(make_request("PUT", "/api/v1/Resources/Person/p2", "[1]"));
    EXPECT_EQ(bad_body.status, 400u);

    auto mode = co_await host.http_api().handle(make_request("PUT", "/api/v1/System/mode", R"({"maintenance":false,"readonly":true})"));
    EXPECT_EQ(mode.status, 200u);
    auto read_mode = co_await host.http_api().handle(make_request("GET", "/api/v1/System/mode"));
    EXPECT_EQ(read_mode.body, R"({"maintenance":false,"readonly":true})");
    for (auto [method, target] : {std::pair{"PUT", "/api/v1/Resources/Person/p3"}, std::pair{"DELETE", "/api/v1/Resources/Person/p1"},
                                  std::pair{"POST", "/api/v1/Workflows/onboard/executions"}}) {
      auto refused = co_await host.http_api().handle(make_request(method, target, "{}"));
      EXPECT_EQ(refused.status, 503u) << method << " " << target;
      EXPECT_EQ(refused.header("Retry-After"), "5");
      EXPECT_EQ(problem_type(refused), "https://idabus.net/problems/read-only");
    }
    EXPECT_EQ(host.writes().in_flight(), 0u);
    auto reads_work = co_await host.http_api().handle(make_request("GET", "/api/v1/Resources/Person/p1"));
    EXPECT_EQ(reads_work.status, 200u);
    events = co_await host.documents().query_events(q);
    EXPECT_EQ(events.size(), 1u);

    auto bad_mode = co_await host.http_api().handle(make_request("PUT", "/api/v1/System/mode", R"({"maintenance":1,"readonly":true})"));
    EXPECT_EQ(bad_mode.status, 400u);
    co_await host.http_api().handle(make_request("PUT", "/api/v1/System/mode", R"({"maintenance":false,"readonly":false})"));
    auto del = co_await host.http_api().handle(make_request("DELETE", "/api/v1/Resources/Person/p1"));
    EXPECT_EQ(del.status, 204u);
    auto gone = co_await host.http_api().handle(make_request("GET", "/api/v1/Resources/Person/p1"));
    EXPECT_EQ(gone.status, 404u);
    events = co_await host.documents().query_events(q);
    EXPECT_EQ(events.size(), 2u);
  });
}

}  // namespace
}  // namespace idabus::engine
