#include "io/cosmos/parallel_query.hpp"

#include "io/cosmos/errors.hpp"

#include "support/run_coro.hpp"
#include "support/scripted_cosmos.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/co_assert.hpp"

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
using idabus::test::recorded_request;
using idabus::test::reply;
using idabus::test::scripted_cosmos;
using idabus::test::scripted_server;

namespace {

std::string page_body(const std::vector<std::string>& ids) {
  std::string body = R"({"_rid":"coll==","Documents":[)";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) body += ',';
    body += R"({"id":")" + ids[i] + R"(","_ts":1})";
  }
  return body + R"(],"_count":)" + std::to_string(ids.size()) + "}";
}

std::string ranges_body(const std::vector<std::vector<std::string>>& ranges) {
  std::string body = R"({"PartitionKeyRanges":[)";
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (i) body += ',';
    body += R"({"id":")" + ranges[i][0] + R"(","minInclusive":")" + ranges[i][1] + R"(","maxExclusive":")" + ranges[i][2] + "\"}";
  }
  return body + "]}";
}

/// Answers the pkranges read with `ranges` ({id, min, max} each) and every other request with `rest`.
scripted_server::handler with_ranges(const std::vector<std::vector<std::string>>& ranges, scripted_server::handler rest) {
  return idabus::test::answering_ranges(ranges_body(ranges), std::move(rest));
}

// A tiny paged "server" state: per range, the pages (lists of ids); token "p<n>" = page n.
struct fake_ranges {
  std::map<std::string, std::vector<std::vector<std::string>>> pages;

  reply answer(const recorded_request& req) const {
    const std::string range(req.header("x-ms-documentdb-partitionkeyrangeid"));
    const std::string token(req.header("x-ms-continuation"));
    const auto& list = pages.at(range);
    const std::size_t n = token.empty() ? 0 : std::stoul(token.substr(1));
    auto r = reply::ok(page_body(list.at(n)));
    if (n + 1 < list.size()) r = r.header("x-ms-continuation", "p" + std::to_string(n + 1));
    return r;
  }
};

cosmos::page_request all_docs() {
  cosmos::page_request r;
  r.database = "idabus";
  r.collection = "Events";
  r.query.text = "SELECT * FROM c";
  r.partition_key_path = "/id";
  r.max_item_count = 2;
  return r;
}

}  // namespace

TEST(QueryAllRanges, ReadsEveryRangeToTheEndRoundRobin) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    fake_ranges data;
    data.pages["0"] = {{"a1", "a2"}, {"a3", "a4"}, {"a5"}};
    data.pages["1"] = {{"b1", "b2"}, {"b3"}};
    data.pages["2"] = {{"c1"}};
    scripted_cosmos r(ctx, with_ranges({{"0", "", "10"}, {"1", "10", "30"}, {"2", "30", "FF"}},
                                       [&data](const recorded_request& req) { return data.answer(req); }));
    std::vector<std::string> ids;
    std::vector<std::string> page_ranges;
    cosmos::page_sink sink = [&](cosmos::query_page page) -> net::awaitable<void> {
      page_ranges.push_back(page.range_id);
      for (const auto& d : page.documents) ids.push_back(*d.fields.id);
      co_return;
    };
    cosmos::parallel_query_options options;
    options.max_concurrency = 1;  // deterministic order: shows the round robin
    auto stats = co_await cosmos::query_all_ranges(r.client, all_docs(), options, sink);
    EXPECT_EQ(page_ranges, (std::vector<std::string>{"0", "1", "2", "0", "1", "0"}));
    EXPECT_EQ(ids, (std::vector<std::string>{"a1", "a2", "b1", "b2", "c1", "a3", "a4", "b3", "a5"}));
    EXPECT_EQ(stats.pages, 6u);
    EXPECT_EQ(stats.documents, 9u);
    EXPECT_EQ(stats.ranges, 3u);
  });
}

TEST(QueryAllRanges, RunsRangesConcurrently) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    fake_ranges data;
    for (int i = 0; i < 4; ++i) data.pages[std::to_string(i)] = {{"r" + std::to_string(i)}};
    scripted_cosmos r(ctx, with_ranges({{"0", "", "10"}, {"1", "10", "20"}, {"2", "20", "30"}, {"3", "30", "FF"}},
                                       [&data](const recorded_request& req) {
                                         return data.answer(req).after(std::chrono::milliseconds(200));
                                       }));
    std::size_t docs = 0;
    cosmos::page_sink sink = [&](cosmos::query_page page) -> net::awaitable<void> {
      docs += page.documents.size();
      co_return;
    };
    const auto start = std::chrono::steady_clock::now();
    cosmos::parallel_query_options options;
    options.max_concurrency = 4;
    co_await cosmos::query_all_ranges(r.client, all_docs(), options, sink);
    EXPECT_EQ(docs, 4u);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(700));  // not 4 x 200 ms
    EXPECT_GE(r.server.max_open_connections(), 2u);
  });
}

TEST(QueryAllRanges, ContinuesASplitRangeOnItsChildrenFromTheParentsContinuation) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    bool split = false;
    std::vector<std::string> child_tokens;
    scripted_cosmos r(ctx, [&](const recorded_request& req) {
      if (req.target.ends_with("/pkranges")) {
        if (!split) return reply::ok(ranges_body({{"0", "", "FF"}}));
        return reply::ok(ranges_body({{"1", "", "80"}, {"2", "80", "FF"}}));
      }
      const std::string range(req.header("x-ms-documentdb-partitionkeyrangeid"));
      const std::string token(req.header("x-ms-continuation"));
      if (range == "0" && token.empty()) return reply::ok(page_body({"d1", "d2"})).header("x-ms-continuation", "t1");
      if (range == "0") {
        split = true;
        return reply::with_status(410, R"({"message":"PartitionKeyRangeGone"})").header("x-ms-substatus", "1002");
      }
      if (token == "t1") child_tokens.push_back(range + ":" + token);
      if (range == "1" && token == "t1") return reply::ok(page_body({"d3"})).header("x-ms-continuation", "t1b");
      if (range == "1" && token == "t1b") return reply::ok(page_body({"d4"}));
      if (range == "2" && token == "t1") return reply::ok(page_body({"d5", "d6"}));
      return reply::with_status(400, R"({"message":"unexpected request"})");
    });
    std::multiset<std::string> ids;
    cosmos::page_sink sink = [&](cosmos::query_page page) -> net::awaitable<void> {
      for (const auto& d : page.documents) ids.insert(*d.fields.id);
      co_return;
    };
    cosmos::parallel_query_options options;
    options.max_concurrency = 2;
    auto stats = co_await cosmos::query_all_ranges(r.client, all_docs(), options, sink);
    EXPECT_EQ(ids, (std::multiset<std::string>{"d1", "d2", "d3", "d4", "d5", "d6"}));
    std::sort(child_tokens.begin(), child_tokens.end());
    EXPECT_EQ(child_tokens, (std::vector<std::string>{"1:t1", "2:t1"}));
    EXPECT_EQ(stats.range_refreshes, 1u);
  });
}

TEST(QueryAllRanges, PropagatesTheSinksFailure) {
  EXPECT_THROW(idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
                 scripted_cosmos r(ctx, with_ranges({{"0", "", "FF"}}, [](const recorded_request&) {
                                     return reply::ok(page_body({"x"}));
                                   }));
                 cosmos::page_sink sink = [](cosmos::query_page) -> net::awaitable<void> {
                   throw std::runtime_error("disk full");
                   co_return;
                 };
                 cosmos::parallel_query_options options;
      co_await cosmos::query_all_ranges(r.client, all_docs(), options, sink);
               }),
               std::runtime_error);
}

TEST(QueryAllRanges, FailsOnAPermanentError) {
  bool threw = false;
  try {
    idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
      scripted_cosmos r(ctx, with_ranges({{"0", "", "80"}, {"1", "80", "FF"}}, [](const recorded_request&) {
                          return reply::with_status(400, R"({"message":"Syntax error near FROM"})");
                        }));
      cosmos::page_sink sink = [](cosmos::query_page) -> net::awaitable<void> { co_return; };
      cosmos::parallel_query_options options;
      co_await cosmos::query_all_ranges(r.client, all_docs(), options, sink);
    });
  } catch (const cosmos::cosmos_error& e) {
    threw = true;
    EXPECT_NE(std::string(e.what()).find("Syntax error near FROM"), std::string::npos);
  }
  EXPECT_TRUE(threw);
}

namespace {

// Records what the client tells it about the work left; grants everything at once.
struct recording_gate final : cosmos::request_gate {
  std::vector<std::pair<std::string, double>> reports;  ///< (range id, RU)
  std::string collection;
  net::awaitable<void> acquire(cosmos::gate_key, double) override { co_return; }
  void settle(cosmos::gate_key, double, double) override {}
  void throttled(cosmos::gate_key, std::chrono::milliseconds) override {}
  void work_left(cosmos::gate_key key, double ru) override {
    collection = key.collection;
    reports.emplace_back(key.range_id, ru);
  }
};

/// Client options that send every request through `gate`.
cosmos::client_options through(recording_gate& gate) {
  cosmos::client_options o;
  o.gate = &gate;
  return o;
}

}  // namespace

TEST(QueryAllRanges, CountsEachRangeFirstAndTellsTheGateTheWorkLeftAfterEveryPage) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    fake_ranges data;
    data.pages["0"] = {{"a1", "a2"}, {"a3", "a4"}, {"a5"}};
    data.pages["1"] = {{"b1"}};
    const std::map<std::string, int> counts{{"0", 5}, {"1", 1}};
    recording_gate gate;
    scripted_server::handler pages = [&](const recorded_request& req) {
      const std::string range(req.header("x-ms-documentdb-partitionkeyrangeid"));
      if (req.body.find("COUNT(1)") != std::string::npos) {
        return reply::ok(R"({"_rid":"coll==","Documents":[)" + std::to_string(counts.at(range)) + R"(],"_count":1})")
            .header("x-ms-request-charge", "1");
      }
      const std::string token(req.header("x-ms-continuation"));
      const std::size_t n = token.empty() ? 0 : std::stoul(token.substr(1));
      return data.answer(req).header("x-ms-request-charge", std::to_string(2 * data.pages.at(range).at(n).size()));
    };
    scripted_cosmos r(ctx, with_ranges({{"0", "", "10"}, {"1", "10", "FF"}}, std::move(pages)), through(gate));
    std::vector<std::string> ids;
    cosmos::page_sink sink = [&](cosmos::query_page page) -> net::awaitable<void> {
      for (const auto& d : page.documents) ids.push_back(*d.fields.id);
      co_return;
    };
    cosmos::parallel_query_options options;
    options.max_concurrency = 1;  // deterministic order
    options.count_query = cosmos::query_spec{"SELECT VALUE COUNT(1) FROM c", {}};
    auto stats = co_await cosmos::query_all_ranges(r.client, all_docs(), options, sink);
    EXPECT_EQ(ids, (std::vector<std::string>{"a1", "a2", "b1", "a3", "a4", "a5"}));  // no count in the sink
    EXPECT_EQ(gate.collection, "dbs/idabus/colls/Events");
    // Range 0: 5 counted × 1 RU (no page read yet); after its first page 3 left × 2 RU each; range
    // 1: 1 counted × the query's mean so far (2 RU), then done; range 0 again: 1 left but a page
    // of 2 was just read, then done.
    const std::vector<std::pair<std::string, double>> expected{{"0", 5}, {"0", 6}, {"1", 2}, {"1", 0}, {"0", 4}, {"0", 0}};
    EXPECT_EQ(gate.reports, expected);
    EXPECT_EQ(stats.counted, 6u);
    EXPECT_DOUBLE_EQ(stats.request_charge, 12 + 2);  // pages and counts
    EXPECT_EQ(stats.pages, 4u);
  });
}

TEST(QueryAllRanges, WithoutACountQueryNothingIsCountedOrReported) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    fake_ranges data;
    data.pages["0"] = {{"a1"}};
    std::size_t counts = 0;
    recording_gate gate;
    scripted_server::handler pages = [&](const recorded_request& req) {
      if (req.body.find("COUNT(1)") != std::string::npos) ++counts;
      return data.answer(req);
    };
    scripted_cosmos r(ctx, with_ranges({{"0", "", "FF"}}, std::move(pages)), through(gate));
    cosmos::page_sink sink = [](cosmos::query_page) -> net::awaitable<void> { co_return; };
    co_await cosmos::query_all_ranges(r.client, all_docs(), cosmos::parallel_query_options{}, sink);
    EXPECT_EQ(counts, 0u);
    EXPECT_TRUE(gate.reports.empty());
  });
}

TEST(OverlappingRanges, FindsChildrenOfASplitRange) {
  const std::vector<cosmos::pk_range> fresh{{"1", "", "40", {}}, {"2", "40", "80", {}}, {"3", "80", "FF", {}}};
  auto ids = [](const std::vector<cosmos::pk_range>& v) {
    std::vector<std::string> out;
    for (const auto& r : v) out.push_back(r.id);
    return out;
  };
  EXPECT_EQ(ids(cosmos::overlapping_ranges(fresh, "", "FF")), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(ids(cosmos::overlapping_ranges(fresh, "40", "FF")), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(ids(cosmos::overlapping_ranges(fresh, "", "40")), (std::vector<std::string>{"1"}));
  EXPECT_EQ(ids(cosmos::overlapping_ranges(fresh, "50", "60")), (std::vector<std::string>{"2"}));
}
