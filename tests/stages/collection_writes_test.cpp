#include "stages/collection_writes.hpp"

#include "io/cosmos/errors.hpp"
#include "pipeline/keyed_ru_budget.hpp"
#include "support/cosmos_emulator.hpp"
#include "support/run_coro.hpp"
#include "support/scripted_server.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <string>

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
namespace http = idabus::io::http;
namespace pipeline = idabus::pipeline;
namespace stages = idabus::stages;
using idabus::test::recorded_request;
using idabus::test::reply;
using idabus::test::scripted_server;

namespace {

const char* four_ranges =
    R"({"PartitionKeyRanges":[{"id":"0","minInclusive":"","maxExclusive":"3F"},{"id":"1","minInclusive":"3F","maxExclusive":"7F"},)"
    R"({"id":"2","minInclusive":"7F","maxExclusive":"BF"},{"id":"3","minInclusive":"BF","maxExclusive":"FF"}]})";

// A collection with four ranges; /offers answers `offers_status` (200: an offer of 10,000 RU/s).
scripted_server::handler account(unsigned offers_status) {
  return [offers_status](const recorded_request& req) {
    if (req.target.ends_with("/pkranges")) return reply::ok(four_ranges);
    if (req.target == "/offers") {
      if (offers_status != 200) return reply::with_status(offers_status, R"({"code":"NotFound","message":"no offers"})");
      return reply::ok(R"({"Offers":[{"id":"o1","_rid":"o1","resource":"dbs/d/colls/c/","offerResourceId":"c1",)"
                       R"("content":{"offerThroughput":10000}}]})");
    }
    return reply::ok(R"({"id":"c","_rid":"c1","_self":"dbs/d/colls/c/"})");
  };
}

struct writes_rig {
  scripted_server server;
  http::client http;
  pipeline::keyed_ru_budget budget{pipeline::keyed_ru_budget_options{}};
  stages::ru_budget_gate gate{budget};
  cosmos::client client;

  writes_rig(net::io_context& ctx, scripted_server::handler handler)
      : server(ctx.get_executor(), std::move(handler)),
        http(ctx.get_executor(), http::parse_url(server.url()).endpoint(), http::client_options{}),
        client(http, cosmos::parse_connection_string(idabus::test::connection_string_for(server.url())),
               options(gate)) {}

  static cosmos::client_options options(stages::ru_budget_gate& gate) {
    cosmos::client_options o;
    o.gate = &gate;
    return o;
  }
};

}  // namespace

TEST(PlanCollectionWrites, SplitsTheOfferOverTheRangesAndTellsTheGate) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    writes_rig r(ctx, account(200));
    auto plan = co_await stages::plan_collection_writes(r.client, &r.gate, "d", "c");
    EXPECT_EQ(plan.provisioned, 10000);
    EXPECT_EQ(plan.ranges.size(), 4u);
    EXPECT_DOUBLE_EQ(plan.range_share, 2500);
    for (const char* id : {"0", "1", "2", "3"}) {
      EXPECT_DOUBLE_EQ(r.budget.counters("dbs/d/colls/c#" + std::string(id)).current_rate, 2500) << id;
    }
  });
}

TEST(PlanCollectionWrites, WithoutAnOfferTheShareIsUnknown) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    writes_rig r(ctx, account(404));
    auto plan = co_await stages::plan_collection_writes(r.client, &r.gate, "d", "c");
    EXPECT_FALSE(plan.provisioned);
    EXPECT_EQ(plan.ranges.size(), 4u);
    EXPECT_DOUBLE_EQ(plan.range_share, 0);
  });
}

TEST(PlanCollectionWrites, AMissingCollectionIsACosmosError404) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    writes_rig r(ctx, [](const recorded_request&) {
      return reply::with_status(404, R"({"code":"NotFound","message":"Resource Not Found"})");
    });
    unsigned status = 0;
    try {
      co_await stages::plan_collection_writes(r.client, &r.gate, "d", "missing");
    } catch (const cosmos::cosmos_error& e) {
      status = e.status();
    }
    EXPECT_EQ(status, 404u);
  });
}
