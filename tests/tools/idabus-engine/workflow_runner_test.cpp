#include "tools/idabus-engine/workflow_runner.hpp"

#include "engine_fixture.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;

net::awaitable<std::string> status_of(store& st, integration::session& s, std::string id) {
  std::vector<io::cosmos::pk_component> key{io::cosmos::pk_component(id)};
  auto doc = co_await s.client.read_document(st.names().database, st.names().workflow_executions, id, std::move(key));
  co_return doc ? doc->body : std::string();
}

net::awaitable<void> wait_for(std::function<bool()> done) {
  net::steady_timer t(co_await net::this_coro::executor);
  while (!done()) {
    t.expires_after(std::chrono::milliseconds(10));
    co_await t.async_wait(net::use_awaitable);
  }
}

TEST(WorkflowRunner, AdvancesExecutionsToCompletedAndStartsNoStepInMaintenance) {
  engine_env env;
  scripted_pass pass;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host host(ctx.get_executor(), env.settings, pass.as_pass());
    integration::session s(ctx, env.settings.cosmos.connection_string);
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      co_await host.modes().set({true, false});
      auto id = co_await host.workflows().enqueue("onboard", R"({"user":"u1"})");
      CO_ASSERT_TRUE(id);
      EXPECT_NE((co_await status_of(host.documents(), s, *id)).find("\"status\":\"Queued\""), std::string::npos);
      // Several runner ticks pass in maintenance: nothing is taken from the queue.
      net::steady_timer t(ctx, std::chrono::milliseconds(200));
      co_await t.async_wait(net::use_awaitable);
      EXPECT_EQ(host.workflows().queued(), 1u);
      EXPECT_NE((co_await status_of(host.documents(), s, *id)).find("\"status\":\"Queued\""), std::string::npos);
      co_await host.modes().set({false, false});
      std::function<bool()> emptied = [&] { return host.workflows().queued() == 0; };
      co_await wait_for(emptied);
      std::string body_now;
      for (int i = 0; i < 200 && body_now.find("Completed") == std::string::npos; ++i) {
        body_now = co_await status_of(host.documents(), s, *id);
        net::steady_timer pause(ctx, std::chrono::milliseconds(10));
        co_await pause.async_wait(net::use_awaitable);
      }
      EXPECT_NE(body_now.find("\"status\":\"Completed\",\"step\":3,\"steps\":3"), std::string::npos) << body_now;
      EXPECT_NE(body_now.find(R"("input":{"user":"u1"})"), std::string::npos);
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(60));
}

}  // namespace
}  // namespace idabus::engine
