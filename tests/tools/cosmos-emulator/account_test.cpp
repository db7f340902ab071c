#include "tools/cosmos-emulator/account.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace idabus::emulator {
namespace {

TEST(EmulatorAccount, AdvertisesTheHostHeaderTheClientUsed) {
  EXPECT_EQ(advertised_endpoint(false, "localhost:9000", "127.0.0.1", 8081), "http://localhost:9000/");
  EXPECT_EQ(advertised_endpoint(true, "127.0.0.1:443", "127.0.0.1", 8081), "https://127.0.0.1:443/");
}

TEST(EmulatorAccount, FallsBackToTheListeningAddressWithoutAUsableHostHeader) {
  EXPECT_EQ(advertised_endpoint(false, "", "127.0.0.1", 8081), "http://127.0.0.1:8081/");
  EXPECT_EQ(advertised_endpoint(false, "evil\"host", "127.0.0.1", 8081), "http://127.0.0.1:8081/");
  EXPECT_EQ(advertised_endpoint(false, "", "0.0.0.0", 5), "http://127.0.0.1:5/");
  EXPECT_EQ(advertised_endpoint(false, "", "::1", 5), "http://[::1]:5/");
}

TEST(EmulatorAccount, BodyIsJsonWithLocationsAndAQueryEngineConfigurationString) {
  auto body = account_body("http://127.0.0.1:1234/");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(body).get(doc), simdjson::SUCCESS) << body;
  EXPECT_NE(std::string_view(doc["id"]), "localhost");
  EXPECT_EQ(std::string_view(doc["writableLocations"].at(0)["databaseAccountEndpoint"]), "http://127.0.0.1:1234/");
  EXPECT_EQ(std::string_view(doc["readableLocations"].at(0)["databaseAccountEndpoint"]), "http://127.0.0.1:1234/");
  EXPECT_EQ(std::string_view(doc["userConsistencyPolicy"]["defaultConsistencyLevel"]), "Session");
  std::string config{std::string_view(doc["queryEngineConfiguration"])};
  simdjson::dom::parser inner;
  simdjson::dom::element cfg;
  ASSERT_EQ(inner.parse(config).get(cfg), simdjson::SUCCESS) << config;
  EXPECT_EQ(int64_t(cfg["maxSqlQueryInputLength"]), 262144);
}

}  // namespace
}  // namespace idabus::emulator
