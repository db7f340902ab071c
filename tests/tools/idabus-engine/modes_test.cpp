#include "tools/idabus-engine/modes.hpp"

#include "engine_fixture.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"
#include "tools/idabus-engine/backup_spec.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;

TEST(Modes, ParseAndRender) {
  EXPECT_EQ(parse_modes(R"({"Maintenance":true,"READONLY":false})"), (system_modes{true, false}));
  EXPECT_EQ(to_json({false, true}), R"({"maintenance":false,"readonly":true})");
  EXPECT_THROW(parse_modes(R"({"maintenance":true})"), bad_request);
  EXPECT_THROW(parse_modes(R"({"maintenance":"yes","readonly":false})"), bad_request);
  EXPECT_THROW(parse_modes("[]"), bad_request);
}

TEST(Modes, AreSharedThroughCosmosAndCachedPerProcess) {
  engine_env env;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    integration::session sa(ctx, env.settings.cosmos.connection_string);
    integration::session sb(ctx, env.settings.cosmos.connection_string);
    store st_a(sa.client, env.settings.cosmos), st_b(sb.client, env.settings.cosmos);
    co_await st_a.ensure_collections();
    modes_registry a(st_a, std::chrono::milliseconds(0));
    modes_registry cached(st_b, std::chrono::hours(1));
    EXPECT_EQ(co_await a.current(), (system_modes{false, false}));  // no document yet
    EXPECT_EQ(co_await cached.current(), (system_modes{false, false}));
    co_await a.set({true, true});
    modes_registry fresh(st_b, std::chrono::milliseconds(0));
    EXPECT_EQ(co_await fresh.current(), (system_modes{true, true}));
    EXPECT_EQ(co_await cached.current(), (system_modes{false, false}));  // within its ttl
    auto doc = co_await st_b.read_event(std::string(modes_document_id));
    CO_ASSERT_TRUE(doc);
    EXPECT_NE(doc->body.find("\"documentType\":\"SystemModes\""), std::string::npos);
  });
}

}  // namespace
}  // namespace idabus::engine
