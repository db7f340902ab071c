#include "tools/idabus-engine/lease.hpp"

#include "engine_fixture.hpp"
#include "io/cosmos/errors.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <gtest/gtest.h>

#include <functional>

#include <sys/wait.h>
#include <unistd.h>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using namespace boost::asio::experimental::awaitable_operators;
using idabus::test::run_coro;
namespace cosmos = idabus::io::cosmos;

/// The engine's store on a session of its own to the test's emulator.
struct store_session {
  store_session(net::io_context& ctx, const engine_env& env, cosmos::client_options options = {})
      : session(ctx, env.settings.cosmos.connection_string, std::move(options)), st(session.client, env.settings.cosmos) {}
  integration::session session;
  store st;
};

/// Runs `body` under run_coro on a store_session's store, its collections made first.
void with_store(const engine_env& env, std::function<net::awaitable<void>(store&)> body,
                cosmos::client_options options = {}) {
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    store_session s(ctx, env, std::move(options));
    co_await s.st.ensure_collections();
    co_await body(s.st);
  });
}

struct Lease : ::testing::Test {
  engine_env env;
};

TEST_F(Lease, OneOfTwoConcurrentAcquirersWinsAndTheOtherWinsAfterRelease) {
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    store_session a(ctx, env), b(ctx, env);
    co_await a.st.ensure_collections();
    backup_lease la(a.st, "A", std::chrono::seconds(30)), lb(b.st, "B", std::chrono::seconds(30));
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
  with_store(env, [](store& st) -> net::awaitable<void> {
    backup_lease old_holder(st, "old", std::chrono::seconds(0)), newcomer(st, "new", std::chrono::seconds(30));
    EXPECT_TRUE(co_await old_holder.acquire("e1"));  // ttl 0: expired at once
    EXPECT_TRUE(co_await newcomer.acquire("e2"));
    EXPECT_FALSE(co_await old_holder.renew());
    auto l = co_await newcomer.read();
    EXPECT_EQ(l->event_id, "e2");
  });
}

// ---- unknown outcomes: cosmos-emulator aims its faults at the lease writes (--fault-only) ----

const std::string lease_replace = "PUT /dbs/idabus/colls/Events/docs/idabus-backup-lease";
const std::string event_create = "POST /dbs/idabus/colls/Events/docs";  // the lease's create (a bulk create)

/// A client that surfaces a 503 at once (no transient retries of its own).
cosmos::client_options surfacing_503() {
  cosmos::client_options o;
  o.retry.max_transient_attempts = 1;
  return o;
}

/// `mine` (owner "A") acquires and renews (the write the emulator faults); the lease read back is
/// still its own under a new etag and a later expiry, and the next renewal succeeds: its If-Match is
/// the etag adopted. False (a failure recorded) when the acquire fails.
net::awaitable<bool> expect_renewal_adopted(backup_lease& mine) {
  if (!co_await mine.acquire("e1")) {
    ADD_FAILURE() << "the acquire failed";
    co_return false;
  }
  const auto acquired = co_await mine.read();
  EXPECT_TRUE(co_await mine.renew());
  const auto renewed = co_await mine.read();
  EXPECT_EQ(renewed->owner, "A");
  EXPECT_NE(renewed->etag, acquired->etag);
  EXPECT_GE(renewed->expires_ms, acquired->expires_ms);
  EXPECT_TRUE(co_await mine.renew());
  co_return true;
}

TEST(LeaseUnknownOutcome, RenewalsAndAReleaseThatLandedButLostTheirResponsesAreAdopted) {
  // Every lease replace runs and then has its response cut (the client does not resend it).
  engine_env env{std::vector<std::string>{"--fault-reset", "1", "--fault-only", lease_replace}};
  with_store(env, [](store& st) -> net::awaitable<void> {
    backup_lease mine(st, "A", std::chrono::seconds(30)), other(st, "B", std::chrono::seconds(30));
    CO_ASSERT_TRUE(co_await expect_renewal_adopted(mine));
    EXPECT_FALSE(co_await other.acquire("e2"));
    co_await mine.release();
    EXPECT_FALSE((co_await mine.read())->held());
    EXPECT_TRUE(co_await other.acquire("e2"));
  });
}

TEST(LeaseUnknownOutcome, ACreateThatLandedButLostItsResponseIsOursNotAnotherEnginesHold) {
  engine_env env{std::vector<std::string>{"--fault-reset", "1", "--fault-only", event_create}};
  with_store(env, [](store& st) -> net::awaitable<void> {
    backup_lease mine(st, "A", std::chrono::seconds(30));
    EXPECT_TRUE(co_await mine.acquire("e1"));
    const auto held = co_await mine.read();
    CO_ASSERT_TRUE(held.has_value());
    EXPECT_EQ(held->owner, "A");
    EXPECT_EQ(held->event_id, "e1");
    EXPECT_TRUE(co_await mine.renew());
  });
}

TEST(LeaseUnknownOutcome, ARenewalThatDidNotLandIsWrittenAgainAfterTheLeaseIsReadBackUnchanged) {
  // The first lease replace gets a 503 (nothing executed), which this client does not retry.
  engine_env env{std::vector<std::string>{"--fault-503", "1", "--fault-only", lease_replace, "--fault-limit", "1"}};
  with_store(env, [](store& st) -> net::awaitable<void> {
    backup_lease mine(st, "A", std::chrono::seconds(30));
    co_await expect_renewal_adopted(mine);
  }, surfacing_503());
}

TEST(LeaseUnknownOutcome, ARenewalThatNeverLandsFailsWithItsErrorAndKeepsTheLeaseUnchanged) {
  engine_env env{std::vector<std::string>{"--fault-503", "1", "--fault-only", lease_replace}};
  with_store(env, [](store& st) -> net::awaitable<void> {
    backup_lease mine(st, "A", std::chrono::seconds(30));
    CO_ASSERT_TRUE(co_await mine.acquire("e1"));
    const auto acquired = co_await mine.read();
    unsigned status = 0;
    try {
      co_await mine.renew();
    } catch (const cosmos::cosmos_error& e) {
      status = e.status();
    }
    EXPECT_EQ(status, 503u) << "neither adopted nor taken for lost: the outcome stayed unknown";
    EXPECT_EQ((co_await mine.read())->etag, acquired->etag);
  }, surfacing_503());
}

/// A lease held by owner "o" on host "h" (pid 42) for event "e", until 123 ms.
lease_state held_lease() {
  lease_state l;
  l.owner = "o";
  l.host = "h";
  l.pid = 42;
  l.event_id = "e";
  l.expires_ms = 123;
  return l;
}

TEST(LeaseWriteJudgement, WhatWasWrittenLandedTheUnchangedLeaseDidNotAnythingElseIsLost) {
  const lease_state written = held_lease();
  auto now = written;
  now.etag = "new";
  EXPECT_EQ(judge_write(now, written, "old"), write_outcome::landed);
  EXPECT_EQ(judge_write(now, written, ""), write_outcome::landed);  // a create that landed
  auto before = written;
  before.expires_ms = 1000;
  before.etag = "old";
  EXPECT_EQ(judge_write(before, written, "old"), write_outcome::not_landed);
  EXPECT_EQ(judge_write(std::nullopt, written, ""), write_outcome::not_landed);  // a create that did not
  auto taken = written;
  taken.owner = "B";
  taken.etag = "other";
  EXPECT_EQ(judge_write(taken, written, "old"), write_outcome::lost);
  EXPECT_EQ(judge_write(taken, written, ""), write_outcome::lost);  // someone else's create won
  EXPECT_EQ(judge_write(std::nullopt, written, "old"), write_outcome::lost);  // the lease is gone
  // A release: any free lease is what it wrote, whoever freed it.
  lease_state free_lease;
  auto freed = free_lease;
  freed.etag = "x";
  EXPECT_EQ(judge_write(freed, free_lease, "old"), write_outcome::landed);
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
  const auto back = parse_lease(to_json(held_lease()), "etag");
  EXPECT_EQ(back.owner, "o");
  EXPECT_EQ(back.host, "h");
  EXPECT_EQ(back.pid, 42);
  EXPECT_EQ(back.event_id, "e");
  EXPECT_EQ(back.expires_ms, 123);
  EXPECT_EQ(back.etag, "etag");
}

}  // namespace
}  // namespace idabus::engine
