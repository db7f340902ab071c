#include "io/http/message.hpp"

#include <gtest/gtest.h>

namespace idabus::io::http {
namespace {

TEST(HttpMessage, HeaderLookupIgnoresCase) {
  request req;
  req.headers = {{"X-MS-Date", "Thu, 27 Apr 2017 00:51:12 GMT"}, {"content-type", "application/json"}};
  EXPECT_EQ(req.header("x-ms-date"), "Thu, 27 Apr 2017 00:51:12 GMT");
  EXPECT_EQ(req.header("Content-Type"), "application/json");
  EXPECT_TRUE(req.header("authorization").empty());
  EXPECT_FALSE(has_header(req.headers, "authorization"));
}

TEST(HttpMessage, SetHeaderReplacesEveryOccurrence) {
  response res;
  res.headers = {{"ETag", "\"a\""}, {"etag", "\"b\""}, {"x-ms-item-count", "3"}};
  set_header(res.headers, "etag", "\"c\"");
  EXPECT_EQ(res.headers.size(), 2u);
  EXPECT_EQ(res.header("ETAG"), "\"c\"");
}

TEST(HttpMessage, EmptyHeaderValueIsPresent) {
  header_list headers{{"x-ms-continuation", ""}};
  EXPECT_TRUE(has_header(headers, "X-Ms-Continuation"));
  EXPECT_EQ(find_header(headers, "x-ms-continuation"), "");
}

TEST(HttpMessage, RequestIsNotIdempotentUnlessTheCallerSaysSo) {
  request plain{"POST", "/dbs/d/colls/c/docs", {}, "{}"};
  EXPECT_FALSE(plain.idempotent);
  request upsert{.method = "POST", .target = "/dbs/d/colls/c/docs", .headers = {}, .body = "{}", .idempotent = true};
  EXPECT_TRUE(upsert.idempotent);
}

}  // namespace
}  // namespace idabus::io::http
