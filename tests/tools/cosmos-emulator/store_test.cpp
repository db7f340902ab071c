#include "tools/cosmos-emulator/store.hpp"

#include "store_fixture.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <thread>
#include <vector>

namespace idabus::emulator {
namespace {

using namespace std::chrono_literals;

TEST_F(store_fixture, UnknownCollectionIsNotFound) {
  document_request r;
  r.op = document_op::read;
  r.id = "a";
  EXPECT_EQ(s->execute("db", "nope", r).status, result_status::not_found);
  EXPECT_EQ(run("SELECT * FROM c").status, result_status::ok);
  auto q = parse_query("SELECT * FROM c");
  EXPECT_EQ(s->query("db", "nope", *q.query, {}).status, result_status::not_found);
}

TEST_F(store_fixture, ConcurrentWritersAndReadersStayConsistent) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 2000; ++i) upsert("t" + std::to_string(t) + "-" + std::to_string(i % 500), "p" + std::to_string(i % 500 % 13));
    });
  }
  threads.emplace_back([this] {
    for (int i = 0; i < 50; ++i) run("SELECT VALUE COUNT(1) FROM c");
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(*run("SELECT VALUE COUNT(1) FROM c").documents.at(0), "1000");
}

}  // namespace
}  // namespace idabus::emulator
