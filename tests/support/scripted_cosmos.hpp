#pragma once
// scripted_cosmos: a Cosmos client talking to a scripted_server (through its own HTTP client), all
// on the test's executor, for tests that script what the service answers. The server's requests
// are in `server.requests()`. Header-only; members are destroyed client first, server last.
// The server checks no signature, so the key is a placeholder (not cosmos_emulator.hpp's: that
// header brings <filesystem> and the child-process code into these slow-to-compile tests).

#include "io/cosmos/client.hpp"
#include "io/http/client.hpp"
#include "io/http/url.hpp"
#include "support/scripted_server.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace idabus::test {

struct scripted_cosmos {
  scripted_cosmos(net::io_context& ctx, scripted_server::handler handler, io::cosmos::client_options options = {})
      : server(ctx.get_executor(), std::move(handler)),
        http(ctx.get_executor(), io::http::parse_url(server.url()).endpoint(), io::http::client_options{}),
        client(http, io::cosmos::parse_connection_string("AccountEndpoint=" + server.url() + "/;AccountKey=c2NyaXB0ZWQ="),
               std::move(options)) {}

  scripted_server server;
  io::http::client http;
  io::cosmos::client client;
};

/// Two partition key ranges, "0" below EPK "20" and "1" from it.
inline const char* const two_ranges_body =
    R"({"PartitionKeyRanges":[{"id":"0","minInclusive":"","maxExclusive":"20"},{"id":"1","minInclusive":"20","maxExclusive":"FF"}]})";

/// Answers the partition key ranges read (a target ending in "/pkranges") with `ranges_body` and
/// every other request with `rest`.
inline scripted_server::handler answering_ranges(std::string ranges_body, scripted_server::handler rest) {
  return [ranges_body = std::move(ranges_body), rest = std::move(rest)](const recorded_request& req) {
    if (req.target.ends_with("/pkranges")) return reply::ok(ranges_body);
    return rest(req);
  };
}

/// Answers as `answer` does, but requests to partition key range `range` only after a minute,
/// longer than any test waits: a range that stalls while the others are served.
inline scripted_server::handler stalling_range(std::string range, scripted_server::handler answer) {
  return [range = std::move(range), answer = std::move(answer)](const recorded_request& req) {
    auto out = answer(req);
    if (req.header("x-ms-documentdb-partitionkeyrangeid") == range) out = out.after(std::chrono::minutes(1));
    return out;
  };
}

}  // namespace idabus::test
