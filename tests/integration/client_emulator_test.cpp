// The project's Cosmos client against the real cosmos-emulator: data round trips, point
// operations, bulk routing and authentication.
#include "integration/emulator_fixture.hpp"

#include "io/cosmos/epk.hpp"
#include "io/cosmos/errors.hpp"
#include "support/run_coro.hpp"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
using idabus::test::run_coro;
using namespace idabus::test::integration;

using namespace idabus::test::integration::itest;

// Partition key values: plain, unicode (escaped and literal), numbers as strings, empty.
const std::vector<std::string> key_values = {
    "Person", "Group", "Résumé", "日本語", "emoji 😀", "123", "-5.5", "0", "", "Set\\Path", "quote\"d",
};

struct written {
  std::string id;
  std::string key;
  std::string body;
};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

written make_document(std::size_t i, const std::string& prefix = "doc-") {
  written w;
  w.id = prefix + std::to_string(i);
  w.key = key_values[i % key_values.size()];
  w.body = "{\"id\":" + json_string(w.id) + ",\"objecttype\":" + json_string(w.key) + ",\"n\":" + std::to_string(i) +
           ",\"big\":12345678901234567890,\"f\":1.50,\"text\":\"line\\nbreak \\\"q\\\" \\u00e9 \\ud83d\\ude00 é\"," +
           "\"nested\":{\"a\":[1,2,{\"b\":null}],\"t\":true}}";
  return w;
}

std::vector<cosmos::bulk_operation> upserts_of(const std::vector<written>& docs) {
  std::vector<cosmos::bulk_operation> ops;
  for (const auto& d : docs) {
    cosmos::bulk_operation op;
    op.type = cosmos::bulk_operation_type::upsert;
    op.partition_key = {cosmos::pk_component(d.key)};
    op.id = d.id;
    op.body = d.body;
    ops.push_back(std::move(op));
  }
  return ops;
}

// The stored document is the written bytes with the system properties spliced in before the
// closing brace: everything the client wrote precedes them unchanged.
bool stored_as_written(const std::string& raw, const std::string& body) {
  const std::string prefix = body.substr(0, body.size() - 1);
  return raw.compare(0, prefix.size(), prefix) == 0;
}

std::size_t count_2xx(const std::vector<cosmos::bulk_result>& results) {
  return static_cast<std::size_t>(std::count_if(results.begin(), results.end(),
                                                [](const cosmos::bulk_result& r) { return r.status / 100 == 2; }));
}

}  // namespace

TEST(ClientAgainstEmulator, ParallelQueryReturnsEveryDocumentOnceWithItsBytesAndTsFilterSelectsNewerOnes) {
  emulator emu({"--partitions", "4"});
  run_coro(
      [&](net::io_context& ctx) -> net::awaitable<void> {
        session s(ctx, emu.connection());
        co_await setup_collection(s.client);

        auto ranges = co_await s.client.read_partition_key_ranges(db, coll);
        EXPECT_EQ(ranges.size(), 4u);
        if (!ranges.empty()) {
          EXPECT_EQ(ranges.front().min_inclusive, "");
          EXPECT_EQ(ranges.back().max_exclusive, "FF");
          for (std::size_t i = 1; i < ranges.size(); ++i)
            EXPECT_EQ(ranges[i].min_inclusive, ranges[i - 1].max_exclusive) << "ranges must tile the key space";
        }

        std::vector<written> first;
        for (std::size_t i = 0; i < 2800; ++i) first.push_back(make_document(i));
        auto ops = upserts_of(first);
        auto results = co_await s.client.bulk(db, coll, std::move(ops));
        EXPECT_EQ(count_2xx(results), first.size());

        auto all = co_await collect_all(s.client, db, coll, pk_path, select_all);
        EXPECT_EQ(all.duplicates, 0u);
        EXPECT_EQ(all.raw_by_id.size(), first.size());
        EXPECT_EQ(all.stats.ranges, 4u);
        std::int64_t newest_ts = 0;
        for (const auto& w : first) {
          auto it = all.raw_by_id.find(w.id);
          if (it == all.raw_by_id.end()) {
            ADD_FAILURE() << "missing " << w.id;
            continue;
          }
          EXPECT_TRUE(stored_as_written(it->second, w.body)) << w.id << ": " << it->second;
          EXPECT_NE(it->second.find("\"_ts\":"), std::string::npos) << it->second;
        }
        // Newest _ts of the first batch, from the documents themselves.
        for (const auto& [id, raw] : all.raw_by_id) {
          auto pos = raw.find("\"_ts\":");
          if (pos != std::string::npos) newest_ts = std::max<std::int64_t>(newest_ts, std::stoll(raw.substr(pos + 6)));
        }
        EXPECT_GT(newest_ts, 0);
        if (newest_ts == 0) co_return;

        // Wait until the clock is past the first batch's second, then write a second batch.
        while (std::time(nullptr) <= newest_ts) {
          net::steady_timer timer(ctx, std::chrono::milliseconds(100));
          co_await timer.async_wait(net::use_awaitable);
        }
        std::vector<written> second;
        for (std::size_t i = 0; i < 200; ++i) second.push_back(make_document(i, "late-"));
        auto late_ops = upserts_of(second);
        auto late_results = co_await s.client.bulk(db, coll, std::move(late_ops));
        EXPECT_EQ(count_2xx(late_results), second.size());

        cosmos::query_spec since;
        since.text = "SELECT * FROM c WHERE c._ts >= @since";
        cosmos::query_parameter since_value;
        since_value.name = "@since";
        since_value.json_value = std::to_string(newest_ts + 1);
        since.parameters.push_back(std::move(since_value));
        auto newer = co_await collect_all(s.client, db, coll, pk_path, since);
        std::set<std::string> expected, got;
        for (const auto& w : second) expected.insert(w.id);
        for (const auto& [id, raw] : newer.raw_by_id) got.insert(id);
        EXPECT_EQ(got, expected);
        EXPECT_EQ(newer.duplicates, 0u);

        auto everything = co_await collect_all(s.client, db, coll, pk_path, select_all);
        EXPECT_EQ(everything.raw_by_id.size(), first.size() + second.size());
      },
      std::chrono::seconds(60));
}

TEST(ClientAgainstEmulator, PointOperationsHonourEtagsAndReportMissingDocumentsAsValues) {
  emulator emu;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    session s(ctx, emu.connection());
    co_await setup_collection(s.client);
    std::vector<cosmos::pk_component> key;
    key.emplace_back(std::string("Person"));
    const std::string p1 = "p1", p2 = "p2";
    const std::string v1 = R"({"id":"p1","objecttype":"Person","v":1})";
    const std::string v2 = R"({"id":"p1","objecttype":"Person","v":2})";
    const std::string v3 = R"({"id":"p1","objecttype":"Person","v":3})";
    const std::string p2_body = R"({"id":"p2","objecttype":"Person"})";

    auto created = co_await s.client.upsert_document(db, coll, v1, key);
    EXPECT_EQ(created.status, 201u);
    auto read = co_await s.client.read_document(db, coll, p1, key);
    EXPECT_TRUE(read.has_value());
    if (!read) co_return;
    EXPECT_NE(read->body.find(R"("v":1)"), std::string::npos) << read->body;
    EXPECT_FALSE(read->etag.empty());

    auto replaced =
        co_await s.client.replace_document(db, coll, p1, v2, key, read->etag);
    EXPECT_EQ(replaced.status, 200u);
    EXPECT_NE(replaced.etag, read->etag);

    unsigned stale_status = 0;
    try {
      co_await s.client.replace_document(db, coll, p1, v3, key, read->etag);
    } catch (const cosmos::cosmos_error& e) {
      stale_status = e.status();
    }
    EXPECT_EQ(stale_status, 412u) << "a stale If-Match must fail with 412";
    auto after = co_await s.client.read_document(db, coll, p1, key);
    EXPECT_TRUE(after && after->body.find(R"("v":2)") != std::string::npos);

    const bool deleted = co_await s.client.delete_document(db, coll, p1, key);
    EXPECT_TRUE(deleted);
    auto missing = co_await s.client.read_document(db, coll, p1, key);
    EXPECT_FALSE(missing.has_value());
    const bool deleted_again = co_await s.client.delete_document(db, coll, p1, key);
    EXPECT_FALSE(deleted_again);

    co_await s.client.upsert_document(db, coll, p2_body, key);
    std::vector<cosmos::bulk_operation> ops(2);
    ops[0].type = cosmos::bulk_operation_type::create;
    ops[0].partition_key = key;
    ops[0].id = "p2";
    ops[0].body = R"({"id":"p2","objecttype":"Person"})";
    ops[1].type = cosmos::bulk_operation_type::create;
    ops[1].partition_key = key;
    ops[1].id = "p3";
    ops[1].body = R"({"id":"p3","objecttype":"Person"})";
    auto results = co_await s.client.bulk(db, coll, std::move(ops));
    EXPECT_EQ(results.size(), 2u);
    if (results.size() == 2) {
      EXPECT_EQ(results[0].status, 409u) << "creating an existing id is a per-operation conflict";
      EXPECT_EQ(results[1].status, 201u);
    }
  });
}

TEST(ClientAgainstEmulator, BulkUpsertsAcrossPartitionsAreRoutedToTheRangeOfTheirKey) {
  emulator emu({"--partitions", "4"});
  run_coro(
      [&](net::io_context& ctx) -> net::awaitable<void> {
        std::vector<std::string> log;
        cosmos::client_options options;
        options.log = [&log](std::string_view line) { log.emplace_back(line); };
        session s(ctx, emu.connection(), options);
        co_await setup_collection(s.client);

        std::vector<written> docs;
        for (std::size_t i = 0; i < 1000; ++i) {
          auto w = make_document(i, "bulk-");
          w.key = "type-" + std::to_string(i % 97);  // many distinct keys: every range gets some
          w.body = "{\"id\":" + json_string(w.id) + ",\"objecttype\":" + json_string(w.key) + "}";
          docs.push_back(std::move(w));
        }
        auto ops = upserts_of(docs);
        auto results = co_await s.client.bulk(db, coll, std::move(ops));
        EXPECT_EQ(results.size(), docs.size());
        for (std::size_t i = 0; i < results.size(); ++i)
          EXPECT_EQ(results[i].status / 100, 2u) << docs[i].id << ": " << results[i].status << " " << results[i].message;
        for (const auto& line : log) ADD_FAILURE() << "no retry or range refresh expected: " << line;

        // Each range holds exactly the documents whose EPK falls into it.
        auto ranges = co_await s.client.read_partition_key_ranges(db, coll);
        std::size_t total = 0;
        std::set<std::size_t> ranges_used;
        for (std::size_t r = 0; r < ranges.size(); ++r) {
          std::optional<std::string> continuation;
          do {
            cosmos::page_request req;
            req.database = db;
            req.collection = coll;
            req.query.text = "SELECT * FROM c";
            req.partition_key_path = "/objecttype";
            req.range_id = ranges[r].id;
            req.continuation = continuation;
            auto page = co_await s.client.query(std::move(req));
            for (const auto& d : page.documents) {
              ++total;
              ranges_used.insert(r);
              const auto* key = d.fields.partition_key ? std::get_if<std::string>(&*d.fields.partition_key) : nullptr;
              if (!key) {
                ADD_FAILURE() << "document without a string partition key in range " << ranges[r].id;
                continue;
              }
              const std::vector<cosmos::pk_component> value{cosmos::pk_component(*key)};
              const auto epk = cosmos::effective_partition_key_v2(value);
              EXPECT_TRUE(cosmos::epk_in_range(epk, ranges[r].min_inclusive, ranges[r].max_exclusive))
                  << *key << " (EPK " << epk << ") found in range " << ranges[r].id;
            }
            continuation = page.continuation;
          } while (continuation);
        }
        EXPECT_EQ(total, docs.size());
        EXPECT_EQ(ranges_used.size(), 4u) << "97 distinct keys should reach all 4 ranges";
      },
      std::chrono::seconds(30));
}

TEST(ClientAgainstEmulator, WrongKeyIsUnauthorizedAndTheMessageDoesNotContainTheKey) {
  emulator emu;
  const std::string wrong = "d3JvbmcgdGVzdCBrZXkgdGhhdCBpcyBub3QgdGhlIGVtdWxhdG9yIGtleSAxMjM0NTY3OA==";
  std::string message;
  unsigned status = 0;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    session s(ctx, emu.connection(wrong));
    try {
      co_await s.client.create_database_if_missing(db);
    } catch (const cosmos::cosmos_error& e) {
      status = e.status();
      message = e.what();
    }
  });
  EXPECT_EQ(status, 401u) << message;
  EXPECT_FALSE(message.empty());
  EXPECT_EQ(message.find(wrong), std::string::npos) << message;
  EXPECT_EQ(message.find(emulator_key), std::string::npos) << message;
}
