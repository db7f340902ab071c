#include "io/json/page.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace json = idabus::io::json;

TEST(PageReader, SplitsDocumentsIntoTheirExactRawBytes) {
  const std::string d1 = R"({"id":"a","objecttype":"Person","n":1.50,"big":12345678901234567890,"_ts":10})";
  const std::string d2 = R"({ "id" : "b\u00e9\n" , "objecttype":"Gr\"oup", "s":"\ud83d\ude00", "e":1E+2, "_ts":11 })";
  const std::string d3 = "{\"id\":\"c\",\"name\":\"\xc3\xa9t\xc3\xa9\",\"_ts\":12,\"nested\":{\"a\":[1,{\"b\":null}]}}";
  const std::string body = R"({"_rid":"abc==","Documents":[)" + d1 + " ,\n " + d2 + "," + d3 + R"(],"_count":3})";
  json::page_reader reader("/objecttype");
  const auto page = reader.split(body);
  ASSERT_EQ(page.documents.size(), 3u);
  EXPECT_EQ(page.documents[0].raw, d1);
  EXPECT_EQ(page.documents[1].raw, d2);
  EXPECT_EQ(page.documents[2].raw, d3);
  EXPECT_EQ(page.count, 3);
  // Views point into the caller's body, not into the reader's buffer.
  EXPECT_GE(page.documents[0].raw.data(), body.data());
  EXPECT_LE(page.documents[2].raw.data() + page.documents[2].raw.size(), body.data() + body.size());
  EXPECT_EQ(page.documents[0].fields.id, "a");
  EXPECT_EQ(page.documents[1].fields.id, "b\xc3\xa9\n");
  EXPECT_EQ(*page.documents[1].fields.partition_key, json::scalar(std::string("Gr\"oup")));
  EXPECT_EQ(page.documents[2].fields.ts, 12);
  EXPECT_FALSE(page.documents[2].fields.partition_key);
}

TEST(PageReader, AcceptsFieldsInAnyOrderAndEmptyDocuments) {
  json::page_reader reader("/id");
  const auto page = reader.split(R"({"_count":0,"Documents":[],"_rid":"x"})");
  EXPECT_TRUE(page.documents.empty());
  EXPECT_EQ(page.count, 0);
  const auto no_count = reader.split(R"({"Documents":[{"id":"z"}]})");
  ASSERT_EQ(no_count.documents.size(), 1u);
  EXPECT_FALSE(no_count.count);
}

TEST(PageReader, KeepsSelectValueScalarsAndArrays) {
  json::page_reader reader("/id");
  const auto page = reader.split(R"({"Documents":[5, "s" ,[1, 2] ,null,true],"_count":5})");
  ASSERT_EQ(page.documents.size(), 5u);
  EXPECT_EQ(page.documents[0].raw, "5");
  EXPECT_EQ(page.documents[1].raw, "\"s\"");
  EXPECT_EQ(page.documents[2].raw, "[1, 2]");
  EXPECT_EQ(page.documents[3].raw, "null");
  EXPECT_EQ(page.documents[4].raw, "true");
}

TEST(PageReader, ReportsMalformedBodiesClearly) {
  json::page_reader reader("/id");
  auto message = [&](const std::string& body) {
    try {
      reader.split(body);
    } catch (const json::parse_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(R"({"_rid":"x","_count":0})").find("no 'Documents'"), std::string::npos);
  EXPECT_NE(message(R"({"Documents":{}})").find("'Documents' (expected an array)"), std::string::npos);
  EXPECT_NE(message(R"({"Documents":[{"id":"a"}],"_count":2})").find("'_count' is 2"), std::string::npos);
  EXPECT_NE(message(R"([1])").find("not a JSON object"), std::string::npos);
  EXPECT_NE(message(R"({"Documents":[{"id":"a"},)"), "no error");
  EXPECT_NE(message(""), "no error");
  EXPECT_NE(message("<html>502 Bad Gateway</html>"), "no error");
  // Still usable afterwards.
  EXPECT_EQ(reader.split(R"({"Documents":[{"id":"a"}]})").documents.size(), 1u);
}

TEST(PageReader, SplitsABareArrayOfDocuments) {
  json::page_reader reader("/objecttype");
  const std::string body = "[\n  {\"id\":\"a\",\"objecttype\":\"P\"},\n  {\"id\":\"b\",\"objecttype\":5}\n]\n";
  const auto docs = reader.split_array(body);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].raw, R"({"id":"a","objecttype":"P"})");
  EXPECT_EQ(docs[1].raw, R"({"id":"b","objecttype":5})");
  EXPECT_EQ(*docs[1].fields.partition_key, json::scalar(5.0));
  EXPECT_TRUE(reader.split_array("[]").empty());
  EXPECT_THROW(reader.split_array(R"({"Documents":[]})"), json::parse_error);
}

TEST(PageReader, HandlesLargePagesAndReusesItsBuffer) {
  json::page_reader reader("/objecttype");
  for (int round = 0; round < 3; ++round) {
    std::string body = R"({"_rid":"r","Documents":[)";
    const int n = 2000 + round * 500;
    for (int i = 0; i < n; ++i) {
      if (i) body += ',';
      body += R"({"id":"doc-)" + std::to_string(i) + R"(","objecttype":"T)" + std::to_string(i % 7) +
              R"(","_ts":)" + std::to_string(1000 + i) + R"(,"pad":")" + std::string(static_cast<std::size_t>(i % 50), 'x') + "\"}";
    }
    body += R"(],"_count":)" + std::to_string(n) + "}";
    const auto page = reader.split(body);
    ASSERT_EQ(page.documents.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; i += 97) {
      EXPECT_EQ(page.documents[static_cast<std::size_t>(i)].fields.id, "doc-" + std::to_string(i));
      EXPECT_EQ(page.documents[static_cast<std::size_t>(i)].fields.ts, 1000 + i);
    }
  }
}

TEST(PageReader, ParsesABodyWithSpareCapacityWhereItLies) {
  const std::string text = R"({"_rid":"r","Documents":[{"id":"a","_ts":1},{"id":"b","_ts":2}],"_count":2})";
  json::page_reader reader("/id");
  std::string padded = text;
  padded.reserve(text.size() + 64);  // what the HTTP client leaves past every response body
  const auto page = reader.split_in_place(padded);
  EXPECT_EQ(reader.copied_bytes(), 0u) << "a body with room for the padding is not copied";
  ASSERT_EQ(page.documents.size(), 2u);
  EXPECT_EQ(page.documents[1].raw, R"({"id":"b","_ts":2})");
  EXPECT_EQ(page.documents[1].raw.data(), padded.data() + text.find(R"({"id":"b")"));
  EXPECT_EQ(page.documents[1].fields.ts, 2);
  EXPECT_EQ(page.count, 2);
}

TEST(PageReader, ParsesABodyInAnyBufferWithRoomForThePaddingWhereItLies) {
  const std::string text = R"({"_rid":"r","Documents":[{"id":"a","_ts":1}],"_count":1})";
  std::vector<char> storage(text.size() + 64);
  std::copy(text.begin(), text.end(), storage.begin());
  const std::string_view body(storage.data(), text.size());
  json::page_reader reader("/id");
  const auto page = reader.split_in_place(body, storage.size());
  EXPECT_EQ(reader.copied_bytes(), 0u);
  ASSERT_EQ(page.documents.size(), 1u);
  EXPECT_EQ(page.documents[0].raw.data(), storage.data() + text.find(R"({"id":"a")"));
  reader.split_in_place(body, storage.size() - 1);  // one byte short of the padding
  EXPECT_EQ(reader.copied_bytes(), text.size());
}

TEST(PageReader, CopiesABodyWithoutSpareCapacityAsSplitDoes) {
  const std::string text = R"({"_rid":"r","Documents":[{"id":"a","_ts":1}],"_count":1})";
  json::page_reader reader("/id");
  std::string tight = text;
  tight.shrink_to_fit();
  ASSERT_LT(tight.capacity() - tight.size(), 64u);
  const auto page = reader.split_in_place(tight);
  EXPECT_EQ(reader.copied_bytes(), tight.size());
  ASSERT_EQ(page.documents.size(), 1u);
  EXPECT_EQ(page.documents[0].raw, R"({"id":"a","_ts":1})");
  EXPECT_EQ(page.documents[0].raw.data(), tight.data() + text.find(R"({"id":"a")")) << "views into the caller's body";
  reader.split(text);
  EXPECT_EQ(reader.copied_bytes(), tight.size() + text.size());
}
