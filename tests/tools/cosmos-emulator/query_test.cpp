#include "tools/cosmos-emulator/query.hpp"

#include <gtest/gtest.h>

namespace idabus::emulator {
namespace {

parsed_query must_parse(std::string_view sql, std::string_view params = {}) {
  auto r = parse_query(sql, params);
  EXPECT_TRUE(r.query) << sql << " -> " << r.error;
  return r.query ? *r.query : parsed_query{};
}

std::string parse_error(std::string_view sql, std::string_view params = {}) {
  auto r = parse_query(sql, params);
  EXPECT_FALSE(r.query) << sql;
  return r.error;
}

std::string padded(std::string s) {
  s.reserve(s.size() + 64);
  return s;
}

TEST(QueryParser, SelectStarWithoutWhere) {
  auto q = must_parse("SELECT * FROM c");
  EXPECT_EQ(q.select, select_kind::all);
  EXPECT_EQ(q.alias, "c");
  EXPECT_TRUE(q.where.empty());
}

TEST(QueryParser, KeywordsAreCaseInsensitiveAndAliasIsFree) {
  auto q = must_parse("select * from root r where r.kind = 'x'");
  EXPECT_EQ(q.alias, "r");
  ASSERT_EQ(q.where.size(), 1u);
  EXPECT_EQ(q.where[0].left.path.pointer, "/kind");
}

TEST(QueryParser, ProjectionWithNestedPathsAndAs) {
  auto q = must_parse("SELECT c.id, c._ts, c.a.b AS deep FROM c");
  ASSERT_EQ(q.select, select_kind::projection);
  ASSERT_EQ(q.projection.size(), 3u);
  EXPECT_EQ(q.projection[1].output_name, "_ts");
  EXPECT_EQ(q.projection[2].path.pointer, "/a/b");
  EXPECT_EQ(q.projection[2].output_name, "deep");
}

TEST(QueryParser, TsPredicatesBecomeIndexBounds) {
  auto q = must_parse("SELECT * FROM c WHERE c._ts >= @since AND c._ts < 200 AND c.type = 'Person'",
                      R"([{"name":"@since","value":100}])");
  EXPECT_EQ(q.ts_min, 100);
  EXPECT_EQ(q.ts_max, 199);
  ASSERT_EQ(q.residual.size(), 1u);
  EXPECT_EQ(q.residual[0].left.path.pointer, "/type");
  EXPECT_TRUE(q.satisfiable);
}

TEST(QueryParser, LiteralOnTheLeftIsFlipped) {
  auto q = must_parse("SELECT * FROM c WHERE 100 < c._ts");
  EXPECT_EQ(q.ts_min, 101);
}

TEST(QueryParser, ContradictoryTsBoundsAreUnsatisfiable) {
  EXPECT_FALSE(must_parse("SELECT * FROM c WHERE c._ts > 5 AND c._ts < 3").satisfiable);
  EXPECT_FALSE(must_parse("SELECT * FROM c WHERE c._ts = 'x'").satisfiable);
}

TEST(QueryParser, CountValue) {
  auto q = must_parse("SELECT VALUE COUNT(1) FROM c WHERE c._ts > 10");
  EXPECT_EQ(q.select, select_kind::count);
  EXPECT_EQ(q.ts_min, 11);
}

TEST(QueryParser, RequestBodyWithParameters) {
  auto r = parse_query_request(R"({"query":"SELECT * FROM c WHERE c.t = @t","parameters":[{"name":"@t","value":"Group"}]})");
  ASSERT_TRUE(r.query) << r.error;
  EXPECT_EQ(std::get<std::string>(r.query->where[0].right.value), "Group");
}

TEST(QueryParser, FingerprintDependsOnParameters) {
  auto a = parse_query_request(R"({"query":"SELECT * FROM c WHERE c.t = @t","parameters":[{"name":"@t","value":"A"}]})");
  auto b = parse_query_request(R"({"query":"SELECT * FROM c WHERE c.t = @t","parameters":[{"name":"@t","value":"B"}]})");
  ASSERT_TRUE(a.query && b.query);
  EXPECT_NE(a.query->fingerprint, b.query->fingerprint);
}

TEST(QueryParser, NamesUnsupportedConstructs) {
  EXPECT_EQ(parse_error("SELECT * FROM c ORDER BY c._ts"), "unsupported: ORDER BY");
  EXPECT_EQ(parse_error("SELECT TOP 5 * FROM c"), "unsupported: TOP");
  EXPECT_EQ(parse_error("SELECT DISTINCT c.a FROM c"), "unsupported: DISTINCT");
  EXPECT_EQ(parse_error("SELECT * FROM c WHERE c.a = 1 OR c.b = 2"), "unsupported: OR");
  EXPECT_EQ(parse_error("SELECT * FROM c JOIN t IN c.tags"), "unsupported: JOIN");
  EXPECT_EQ(parse_error("SELECT * FROM c WHERE IS_DEFINED(c.a)"), "unsupported: function IS_DEFINED");
  EXPECT_EQ(parse_error("SELECT * FROM c WHERE c.a IN (1,2)"), "unsupported: IN");
  EXPECT_EQ(parse_error("SELECT * FROM c GROUP BY c.a"), "unsupported: GROUP BY");
  EXPECT_EQ(parse_error("SELECT * FROM c OFFSET 1 LIMIT 2"), "unsupported: OFFSET");
  EXPECT_EQ(parse_error("SELECT * FROM c WHERE NOT c.a = 1"), "unsupported: NOT");
  EXPECT_NE(parse_error("SELECT COUNT(1) FROM c").find("unsupported: aggregate COUNT"), std::string::npos);
  EXPECT_NE(parse_error("SELECT VALUE c.id FROM c").find("unsupported: SELECT VALUE"), std::string::npos);
  EXPECT_EQ(parse_error("SELECT * FROM c WHERE c.a + 1 = 2"), "unsupported: operator '+'");
}

TEST(QueryParser, ReportsMalformedQueriesWithPosition) {
  EXPECT_NE(parse_error("SELECT * c").find("expected FROM"), std::string::npos);
  EXPECT_NE(parse_error("SELECT * FROM c WHERE c.a = @missing").find("@missing"), std::string::npos);
  EXPECT_NE(parse_error("SELECT * FROM c WHERE x.a = 1").find("unknown alias 'x'"), std::string::npos);
  EXPECT_FALSE(parse_query_request("not json").query);
  EXPECT_NE(parse_query_request(R"({"q":"x"})").error.find("\"query\""), std::string::npos);
}

TEST(QueryEvaluator, ComparesNumbersStringsBooleansAndNull) {
  query_evaluator e;
  const auto doc = padded(R"({"id":"a","n":5,"s":"abc","b":true,"z":null,"o":{"x":2}})");
  auto check = [&](std::string_view where) {
    return e.matches(must_parse("SELECT * FROM c WHERE " + std::string(where)).where, doc);
  };
  EXPECT_TRUE(check("c.n = 5"));
  EXPECT_TRUE(check("c.n >= 5 AND c.n < 6"));
  EXPECT_FALSE(check("c.n > 5"));
  EXPECT_TRUE(check("c.s = 'abc'"));
  EXPECT_TRUE(check("c.s < \"abd\""));
  EXPECT_TRUE(check("c.b = true"));
  EXPECT_TRUE(check("c.z = null"));
  EXPECT_TRUE(check("c.o.x = 2"));
  EXPECT_TRUE(check("c.s != 'x'"));
  EXPECT_TRUE(check("c.n <> 4"));
}

TEST(QueryEvaluator, MissingFieldsAndTypeMismatchesNeverMatch) {
  query_evaluator e;
  const auto doc = padded(R"({"id":"a","n":5})");
  EXPECT_FALSE(e.matches(must_parse("SELECT * FROM c WHERE c.missing != 1").where, doc));
  EXPECT_FALSE(e.matches(must_parse("SELECT * FROM c WHERE c.n != 'five'").where, doc));
  EXPECT_FALSE(e.matches(must_parse("SELECT * FROM c WHERE c.n = '5'").where, doc));
}

TEST(QueryEvaluator, WorksOnDocumentsWithoutPadding) {
  query_evaluator e;
  std::string doc = R"({"id":"a","n":5})";
  doc.shrink_to_fit();
  EXPECT_TRUE(e.matches(must_parse("SELECT * FROM c WHERE c.n = 5").where, doc));
}

TEST(QueryEvaluator, ProjectionKeepsRawValueText) {
  query_evaluator e;
  const auto doc = padded(R"({"id":"a\u00e9","n":1.50,"o":{"k":[1, 2]},"_ts":7})");
  auto q = must_parse("SELECT c.id, c.n, c.o, c.missing, c._ts AS t FROM c");
  EXPECT_EQ(e.project(q.projection, doc), R"({"id":"a\u00e9","n":1.50,"o":{"k":[1, 2]},"t":7})");
}

}  // namespace
}  // namespace idabus::emulator
