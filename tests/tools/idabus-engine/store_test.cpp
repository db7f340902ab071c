#include "tools/idabus-engine/store.hpp"

#include "engine_fixture.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"

#include <gtest/gtest.h>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;

TEST(Store, CreateIsCreateOnlyAndReplaceNeedsTheCurrentEtag) {
  engine_env env;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    integration::session s(ctx, env.settings.cosmos.connection_string);
    store st(s.client, env.settings.cosmos);
    co_await st.ensure_collections();
    co_await st.ensure_collections();  // idempotent
    auto created = co_await st.create_event("x", R"({"id":"x","v":1})");
    CO_ASSERT_TRUE(created);
    EXPECT_FALSE(co_await st.create_event("x", R"({"id":"x","v":2})"));
    auto read = co_await st.read_event("x");
    CO_ASSERT_TRUE(read);
    EXPECT_NE(read->body.find("\"v\":1"), std::string::npos);
    auto replaced = co_await st.replace_event("x", R"({"id":"x","v":3})", read->etag);
    CO_ASSERT_TRUE(replaced);
    EXPECT_FALSE(co_await st.replace_event("x", R"({"id":"x","v":4})", read->etag));
    EXPECT_FALSE(co_await st.replace_event("missing", R"({"id":"missing"})", read->etag));
    EXPECT_FALSE(co_await st.read_event("missing"));
    io::cosmos::query_spec q;
    q.text = "SELECT * FROM c";
    EXPECT_EQ((co_await st.query_events(q)).size(), 1u);
  });
}

TEST(Store, ResourcesArePartitionedByObjecttype) {
  engine_env env;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    integration::session s(ctx, env.settings.cosmos.connection_string);
    store st(s.client, env.settings.cosmos);
    co_await st.ensure_collections();
    co_await st.upsert_resource("Person", R"({"id":"p","objecttype":"Person"})");
    EXPECT_TRUE(co_await st.read_resource("Person", "p"));
    EXPECT_FALSE(co_await st.read_resource("Group", "p"));
    EXPECT_TRUE(co_await st.delete_resource("Person", "p"));
    EXPECT_FALSE(co_await st.delete_resource("Person", "p"));
  });
}

}  // namespace
}  // namespace idabus::engine
