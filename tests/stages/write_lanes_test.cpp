#include "stages/write_lanes.hpp"

#include "io/cosmos/epk.hpp"
#include "pipeline/run_stages.hpp"
#include "bulk_body.hpp"
#include "support/background_run.hpp"
#include "support/run_coro.hpp"
#include "support/scripted_cosmos.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/co_assert.hpp"

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
namespace pipeline = idabus::pipeline;
namespace stages = idabus::stages;
using idabus::test::recorded_request;
using idabus::test::reply;
using idabus::test::scripted_server;

namespace {

using idabus::test::two_ranges_body;

std::string range_of(const std::string& key) {
  static const auto ranges = cosmos::parse_partition_key_ranges(two_ranges_body);
  const std::vector<cosmos::pk_component> pk{key};
  return cosmos::range_for_epk(ranges, cosmos::effective_partition_key_v2(pk))->id;
}

/// The first `n` keys "k<i>" that two_ranges_body puts on `range`.
std::vector<std::string> keys_on(const std::string& range, std::size_t n) {
  std::vector<std::string> out;
  for (int i = 0; out.size() < n; ++i) {
    if (range_of("k" + std::to_string(i)) == range) out.push_back("k" + std::to_string(i));
  }
  return out;
}

using idabus::stages::bulk_body::operations_in;
using sent_operation = idabus::stages::bulk_body::bulk_body_operation;

std::string answer(const std::vector<std::string>& per_operation) {
  std::string body = "[";
  for (std::size_t i = 0; i < per_operation.size(); ++i) body += (i ? "," : "") + per_operation[i];
  return body + "]";
}

const std::string created = R"({"statusCode":201,"requestCharge":5})";

stages::write_document document(std::string id, int version = 1) {
  stages::write_document d;
  d.partition_key.emplace_back(id);
  d.body = R"({"id":")" + id + R"(","v":)" + std::to_string(version) + "}";
  d.id = std::move(id);
  return d;
}

// A scripted Cosmos of two_ranges_body's two ranges; `writes` answers every other request.
struct rig : idabus::test::scripted_cosmos {
  rig(net::io_context& ctx, scripted_server::handler writes)
      : scripted_cosmos(ctx, idabus::test::answering_ranges(two_ranges_body, std::move(writes)), options()) {}

  static cosmos::client_options options() {
    cosmos::client_options o;
    o.jitter_seed = 7;
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    o.retry.max_backoff = std::chrono::milliseconds(5);
    return o;
  }

  std::vector<const recorded_request*> bulk_requests() const {
    std::vector<const recorded_request*> out;
    for (const auto& r : server.requests()) {
      if (!r.target.ends_with("/pkranges")) out.push_back(&r);
    }
    return out;
  }
};

stages::write_lanes_options lane_options() {
  stages::write_lanes_options o;
  o.database = "idabus";
  o.collection = "Events";
  return o;
}

net::awaitable<void> send_all(std::vector<stages::write_document> documents, pipeline::channel<stages::write_document>& out) {
  for (auto& d : documents) co_await out.send(std::move(d));
  out.finish();
}

/// Runs a source sending `documents` through a channel of `capacity` and run_write_lanes on it.
net::awaitable<void> write_all(cosmos::client& client, stages::write_lanes_options options,
                               std::vector<stages::write_document> documents, std::size_t capacity,
                               stages::write_lanes_counters& counters) {
  pipeline::channel<stages::write_document> in(capacity);
  std::vector<pipeline::named_stage> run;
  run.push_back({"source", send_all(std::move(documents), in)});
  run.push_back({"write", stages::run_write_lanes(client, std::move(options), in, counters)});
  co_await pipeline::run_stages(std::move(run));
}

/// Documents "k0" to "k<n-1>".
std::vector<stages::write_document> numbered_documents(int n) {
  std::vector<stages::write_document> out;
  for (int i = 0; i < n; ++i) out.push_back(document("k" + std::to_string(i)));
  return out;
}

scripted_server::handler all_created() {
  return [](const recorded_request& req) {
    std::vector<std::string> per_op(operations_in(req.body).size(), created);
    return reply::ok(answer(per_op)).header("x-ms-request-charge", std::to_string(5 * per_op.size()));
  };
}

/// Writes everything at once, but answers range "1" only after a minute.
scripted_server::handler range_1_stalls() { return idabus::test::stalling_range("1", all_created()); }

/// Runs `writing` against range_1_stalls() until range "0" has written `cold` documents, expects
/// range "1" to have written none meanwhile, then stops it.
net::awaitable<void> expect_range_0_written_while_1_stalls(net::io_context& ctx, net::awaitable<void> writing,
                                                           stages::write_lanes_counters& counters, std::size_t cold) {
  idabus::test::background_run running(ctx, std::move(writing));
  std::function<bool()> cold_written = [&] { return counters.ranges["0"].written >= cold; };
  co_await idabus::test::poll_until(std::move(cold_written));
  EXPECT_EQ(counters.ranges["1"].written, 0u);
  co_await running.stop();
}

/// Applies versions as they arrive and throttles every other first attempt of a version, so a
/// version re-sent after a 429 lands after any later version sent meanwhile.
struct throttling_applier {
  std::map<std::string, std::vector<int>> applied;
  std::map<std::string, int> attempts;
  int answered = 0;

  /// False when this attempt is throttled; otherwise the version is applied.
  bool apply(const sent_operation& op) {
    const std::string version_key = op.id + "#" + std::to_string(op.version);
    if (attempts[version_key]++ == 0 && answered++ % 2 == 0) return false;
    applied[op.id].push_back(op.version);
    return true;
  }
  std::chrono::milliseconds delay() const { return std::chrono::milliseconds(answered % 3); }
};

/// Versions 1-3 of "k0" to "k29" (one document's next to each other), then versions 4-6 of each.
std::vector<stages::write_document> two_rounds_of_versions() {
  std::vector<stages::write_document> docs;
  for (int i = 0; i < 30; ++i) {
    for (int version = 1; version <= 3; ++version) docs.push_back(document("k" + std::to_string(i), version));
  }
  for (int i = 0; i < 30; ++i) {
    for (int version = 4; version <= 6; ++version) docs.push_back(document("k" + std::to_string(i), version));
  }
  return docs;
}

/// Each document of two_rounds_of_versions() applied once per version, in version order.
void expect_every_version_applied_in_order(const std::map<std::string, std::vector<int>>& applied) {
  ASSERT_EQ(applied.size(), 30u);
  for (const auto& [id, versions] : applied) {
    EXPECT_EQ(versions, (std::vector<int>{1, 2, 3, 4, 5, 6})) << id;
  }
}

}  // namespace

TEST(WriteLanes, WritesEveryDocumentToTheRangeHoldingIt) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, all_created());
    stages::write_lanes_counters counters;
    co_await write_all(r.client, lane_options(), numbered_documents(300), 8, counters);
    EXPECT_EQ(counters.total.written, 300u);
    EXPECT_EQ(counters.total.rejected, 0u);
    EXPECT_DOUBLE_EQ(counters.total.ru, 1500.0);
    std::size_t operations = 0;
    for (const auto* req : r.bulk_requests()) {
      const auto ops = operations_in(req->body);
      EXPECT_LE(ops.size(), 100u);
      operations += ops.size();
      for (const auto& op : ops) EXPECT_EQ(range_of(op.id), req->header("x-ms-documentdb-partitionkeyrangeid")) << op.id;
    }
    EXPECT_EQ(operations, 300u);
    EXPECT_EQ(counters.total.requests, r.bulk_requests().size());
    EXPECT_EQ(counters.ranges["0"].written + counters.ranges["1"].written, 300u);
    EXPECT_GT(counters.ranges["0"].written, 0u);
    EXPECT_GT(counters.ranges["1"].written, 0u);
  });
}

TEST(WriteLanes, AnEmptyStreamEndsWithoutWriting) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, all_created());
    pipeline::channel<stages::write_document> in(8);
    in.finish();
    stages::write_lanes_counters counters;
    co_await stages::run_write_lanes(r.client, lane_options(), in, counters);
    EXPECT_EQ(counters.total.written, 0u);
    EXPECT_TRUE(r.bulk_requests().empty());
  });
}

TEST(WriteLanes, AnUpstreamFailureIsReportedAsTheUpstreamsAndStopsTheLanes) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, all_created());
    pipeline::channel<stages::write_document> in(2);
    stages::write_lanes_counters counters;
    auto failing_source = [](pipeline::channel<stages::write_document>& out) -> net::awaitable<void> {
      for (int i = 0; i < 5; ++i) co_await out.send(document("k" + std::to_string(i)));
      throw std::runtime_error("backup file is damaged");
    };
    std::vector<pipeline::named_stage> run;
    run.push_back({"source", failing_source(in)});
    run.push_back({"write", stages::run_write_lanes(r.client, lane_options(), in, counters)});
    std::string stage;
    try {
      co_await pipeline::run_stages(std::move(run));
    } catch (const pipeline::stage_error& e) {
      stage = e.stage();
    }
    EXPECT_EQ(stage, "source");
  });
}

TEST(WriteLanes, CancellationWhileARequestIsInFlightEndsPromptly) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(idabus::test::run_coro(
                   [](net::io_context& ctx) -> net::awaitable<void> {
                     rig r(ctx, [](const recorded_request&) {
                                        return reply::ok("[]").after(std::chrono::seconds(60));
                     });
                     pipeline::channel<stages::write_document> in(1000);
                     for (int i = 0; i < 500; ++i) co_await in.send(document("k" + std::to_string(i)));
                     stages::write_lanes_counters counters;
                     co_await stages::run_write_lanes(r.client, lane_options(), in, counters);
                   },
                   std::chrono::milliseconds(300)),
               std::runtime_error);
  // run_coro gives a coroutine that ignores cancellation 2 s of grace; this one must stop at once.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST(WriteLanes, KeepsTheOrderOfOneDocumentsVersionsAcrossManyLanes) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    throttling_applier server;
    rig r(ctx, [&](const recorded_request& req) {
      std::vector<std::string> per_op;
      for (const auto& op : operations_in(req.body)) {
        per_op.push_back(server.apply(op) ? created : R"({"statusCode":429,"retryAfterMilliseconds":10})");
      }
      return reply::with_status(207, answer(per_op)).after(server.delay());
    });
    stages::write_lanes_counters counters;
    auto options = lane_options();
    options.lanes_per_range = 4;
    options.max_batch_operations = 7;
    co_await write_all(r.client, options, two_rounds_of_versions(), 16, counters);
    EXPECT_EQ(counters.total.written, 180u);
    EXPECT_GT(counters.total.throttled_operations, 0u);
    expect_every_version_applied_in_order(server.applied);
  });
}

TEST(WriteLanes, AHotRangeDoesNotHoldBackAColdOne) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    // Range "1" is hot and stalls; the documents of range "0" queued behind its documents must
    // still be written. A writer with one shared queue (every lane consuming it, each batch routed
    // inside client.bulk) fails this: its consumers take hot documents first and all stall.
    rig r(ctx, range_1_stalls());
    std::vector<stages::write_document> docs;
    for (const auto& k : keys_on("1", 12)) docs.push_back(document(k));
    const auto cold = keys_on("0", 5);
    for (const auto& k : cold) docs.push_back(document(k));
    stages::write_lanes_counters counters;
    auto options = lane_options();
    options.lanes_per_range = 1;
    options.max_batch_operations = 2;
    options.lane_capacity = 16;
    auto writing = write_all(r.client, options, std::move(docs), 1, counters);
    co_await expect_range_0_written_while_1_stalls(ctx, std::move(writing), counters, cold.size());
  }, std::chrono::seconds(5));
}

TEST(WriteLanes, CountsTheTimeInRequestsAndTheRoutersWaitForRoomPerRange) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    // Range "1" answers each request after 50 ms; one document per batch, one batch in flight,
    // one queued: the router must wait for room before the third document.
    rig r(ctx, [](const recorded_request& req) {
      std::vector<std::string> per_op(operations_in(req.body).size(), created);
      return reply::ok(answer(per_op)).after(std::chrono::milliseconds(50));
    });
    std::vector<stages::write_document> docs;
    for (const auto& k : keys_on("1", 6)) docs.push_back(document(k));
    stages::write_lanes_counters counters;
    auto options = lane_options();
    options.lanes_per_range = 1;
    options.max_batch_operations = 1;
    options.lane_capacity = 1;
    co_await write_all(r.client, options, std::move(docs), 1, counters);
    const auto& hot = counters.ranges["1"];
    EXPECT_EQ(hot.written, 6u);
    EXPECT_GE(hot.request_seconds, 6 * 0.050);  // at least the server's delay, per request
    EXPECT_GE(counters.total.request_seconds, hot.request_seconds);
    EXPECT_GT(hot.router_blocked_seconds, 0.0);
    EXPECT_EQ(counters.ranges["0"].router_blocked_seconds, 0.0);
  });
}

TEST(WriteLanes, ARouterWaitingForAFullLaneHoldsBackOnlyItsOwnInput) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    // Input 0 carries range "1"'s documents, which stall and fill its lane; input 1 carries range
    // "0"'s, which must all be written meanwhile. One router for both inputs fails this: it waits
    // on range "1"'s full lane and never takes input 1's documents.
    rig r(ctx, range_1_stalls());
    std::vector<stages::write_document> stalled;
    for (const auto& k : keys_on("1", 12)) stalled.push_back(document(k));
    std::vector<stages::write_document> fed;
    const auto cold = keys_on("0", 5);
    for (const auto& k : cold) fed.push_back(document(k));
    pipeline::channel<stages::write_document> hot_in(1);
    pipeline::channel<stages::write_document> cold_in(1);
    stages::write_lanes_counters counters;
    auto options = lane_options();
    options.lanes_per_range = 1;
    options.max_batch_operations = 2;
    options.lane_capacity = 2;
    auto writer = [&]() -> net::awaitable<void> {
      std::vector<pipeline::named_stage> run;
      run.push_back({"stalled source", send_all(std::move(stalled), hot_in)});
      run.push_back({"fed source", send_all(std::move(fed), cold_in)});
      std::vector<pipeline::channel<stages::write_document>*> inputs{&hot_in, &cold_in};
      run.push_back({"write", stages::run_write_lanes(r.client, options, std::move(inputs), counters)});
      co_await pipeline::run_stages(std::move(run));
    };
    co_await expect_range_0_written_while_1_stalls(ctx, writer(), counters, cold.size());
  }, std::chrono::seconds(5));
}

TEST(WriteLanes, CutsBatchesAtASliceOfTheRangesShareOfPredictedRu) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, all_created());
    stages::write_lanes_counters counters;
    auto options = lane_options();
    options.range_ru_per_second = 100;  // 0.1 s of it: 10 RU, two 5-RU writes
    options.batch_seconds = 0.1;
    co_await write_all(r.client, options, numbered_documents(40), 64, counters);
    EXPECT_EQ(counters.total.written, 40u);
    for (const auto* req : r.bulk_requests()) EXPECT_LE(operations_in(req->body).size(), 2u);
    EXPECT_GE(r.bulk_requests().size(), 20u);
  });
}

TEST(WriteLanes, CountsRejectedDocumentsWithTheirReason) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, [](const recorded_request& req) {
      std::vector<std::string> per_op;
      for (const auto& op : operations_in(req.body)) {
        per_op.push_back(op.id == "k3" ? R"({"statusCode":413,"message":"Request size is too large"})" : created);
      }
      return reply::with_status(207, answer(per_op));
    });
    stages::write_lanes_counters counters;
    co_await write_all(r.client, lane_options(), numbered_documents(10), 16, counters);
    EXPECT_EQ(counters.total.written, 9u);
    EXPECT_EQ(counters.total.rejected, 1u);
    CO_ASSERT_EQ(counters.rejections.size(), 1u);
    EXPECT_EQ(counters.rejections[0].id, "k3");
    EXPECT_EQ(counters.rejections[0].partition_key, R"(["k3"])");
    EXPECT_EQ(counters.rejections[0].status, 413u);
    EXPECT_EQ(counters.rejections[0].message, "Request size is too large");
  });
}

TEST(WriteLanes, ADocumentTooLargeForARequestIsRejectedAndTheOthersAreWritten) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, [](const recorded_request& req) {
      if (req.body.size() > 100000) {
        return reply::with_status(413, R"({"code":"RequestEntityTooLarge","message":"Request size is too large"})");
      }
      std::vector<std::string> per_op(operations_in(req.body).size(), created);
      return reply::ok(answer(per_op));
    });
    auto docs = numbered_documents(10);
    docs[4].body = R"({"id":"k4","pad":")" + std::string(150000, 'x') + R"("})";
    stages::write_lanes_counters counters;
    auto options = lane_options();
    options.max_batch_bytes = 50000;  // the big one travels alone
    co_await write_all(r.client, options, std::move(docs), 16, counters);
    EXPECT_EQ(counters.total.written, 9u);
    EXPECT_EQ(counters.total.rejected, 1u);
    CO_ASSERT_EQ(counters.rejections.size(), 1u);
    EXPECT_EQ(counters.rejections[0].id, "k4");
    EXPECT_EQ(counters.rejections[0].status, 413u);
    EXPECT_EQ(counters.rejections[0].message, "Request size is too large");
  });
}

TEST(WriteLanes, ReportsEachDocumentsFinalResultOnceWithItsTicket) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    // Every other first attempt throttled: a document re-sent is still reported once, at the end.
    std::map<std::string, int> attempts;
    rig r(ctx, [&](const recorded_request& req) {
      std::vector<std::string> per_op;
      for (const auto& op : operations_in(req.body)) {
        if (attempts[op.id]++ == 0 && op.id.size() % 2 == 0) {
          per_op.push_back(R"({"statusCode":429,"retryAfterMilliseconds":1})");
        } else {
          per_op.push_back(op.id == "k13" ? R"({"statusCode":400,"message":"bad document"})" : created);
        }
      }
      return reply::with_status(207, answer(per_op));
    });
    auto docs = numbered_documents(40);
    for (std::size_t i = 0; i < docs.size(); ++i) docs[i].ticket = 1000 + i;
    stages::write_lanes_counters counters;
    std::map<std::uint64_t, int> reported;
    std::map<std::uint64_t, unsigned> rejected;
    auto options = lane_options();
    options.lanes_per_range = 3;
    options.max_batch_operations = 5;
    options.on_result = [&](std::uint64_t ticket, const stages::write_rejection* rejection) {
      ++reported[ticket];
      if (rejection) rejected[ticket] = rejection->status;
    };
    co_await write_all(r.client, options, std::move(docs), 4, counters);
    EXPECT_GT(counters.total.throttled_operations, 0u);
    CO_ASSERT_EQ(reported.size(), 40u);
    for (const auto& [ticket, times] : reported) {
      EXPECT_GE(ticket, 1000u);
      EXPECT_LT(ticket, 1040u);
      EXPECT_EQ(times, 1) << ticket;
    }
    EXPECT_EQ(rejected, (std::map<std::uint64_t, unsigned>{{1013, 400u}}));
  });
}

TEST(WriteLanes, RejectsOptionsOutOfRange) {
  auto options = lane_options();
  options.lanes_per_range = 0;
  EXPECT_THROW(stages::validate(options), std::invalid_argument);
  options = lane_options();
  options.batch_seconds = 2;
  EXPECT_THROW(stages::validate(options), std::invalid_argument);
  options = lane_options();
  options.max_batch_operations = 101;
  EXPECT_THROW(stages::validate(options), std::invalid_argument);
}

// ---- point mode: one upsert request per document, through the same lanes ----

namespace {

/// Id and "v" of a point request's body (the document itself).
idabus::stages::bulk_body::bulk_body_operation point_document(const recorded_request& req) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(req.body);
  idabus::stages::bulk_body::bulk_body_operation o;
  o.id = std::string(std::string_view(doc["id"]));
  std::int64_t v = 0;
  if (doc["v"].get_int64().get(v) == simdjson::SUCCESS) o.version = static_cast<int>(v);
  return o;
}

stages::write_lanes_options point_options() {
  auto o = lane_options();
  o.mode = stages::write_mode::point;
  return o;
}

const std::string point_created = R"({"id":"x"})";

}  // namespace

TEST(WriteLanesPointMode, WritesEachDocumentWithItsOwnUpsertRequest) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, [](const recorded_request&) {
      return reply::with_status(201, point_created).header("x-ms-request-charge", "5");
    });
    stages::write_lanes_counters counters;
    co_await write_all(r.client, point_options(), numbered_documents(60), 8, counters);
    EXPECT_EQ(counters.total.written, 60u);
    EXPECT_EQ(counters.total.requests, 60u);
    EXPECT_DOUBLE_EQ(counters.total.ru, 300.0);
    EXPECT_EQ(counters.ranges["0"].written + counters.ranges["1"].written, 60u);
    std::set<std::string> ids;
    for (const auto* req : r.bulk_requests()) {
      EXPECT_EQ(req->method, "POST");
      EXPECT_EQ(req->target, "/dbs/idabus/colls/Events/docs");
      EXPECT_EQ(req->header("x-ms-documentdb-is-upsert"), "True");
      EXPECT_EQ(req->header("x-ms-cosmos-is-batch-request"), "");
      const auto doc = point_document(*req);
      EXPECT_EQ(req->header("x-ms-documentdb-partitionkey"), R"([")" + doc.id + R"("])");
      ids.insert(doc.id);
    }
    EXPECT_EQ(ids.size(), 60u);
  });
}

TEST(WriteLanesPointMode, HasManyRequestsInFlightPerSubLane) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, [](const recorded_request&) {
      return reply::with_status(201, point_created).after(std::chrono::milliseconds(20));
    });
    // One sub-lane per range, twelve documents on range "1": one request at a time would use
    // one connection; a batch's requests at once need one each.
    std::vector<stages::write_document> docs;
    for (const auto& key : keys_on("1", 12)) docs.push_back(document(key));
    pipeline::channel<stages::write_document> in(16);
    for (auto& d : docs) co_await in.send(std::move(d));
    in.finish();
    stages::write_lanes_counters counters;
    auto options = point_options();
    options.lanes_per_range = 1;
    co_await stages::run_write_lanes(r.client, options, in, counters);
    EXPECT_EQ(counters.total.written, 12u);
    std::set<std::size_t> connections;
    for (const auto* req : r.bulk_requests()) connections.insert(req->connection);
    EXPECT_EQ(connections.size(), 12u);
  });
}

TEST(WriteLanesPointMode, KeepsTheOrderOfOneDocumentsVersionsAcrossManyLanes) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    throttling_applier server;  // as in bulk mode, with a 429 for the whole request
    rig r(ctx, [&](const recorded_request& req) {
      if (!server.apply(point_document(req))) {
        return reply::with_status(429, R"({"code":"TooManyRequests","message":"throttled"})")
            .header("x-ms-retry-after-ms", "10");
      }
      return reply::with_status(201, point_created).after(server.delay());
    });
    stages::write_lanes_counters counters;
    auto options = point_options();
    options.lanes_per_range = 4;
    co_await write_all(r.client, options, two_rounds_of_versions(), 16, counters);
    EXPECT_EQ(counters.total.written, 180u);
    EXPECT_GT(counters.total.throttled_operations, 0u);
    EXPECT_EQ(counters.total.requests, 180u + counters.total.throttled_operations);
    expect_every_version_applied_in_order(server.applied);
  });
}

TEST(WriteLanesPointMode, ADocumentTheServiceRefusesIsRejectedWithItsReasonAndTheOthersAreWritten) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, [](const recorded_request& req) {
      const auto doc = point_document(req);
      if (doc.id == "k3") return reply::with_status(400, R"({"code":"BadRequest","message":"id is not allowed"})");
      if (doc.id == "k7") {
        return reply::with_status(413, R"({"code":"RequestEntityTooLarge","message":"Request size is too large"})");
      }
      return reply::with_status(201, point_created);
    });
    auto docs = numbered_documents(10);
    for (std::size_t i = 0; i < docs.size(); ++i) docs[i].ticket = i;
    stages::write_lanes_counters counters;
    std::map<std::uint64_t, unsigned> rejected;
    auto options = point_options();
    options.on_result = [&](std::uint64_t ticket, const stages::write_rejection* rejection) {
      if (rejection) rejected[ticket] = rejection->status;
    };
    co_await write_all(r.client, options, std::move(docs), 16, counters);
    EXPECT_EQ(counters.total.written, 8u);
    EXPECT_EQ(counters.total.rejected, 2u);
    EXPECT_EQ(rejected, (std::map<std::uint64_t, unsigned>{{3, 400u}, {7, 413u}}));
    CO_ASSERT_EQ(counters.rejections.size(), 2u);
    const auto& k3 = counters.rejections[0].id == "k3" ? counters.rejections[0] : counters.rejections[1];
    EXPECT_EQ(k3.id, "k3");
    EXPECT_EQ(k3.partition_key, R"(["k3"])");
    EXPECT_EQ(k3.message, "id is not allowed");
  });
}

TEST(WriteLanesPointMode, AFailureOfTheTargetFailsTheStageInsteadOfRejectingDocuments) {
  idabus::test::run_coro([](net::io_context& ctx) -> net::awaitable<void> {
    rig r(ctx, [](const recorded_request&) {
      return reply::with_status(404, R"({"code":"NotFound","message":"collection dropped"})");
    });
    stages::write_lanes_counters counters;
    std::string what;
    try {
      co_await write_all(r.client, point_options(), numbered_documents(10), 16, counters);
    } catch (const pipeline::stage_error& e) {
      what = e.what();
    }
    EXPECT_NE(what.find("collection dropped"), std::string::npos) << what;
    EXPECT_EQ(counters.total.rejected, 0u);
  });
}
