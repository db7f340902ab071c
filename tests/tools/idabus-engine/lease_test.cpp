#include "tools/idabus-engine/lease.hpp"

#include "engine_fixture.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using namespace boost::asio::experimental::awaitable_operators;
using idabus::test::run_coro;

struct Lease : ::testing::Test {
  engine_env env;
  integration::session& session_a(net::io_context& ctx) {
    a.emplace(ctx, env.settings.cosmos.connection_string);
    return *a;
  }
  std::optional<integration::session> a, b;
};

TEST_F(Lease, OneOfTwoConcurrentAcquirersWinsAndTheOtherWinsAfterRelease) {
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    integration::session sa(ctx, env.settings.cosmos.connection_string);
    integration::session sb(ctx, env.settings.cosmos.connection_string);
    store st_a(sa.client, env.settings.cosmos), st_b(sb.client, env.settings.cosmos);
    co_await st_a.ensure_collections();
    backup_lease la(st_a, "A", std::chrono::seconds(30)), lb(st_b, "B", std::chrono::seconds(30));
    auto both = co_await (la.acquire("event-a") && lb.acquire("event-b"));
    const bool a_won = std::get<0>(both), b_won = std::get<1>(both);
    EXPECT_NE(a_won, b_won);
    auto& winner = a_won ? la : lb;
    auto& loser = a_won ? lb : la;
    auto held = co_await winner.read();
    CO_ASSERT_TRUE(held && held->held());
    EXPECT_EQ(held->owner, winner.owner());
    EXPECT_EQ(held->pid, ::getpid());
    EXPECT_TRUE(co_await winner.renew());
    EXPECT_FALSE(co_await loser.acquire("again"));
    co_await winner.release();
    auto freed = co_await loser.read();
    EXPECT_FALSE(freed->held());
    EXPECT_TRUE(co_await loser.acquire("now"));
    // The old holder's renewal now fails: its etag is stale.
    EXPECT_FALSE(co_await winner.renew());
  });
}

TEST_F(Lease, AnExpiredLeaseIsTakenOverAndItsHolderCannotRenew) {
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    integration::session s(ctx, env.settings.cosmos.connection_string);
    store st(s.client, env.settings.cosmos);
    co_await st.ensure_collections();
    backup_lease old_holder(st, "old", std::chrono::seconds(0)), newcomer(st, "new", std::chrono::seconds(30));
    EXPECT_TRUE(co_await old_holder.acquire("e1"));  // ttl 0: expired at once
    EXPECT_TRUE(co_await newcomer.acquire("e2"));
    EXPECT_FALSE(co_await old_holder.renew());
    auto l = co_await newcomer.read();
    EXPECT_EQ(l->event_id, "e2");
  });
}

TEST(LeaseOwner, IsDeadWhenExpiredOrItsProcessOnThisHostIsGone) {
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  lease_state l;
  l.owner = "x";
  l.host = "this";
  l.pid = ::getpid();
  l.expires_ms = 1000;
  EXPECT_FALSE(owner_is_dead(l, 999, "this"));
  EXPECT_TRUE(owner_is_dead(l, 1000, "this"));
  l.pid = dead;
  EXPECT_TRUE(owner_is_dead(l, 999, "this"));
  EXPECT_FALSE(owner_is_dead(l, 999, "another host"));
  l.owner.clear();
  EXPECT_FALSE(owner_is_dead(l, 5000, "this"));
}

TEST(LeaseDocument, RoundTrips) {
  lease_state l;
  l.owner = "o";
  l.host = "h";
  l.pid = 42;
  l.event_id = "e";
  l.expires_ms = 123;
  const auto back = parse_lease(to_json(l), "etag");
  EXPECT_EQ(back.owner, "o");
  EXPECT_EQ(back.host, "h");
  EXPECT_EQ(back.pid, 42);
  EXPECT_EQ(back.event_id, "e");
  EXPECT_EQ(back.expires_ms, 123);
  EXPECT_EQ(back.etag, "etag");
}

}  // namespace
}  // namespace idabus::engine
