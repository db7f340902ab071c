#include "stages/cosmos_session.hpp"

#include "support/cosmos_emulator.hpp"
#include "support/run_coro.hpp"
#include "support/scripted_server.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <string>

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
namespace stages = idabus::stages;
using idabus::test::recorded_request;
using idabus::test::reply;
using idabus::test::scripted_server;

TEST(CosmosSession, EveryRequestIsChargedToTheSessionsBudget) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    scripted_server server(ctx.get_executor(), [](const recorded_request&) {
      return reply::ok(R"({"id":"account"})").header("x-ms-request-charge", "3");
    });
    stages::cosmos_session_options options;
    options.ru_cap = 1000;
    stages::cosmos_session session(ctx.get_executor(),
                                   cosmos::parse_connection_string(idabus::test::connection_string_for(server.url())),
                                   options);
    co_await session.client().read_account();
    co_await session.client().read_account();
    EXPECT_EQ(server.requests().size(), 2u);
    EXPECT_DOUBLE_EQ(session.budget().total_counters().consumed_ru, 6);
    EXPECT_DOUBLE_EQ(session.budget().options().cap_ru_per_second, 1000);
  });
}
