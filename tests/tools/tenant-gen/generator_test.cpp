#include "tools/tenant-gen/generator.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace tg = idabus::tenant_gen;
using tg::collection_kind;
using tg::object_type;

namespace {

std::vector<tg::generated_document> all_documents(const tg::tenant_generator& gen, collection_kind kind) {
  std::vector<tg::generated_document> docs;
  for (std::uint64_t i = 0; i < gen.plan().count(kind); ++i) docs.push_back(gen.generate(kind, i));
  return docs;
}

std::string str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

std::vector<std::string> strings(simdjson::dom::element e, const char* key) {
  std::vector<std::string> out;
  simdjson::dom::array a;
  if (e[key].get_array().get(a) != simdjson::SUCCESS) return out;
  for (auto item : a) out.emplace_back(std::string_view(item.get_string()));
  return out;
}

}  // namespace

TEST(PlanTenant, SplitsDocumentsSeventyTwentyTen) {
  auto p = tg::plan_tenant(1000, 1);
  EXPECT_EQ(p.resources, 700u);
  EXPECT_EQ(p.events, 200u);
  EXPECT_EQ(p.workflow_executions, 100u);
  EXPECT_EQ(p.per_type[static_cast<int>(object_type::person)], 420u);
  EXPECT_EQ(p.per_type[static_cast<int>(object_type::group)], 105u);
  EXPECT_EQ(p.per_type[static_cast<int>(object_type::set)], 42u);
  std::uint64_t sum = 0;
  for (auto n : p.per_type) sum += n;
  EXPECT_EQ(sum, p.resources);
}

TEST(PlanTenant, EveryDocumentIsAssignedForOddCounts) {
  for (std::uint64_t n : {1u, 2u, 3u, 7u, 999u, 1001u}) {
    auto p = tg::plan_tenant(n, 1);
    EXPECT_EQ(p.total(), n);
  }
}

TEST(TenantGenerator, SameSeedGivesByteIdenticalDocuments) {
  tg::tenant_generator a(tg::plan_tenant(600, 7)), b(tg::plan_tenant(600, 7));
  for (auto kind : tg::all_collections) {
    // b generates in reverse order: a document depends only on (seed, collection, index).
    const auto n = a.plan().count(kind);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto x = a.generate(kind, i);
      auto y = b.generate(kind, n - 1 - i);
      auto y2 = b.generate(kind, i);
      ASSERT_EQ(x.body, y2.body);
      ASSERT_EQ(x.id, y2.id);
      ASSERT_EQ(x.partition_key, y2.partition_key);
      (void)y;
    }
  }
}

TEST(TenantGenerator, DifferentSeedGivesDifferentDocuments) {
  tg::tenant_generator a(tg::plan_tenant(300, 7)), b(tg::plan_tenant(300, 8));
  for (auto kind : tg::all_collections) {
    for (std::uint64_t i = 0; i < a.plan().count(kind); ++i) {
      auto x = a.generate(kind, i);
      auto y = b.generate(kind, i);
      ASSERT_NE(x.id, y.id);
      ASSERT_NE(x.body, y.body);
    }
  }
}

TEST(TenantGenerator, EveryDocumentIsValidJsonWithItsIdAndPartitionKey) {
  tg::tenant_generator gen(tg::plan_tenant(2000, 3));
  simdjson::dom::parser parser;
  std::set<std::string> ids;
  for (auto kind : tg::all_collections) {
    for (std::uint64_t i = 0; i < gen.plan().count(kind); ++i) {
      auto doc = gen.generate(kind, i);
      simdjson::dom::element root;
      ASSERT_EQ(parser.parse(doc.body).get(root), simdjson::SUCCESS) << doc.body;
      ASSERT_TRUE(root.is_object());
      EXPECT_EQ(str(root, "id"), doc.id);
      EXPECT_EQ(doc.id, gen.id_of(kind, i));
      EXPECT_TRUE(ids.insert(doc.id).second) << "duplicate id " << doc.id;
      if (kind == collection_kind::resources) {
        EXPECT_EQ(str(root, "objecttype"), doc.partition_key);
        EXPECT_EQ(doc.partition_key, tg::object_type_name(gen.resource_type(i)));
      } else {
        EXPECT_EQ(doc.partition_key, doc.id);
      }
    }
  }
}

TEST(TenantGenerator, ResourceSizesFollowTheDistribution) {
  tg::tenant_generator gen(tg::plan_tenant(5000, 11));
  std::size_t persons = 0, small_persons = 0, big = 0, large_groups = 0, groups = 0;
  std::size_t group_bytes = 0, person_bytes = 0;
  for (std::uint64_t i = 0; i < gen.plan().resources; ++i) {
    auto doc = gen.generate(collection_kind::resources, i);
    ASSERT_GE(doc.body.size(), tg::min_resource_bytes) << doc.partition_key;
    ASSERT_LE(doc.body.size(), tg::max_resource_bytes) << doc.partition_key;
    if (doc.body.size() >= 15 * 1024) ++big;
    if (gen.resource_type(i) == object_type::person) {
      ++persons;
      person_bytes += doc.body.size();
      if (doc.body.size() <= 3 * 1024) ++small_persons;
    } else if (gen.resource_type(i) == object_type::group) {
      ++groups;
      group_bytes += doc.body.size();
      if (doc.body.size() > 12 * 1024) ++large_groups;
    }
  }
  EXPECT_GT(small_persons, persons * 85 / 100);  // most Persons are 1–3 KB
  EXPECT_GT(group_bytes / groups, 2 * person_bytes / persons);  // Groups carry member lists
  EXPECT_GT(large_groups, 0u);
  EXPECT_GT(big, 0u);  // a few near 20 KB
  EXPECT_LT(big, gen.plan().resources / 10);
}

TEST(TenantGenerator, EventsAndWorkflowsStayReasonablySmall) {
  tg::tenant_generator gen(tg::plan_tenant(2000, 5));
  for (auto kind : {collection_kind::events, collection_kind::workflow_executions}) {
    for (std::uint64_t i = 0; i < gen.plan().count(kind); ++i) {
      auto doc = gen.generate(kind, i);
      ASSERT_GE(doc.body.size(), 300u);
      ASSERT_LE(doc.body.size(), 6u * 1024);
    }
  }
}

TEST(TenantGenerator, ReferencesPointAtExistingDocumentsOfTheRightType) {
  tg::tenant_generator gen(tg::plan_tenant(3000, 13));
  std::map<std::string, std::string> type_of;  // Resource id -> objecttype
  for (std::uint64_t i = 0; i < gen.plan().resources; ++i) {
    type_of[gen.id_of(collection_kind::resources, i)] = std::string(tg::object_type_name(gen.resource_type(i)));
  }
  std::set<std::string> event_ids;
  for (std::uint64_t i = 0; i < gen.plan().events; ++i) event_ids.insert(gen.id_of(collection_kind::events, i));

  simdjson::dom::parser parser;
  std::size_t checked = 0;
  auto expect_type = [&](const std::string& id, const char* type, const std::string& where) {
    ++checked;
    auto it = type_of.find(id);
    ASSERT_NE(it, type_of.end()) << where << " -> " << id << " does not exist";
    EXPECT_EQ(it->second, type) << where;
  };
  for (auto kind : tg::all_collections) {
    for (auto& doc : all_documents(gen, kind)) {
      simdjson::dom::element root = parser.parse(doc.body);
      const std::string where = std::string(tg::collection_name(kind)) + " " + doc.id;
      for (const char* k : {"Manager", "DisplayedOwner", "creator"}) {
        if (auto v = str(root, k); !v.empty()) expect_type(v, "Person", where + " " + k);
      }
      for (const char* k : {"Owner", "ExplicitMember"}) {
        for (auto& v : strings(root, k)) expect_type(v, "Person", where + " " + k);
      }
      for (const char* k : {"PrincipalSet", "ResourceCurrentSet", "ResourceFinalSet"}) {
        if (auto v = str(root, k); !v.empty()) expect_type(v, "Set", where + " " + k);
      }
      if (auto v = str(root, "BoundObjectType"); !v.empty()) expect_type(v, "ObjectTypeDescription", where);
      if (auto v = str(root, "BoundAttributeType"); !v.empty()) expect_type(v, "AttributeTypeDescription", where);
      simdjson::dom::element target;
      if (root["target"].get(target) == simdjson::SUCCESS) {
        expect_type(str(target, "id"), str(target, "objecttype").c_str(), where + " target");
      }
      if (auto v = str(root, "requestId"); !v.empty()) {
        ++checked;
        EXPECT_TRUE(event_ids.count(v)) << where << " requestId " << v;
      }
    }
  }
  EXPECT_GT(checked, 10000u);  // the tenant is well connected
}

TEST(TenantGenerator, ContentIsRealistic) {
  tg::tenant_generator gen(tg::plan_tenant(1000, 1));
  simdjson::dom::parser parser;
  bool unicode = false, escapes = false, put = false, del = false;
  std::set<std::string> statuses;
  for (auto& doc : all_documents(gen, collection_kind::resources)) {
    unicode = unicode || doc.body.find("Zoë") != std::string::npos || doc.body.find("王芳") != std::string::npos ||
              doc.body.find("Łukasz") != std::string::npos || doc.body.find("Ñúñez") != std::string::npos;
    escapes = escapes || (doc.body.find("\\\"") != std::string::npos && doc.body.find("\\\\") != std::string::npos);
  }
  for (auto& doc : all_documents(gen, collection_kind::events)) {
    simdjson::dom::element root = parser.parse(doc.body);
    EXPECT_EQ(str(root, "eventType"), "Request");
    put = put || str(root, "operation") == "Put";
    del = del || str(root, "operation") == "Delete";
    EXPECT_EQ(str(root, "createdTime").size(), 24u);
  }
  for (auto& doc : all_documents(gen, collection_kind::workflow_executions)) {
    simdjson::dom::element root = parser.parse(doc.body);
    statuses.insert(str(root, "status"));
    EXPECT_FALSE(str(root, "name").empty());
    simdjson::dom::array steps;
    EXPECT_EQ(root["steps"].get_array().get(steps), simdjson::SUCCESS);
  }
  EXPECT_TRUE(unicode);
  EXPECT_TRUE(escapes);
  EXPECT_TRUE(put);
  EXPECT_TRUE(del);
  EXPECT_EQ(statuses, (std::set<std::string>{"Queued", "Running", "Completed"}));
}

TEST(TenantGenerator, TinyTenantsOmitReferencesToMissingTypes) {
  for (std::uint64_t n : {1u, 2u, 5u, 10u}) {
    tg::tenant_generator gen(tg::plan_tenant(n, 3));
    simdjson::dom::parser parser;
    for (auto kind : tg::all_collections) {
      for (auto& doc : all_documents(gen, kind)) {
        simdjson::dom::element root;
        ASSERT_EQ(parser.parse(doc.body).get(root), simdjson::SUCCESS) << doc.body;
      }
    }
  }
}

TEST(TenantGenerator, IndexBeyondTheCollectionThrows) {
  tg::tenant_generator gen(tg::plan_tenant(10, 1));
  EXPECT_THROW(gen.generate(collection_kind::events, gen.plan().events), std::out_of_range);
}

TEST(AppendJsonString, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  tg::append_json_string(out, "a\"b\\c\nd\te\x01 Zoë");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\te\\u0001 Zoë\"");
}

TEST(Iso8601Utc, FormatsMillisecondsSinceTheEpoch) {
  EXPECT_EQ(tg::iso8601_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(tg::iso8601_utc(1672531200123), "2023-01-01T00:00:00.123Z");
  EXPECT_EQ(tg::iso8601_utc(1709164800000 + 3723004), "2024-02-29T01:02:03.004Z");
  EXPECT_EQ(tg::iso8601_utc(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Iso8601Utc, CrossesYearEndsAndLeapDaysOfCenturies) {
  EXPECT_EQ(tg::iso8601_utc(1704067199999), "2023-12-31T23:59:59.999Z");
  EXPECT_EQ(tg::iso8601_utc(1704067200000), "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(tg::iso8601_utc(1735603200000), "2024-12-31T00:00:00.000Z");  // day 366 of a leap year
  EXPECT_EQ(tg::iso8601_utc(951825600000), "2000-02-29T12:00:00.000Z");   // 2000 is a leap year
  EXPECT_EQ(tg::iso8601_utc(4107542399000 + 1000), "2100-03-01T00:00:00.000Z");  // 2100 is not
}
