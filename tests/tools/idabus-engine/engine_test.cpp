#include "tools/idabus-engine/engine.hpp"

#include "engine_fixture.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"
#include "io/http/client.hpp"
#include "io/http/url.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <fstream>
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

}  // namespace
}  // namespace idabus::engine
