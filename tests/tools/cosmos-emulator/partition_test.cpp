#include "tools/cosmos-emulator/partition.hpp"

#include <gtest/gtest.h>

namespace idabus::emulator {
namespace {

document_ptr doc(std::string id, std::int64_t ts, std::uint64_t seq) {
  auto d = std::make_shared<stored_document>();
  d->id = id;
  d->pk_key = "p";
  d->key = document_key(d->pk_key, id);
  d->bytes = "{\"id\":\"" + id + "\"}";
  d->ts = ts;
  d->seq = seq;
  return d;
}

TEST(Partition, KeepsDocumentsByKeyAndInTsOrder) {
  partition p(0, {});
  p.put(doc("b", 10, 2));
  p.put(doc("a", 10, 1));
  p.put(doc("c", 9, 3));
  ASSERT_EQ(p.size(), 3u);
  std::vector<std::string> order;
  for (const auto& [k, d] : p.by_ts()) order.push_back(d->id);
  EXPECT_EQ(order, (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_TRUE(p.find(document_key("p", "a")));
  EXPECT_FALSE(p.find(document_key("q", "a")));
}

TEST(Partition, ReplacingMovesTheDocumentToItsNewTsPosition) {
  partition p(0, {});
  p.put(doc("a", 1, 1));
  p.put(doc("b", 2, 2));
  auto previous = p.put(doc("a", 3, 3));
  ASSERT_TRUE(previous);
  EXPECT_EQ(previous->seq, 1u);
  EXPECT_EQ(p.size(), 2u);
  EXPECT_EQ(p.by_ts().size(), 2u);
  EXPECT_EQ(p.by_ts().rbegin()->second->id, "a");
}

TEST(Partition, RemoveDropsBothIndexesAndBytes) {
  partition p(0, {});
  p.put(doc("a", 1, 1));
  EXPECT_GT(p.bytes(), 0u);
  EXPECT_TRUE(p.remove(document_key("p", "a")));
  EXPECT_FALSE(p.remove(document_key("p", "a")));
  EXPECT_EQ(p.size(), 0u);
  EXPECT_TRUE(p.by_ts().empty());
  EXPECT_EQ(p.bytes(), 0u);
}

TEST(DocumentKey, DistinguishesPartitionKeyFromIdBoundary) {
  EXPECT_NE(document_key("ab", "c"), document_key("a", "bc"));
}

}  // namespace
}  // namespace idabus::emulator
