#pragma once
// upsert_all: writes tenant-gen documents into a collection with the project's bulk client, for
// tests that need a source to back up. Every operation must succeed (a failure is a gtest failure
// naming the server's message). Cancellation: as cosmos::client::bulk.

#include "io/cosmos/client.hpp"
#include "tools/tenant-gen/generator.hpp"

#include <boost/asio/awaitable.hpp>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace idabus::test::integration {

inline boost::asio::awaitable<void> upsert_all(io::cosmos::client& client, std::string database,
                                               std::string collection,
                                               std::vector<tenant_gen::generated_document> docs) {
  namespace cosmos = io::cosmos;
  std::vector<cosmos::bulk_operation> ops;
  for (auto& d : docs) {
    cosmos::bulk_operation op;
    op.type = cosmos::bulk_operation_type::upsert;
    op.partition_key = {cosmos::pk_component(d.partition_key)};
    op.id = d.id;
    op.body = std::move(d.body);
    ops.push_back(std::move(op));
  }
  auto results = co_await client.bulk(std::move(database), std::move(collection), std::move(ops));
  for (const auto& r : results) EXPECT_EQ(r.status / 100, 2u) << r.message;
}

}  // namespace idabus::test::integration
