#include "io/cosmos/connection_string.hpp"

#include "support/cosmos_emulator.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace cosmos = idabus::io::cosmos;

namespace {

using idabus::test::emulator_key;

std::string error_of(const std::string& text) {
  try {
    cosmos::parse_connection_string(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ParseConnectionString, ReadsEndpointAndKeyWithPaddingIntact) {
  const auto cs = cosmos::parse_connection_string("AccountEndpoint=https://acc.documents.azure.com:443/;AccountKey=" +
                                                  emulator_key + ";");
  EXPECT_EQ(cs.endpoint, "https://acc.documents.azure.com:443/");
  EXPECT_EQ(cs.account_key, emulator_key);
  EXPECT_EQ(cs.decoded_key.size(), 64u);
  EXPECT_FALSE(cs.disable_server_certificate_validation);
}

TEST(ParseConnectionString, KeysAreCaseInsensitiveAndOrderFree) {
  const auto cs = cosmos::parse_connection_string(" accountkey=" + emulator_key +
                                                  " ; ACCOUNTENDPOINT=http://127.0.0.1:8081/ ;"
                                                  "disableservercertificatevalidation=TRUE;Extra=ignored");
  EXPECT_EQ(cs.endpoint, "http://127.0.0.1:8081/");
  EXPECT_EQ(cs.account_key, emulator_key);
  EXPECT_TRUE(cs.disable_server_certificate_validation);
}

TEST(ParseConnectionString, NamesTheMissingPart) {
  EXPECT_NE(error_of("AccountKey=" + emulator_key).find("AccountEndpoint is missing"), std::string::npos);
  EXPECT_NE(error_of("AccountEndpoint=http://h/;").find("AccountKey is missing"), std::string::npos);
  EXPECT_NE(error_of("AccountEndpoint=http://h/;AccountKey=;").find("AccountKey is missing"), std::string::npos);
  EXPECT_NE(error_of("").find("AccountEndpoint is missing"), std::string::npos);
}

TEST(ParseConnectionString, NamesTheMalformedPart) {
  EXPECT_NE(error_of("AccountEndpoint=ftp://h/;AccountKey=" + emulator_key).find("AccountEndpoint must start with"),
            std::string::npos);
  EXPECT_NE(error_of("AccountEndpoint=http://;AccountKey=" + emulator_key).find("AccountEndpoint"), std::string::npos);
  EXPECT_NE(error_of("AccountEndpoint=http://h/;AccountKey=not base64!").find("AccountKey is not valid base64"),
            std::string::npos);
  EXPECT_NE(error_of("AccountEndpoint=http://h/;AccountKey=" + emulator_key + ";DisableServerCertificateValidation=maybe")
                .find("DisableServerCertificateValidation must be True or False"),
            std::string::npos);
}

TEST(ParseConnectionString, NeverEchoesTheKeyInAnyError) {
  const std::string bad_key = "SECRETSECRETSECRET!!";
  const std::vector<std::string> inputs = {
      "AccountKey=" + emulator_key,
      "AccountKey=" + emulator_key + ";AccountEndpoint=gopher://h/",
      "AccountEndpoint=http://h/;AccountKey=" + bad_key,
      "AccountEndpoint=http://h/;" + emulator_key,  // the key without its name
      "AccountEndpoint=http://h/;AccountKey=" + emulator_key + ";DisableServerCertificateValidation=x",
  };
  for (const auto& input : inputs) {
    const std::string error = error_of(input);
    ASSERT_FALSE(error.empty()) << "no error for input #" << (&input - inputs.data());
    EXPECT_EQ(error.find(emulator_key), std::string::npos) << error;
    EXPECT_EQ(error.find(emulator_key.substr(0, 12)), std::string::npos) << error;
    EXPECT_EQ(error.find("SECRETSECRET"), std::string::npos) << error;
  }
}
