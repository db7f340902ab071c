#pragma once
// store_fixture: a store with database "db" and collection "items" (partition key /pk) on
// controllable clocks, plus shorthands for document operations and queries. Shared by the
// store_*_test.cpp files.

#include "tools/cosmos-emulator/store.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace idabus::emulator {

struct store_fixture : ::testing::Test {
  using seconds = std::chrono::seconds;
  std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::time_point{} + seconds(1000);
  std::int64_t unix_seconds = 1700000000;
  std::unique_ptr<store> s;

  store_options options(double ru = 0, std::uint32_t partitions = 4) {
    store_options o;
    o.partitions = partitions;
    o.default_throughput = ru;
    o.steady_now = [this] { return steady; };
    o.unix_now = [this] { return unix_seconds; };
    return o;
  }

  void open(double ru = 0, std::uint32_t partitions = 4) {
    s = std::make_unique<store>(options(ru, partitions));
    ASSERT_EQ(s->create_database(R"({"id":"db"})").status, result_status::created);
    ASSERT_EQ(s->create_collection("db", R"({"id":"items","partitionKey":{"paths":["/pk"],"kind":"Hash","version":2}})",
                                   std::nullopt)
                  .status,
              result_status::created);
  }

  void SetUp() override { open(); }

  static std::string pk_header(std::string_view v) { return "[\"" + std::string(v) + "\"]"; }

  op_result put(document_op op, std::string body, std::string pk, std::optional<std::string> if_match = {},
                std::string id = {}) {
    document_request r;
    r.op = op;
    r.body = body;
    r.id = id;
    const std::string header = pk_header(pk);
    r.partition_key = header;
    if (if_match) r.if_match = *if_match;
    return s->execute("db", "items", r);
  }
  op_result create(std::string id, std::string pk, std::string extra = {}) {
    return put(document_op::create, R"({"id":")" + id + R"(","pk":")" + pk + "\"" + extra + "}", pk);
  }
  op_result upsert(std::string id, std::string pk, std::string extra = {}) {
    return put(document_op::upsert, R"({"id":")" + id + R"(","pk":")" + pk + "\"" + extra + "}", pk);
  }
  op_result read(std::string id, std::string pk) {
    document_request r;
    r.op = document_op::read;
    r.id = id;
    const std::string header = pk_header(pk);
    r.partition_key = header;
    return s->execute("db", "items", r);
  }
  op_result remove(std::string id, std::string pk, std::optional<std::string> if_match = {}) {
    document_request r;
    r.op = document_op::remove;
    r.id = id;
    const std::string header = pk_header(pk);
    r.partition_key = header;
    if (if_match) r.if_match = *if_match;
    return s->execute("db", "items", r);
  }

  query_page run(std::string_view sql, query_options o = {}) {
    auto q = parse_query(sql);
    EXPECT_TRUE(q.query) << q.error;
    return s->query("db", "items", *q.query, o);
  }

  static std::string field(const std::string& json, const char* pointer) {
    simdjson::dom::parser p;
    simdjson::dom::element e;
    if (p.parse(json).at_pointer(pointer).get(e)) return "<missing>";
    if (e.is_string()) return std::string(e.get_string().value());
    return simdjson::minify(e);
  }
};

}  // namespace idabus::emulator
