#include "io/files/json_fields.hpp"

#include <gtest/gtest.h>

#include <string>

namespace idabus::io::files::detail {
namespace {

simdjson::dom::object parse(simdjson::dom::parser& parser, simdjson::padded_string& text) {
  return as_object(parser.parse(text).value(), "(top level)");
}

std::string error_of(auto f) {
  try {
    f();
  } catch (const json_field_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected json_field_error";
  return "";
}

TEST(JsonFields, ReadsTypedMembers) {
  simdjson::dom::parser parser;
  simdjson::padded_string text(std::string(
      R"({"s":"x","n":7,"t":"2026-11-30T01:00:00Z","sha256":")" + std::string(64, 'f') + R"(","a":[1]})"));
  const auto o = parse(parser, text);
  EXPECT_EQ(get_string(o, "", "s"), "x");
  EXPECT_EQ(get_count(o, "", "n"), 7u);
  EXPECT_EQ(get_time(o, "", "t"), *parse_utc_time("2026-11-30T01:00:00Z"));
  EXPECT_EQ(get_sha256(o, ""), std::string(64, 'f'));
  EXPECT_EQ(get_array(o, "", "a").size(), 1u);
}

TEST(JsonFields, ErrorsNameThePathAndTheExpectation) {
  simdjson::dom::parser parser;
  simdjson::padded_string text(std::string(R"({"s":1,"n":-1,"t":"soon","sha256":"ABC","a":{}})"));
  const auto o = parse(parser, text);
  EXPECT_EQ(error_of([&] { get_string(o, "x.", "missing"); }), "field 'x.missing' is missing");
  EXPECT_EQ(error_of([&] { get_string(o, "x.", "s"); }), "field 'x.s' must be a string");
  EXPECT_EQ(error_of([&] { get_count(o, "", "n"); }), "field 'n' must be a non-negative integer");
  EXPECT_NE(error_of([&] { get_time(o, "", "t"); }).find("field 't' must be a UTC time"), std::string::npos);
  EXPECT_EQ(error_of([&] { get_sha256(o, "c."); }), "field 'c.sha256' must be 64 lowercase hex digits");
  EXPECT_EQ(error_of([&] { get_array(o, "", "a"); }), "field 'a' must be an array");
  EXPECT_EQ(error_of([&] { as_object(o["s"].value(), "s"); }), "field 's' must be an object");
}

}  // namespace
}  // namespace idabus::io::files::detail
