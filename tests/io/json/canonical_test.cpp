#include "io/json/canonical.hpp"

#include <gtest/gtest.h>

namespace idabus::io::json {
namespace {

TEST(CanonicalWriter, SortsMembersByNameAtEveryLevel) {
  canonical_writer w;
  EXPECT_EQ(w.canonical(R"({"b":1,"a":{"d":[{"z":1,"y":2}],"c":2}})"), R"({"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1})");
}

TEST(CanonicalWriter, DropsTopLevelSystemPropertiesOnly) {
  canonical_writer w;
  EXPECT_EQ(w.canonical(R"({"id":"x","_rid":"r","_self":"s","_etag":"\"e\"","_attachments":"a/","_ts":17,"_lsn":4,)"
                        R"("_other":true,"n":{"_rid":"kept"}})"),
            R"({"_other":true,"id":"x","n":{"_rid":"kept"}})");
}

TEST(CanonicalWriter, WhitespaceAndKeyOrderDoNotMatter) {
  canonical_writer w;
  EXPECT_EQ(w.canonical(" {\n \"id\" : \"x\" ,\t\"v\" : [ 1 , 2 ] } "), w.canonical(R"({"v":[1,2],"id":"x"})"));
}

TEST(CanonicalWriter, ArraysKeepTheirOrder) {
  canonical_writer w;
  EXPECT_NE(w.canonical(R"({"v":[1,2]})"), w.canonical(R"({"v":[2,1]})"));
}

TEST(CanonicalWriter, StringsCompareUnescaped) {
  canonical_writer w;
  EXPECT_EQ(w.canonical(R"({"name":"\u00e9\/x","\u0061":1})"), w.canonical("{\"name\":\"\xc3\xa9/x\",\"a\":1}"));
  EXPECT_EQ(w.canonical(R"({"s":"line\nbreak \"q\""})"), R"({"s":"line\nbreak \"q\""})");
}

TEST(CanonicalWriter, NumbersCompareByValue) {
  canonical_writer w;
  EXPECT_EQ(w.canonical(R"({"a":1.0,"b":1e0,"c":-0.0,"d":0.1,"e":18446744073709551615,"f":-9223372036854775808,"g":1.5e300})"),
            R"({"a":1,"b":1,"c":0,"d":0.1,"e":18446744073709551615,"f":-9223372036854775808,"g":1.5e+300})");
  EXPECT_NE(w.canonical(R"({"a":1})"), w.canonical(R"({"a":"1"})"));
}

TEST(CanonicalWriter, DuplicateNamesKeepDocumentOrder) {
  canonical_writer w;
  EXPECT_EQ(w.canonical(R"({"b":0,"a":2,"a":1})"), R"({"a":2,"a":1,"b":0})");
}

TEST(CanonicalWriter, LiteralsAndEmptyContainers) {
  canonical_writer w;
  EXPECT_EQ(w.canonical(R"({"t":true,"f":false,"n":null,"o":{},"l":[]})"), R"({"f":false,"l":[],"n":null,"o":{},"t":true})");
}

TEST(CanonicalWriter, RejectsMalformedJsonAndNonObjects) {
  canonical_writer w;
  EXPECT_THROW(w.canonical(R"({"a":)"), parse_error);
  EXPECT_THROW(w.canonical(R"([1,2])"), parse_error);
  EXPECT_THROW(w.canonical(R"({"a":1} x)"), parse_error);
}

TEST(CanonicalWriter, ReusedWriterReplacesItsOutput) {
  canonical_writer w;
  std::string out = "stale";
  w.write(R"({"a":{"b":{"c":1}}})", out);
  EXPECT_EQ(out, R"({"a":{"b":{"c":1}}})");
  w.write(R"({"x":[{"y":{"z":2}}]})", out);
  EXPECT_EQ(out, R"({"x":[{"y":{"z":2}}]})");
}

}  // namespace
}  // namespace idabus::io::json
