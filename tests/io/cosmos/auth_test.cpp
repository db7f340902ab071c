#include "io/cosmos/auth.hpp"

#include "io/cosmos/base64.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace cosmos = idabus::io::cosmos;

namespace {

std::string key_of(std::string_view base64) { return *cosmos::base64_decode(base64); }

const std::string baseline_key = "VGhpcyBpcyBhIHNhbXBsZSBzdHJpbmc=";

std::string lower_hex_escapes(std::string s) {
  for (std::size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] == '%') {
      s[i + 1] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i + 1])));
      s[i + 2] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i + 2])));
    }
  }
  return s;
}

}  // namespace

TEST(AddressOf, FeedsSignTheParentLinkAndItemsTheirOwn) {
  using A = cosmos::resource_address;
  EXPECT_EQ(cosmos::address_of("/"), (A{"", ""}));
  EXPECT_EQ(cosmos::address_of(""), (A{"", ""}));
  EXPECT_EQ(cosmos::address_of("/dbs"), (A{"dbs", ""}));
  EXPECT_EQ(cosmos::address_of("/dbs/a"), (A{"dbs", "dbs/a"}));
  EXPECT_EQ(cosmos::address_of("/dbs/a/colls"), (A{"colls", "dbs/a"}));
  EXPECT_EQ(cosmos::address_of("/dbs/a/colls/c"), (A{"colls", "dbs/a/colls/c"}));
  EXPECT_EQ(cosmos::address_of("/dbs/a/colls/c/docs"), (A{"docs", "dbs/a/colls/c"}));
  EXPECT_EQ(cosmos::address_of("/dbs/a/colls/c/docs/x"), (A{"docs", "dbs/a/colls/c/docs/x"}));
  EXPECT_EQ(cosmos::address_of("/dbs/a/colls/c/pkranges"), (A{"pkranges", "dbs/a/colls/c"}));
  EXPECT_EQ(cosmos::address_of("/offers"), (A{"offers", ""}));
  EXPECT_EQ(cosmos::address_of("/offers/AbC="), (A{"offers", "abc="}));
}

TEST(AddressOf, KeepsNameCaseAndIgnoresDoubleAndTrailingSlashes) {
  using A = cosmos::resource_address;
  EXPECT_EQ(cosmos::address_of("//dbs/MyDb//colls/My Coll/"), (A{"colls", "dbs/MyDb/colls/My Coll"}));
  EXPECT_EQ(cosmos::address_of("/DBS/x"), (A{"dbs", "DBS/x"}));
}

TEST(HttpDate, FormatsRfc1123WithTwoDigitDay) {
  const auto t = std::chrono::system_clock::from_time_t(1493254272);  // 2017-04-27 00:51:12 UTC
  EXPECT_EQ(cosmos::http_date(t), "Thu, 27 Apr 2017 00:51:12 GMT");
  EXPECT_EQ(cosmos::http_date(std::chrono::system_clock::from_time_t(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(HttpDate, ParsesWhatItFormatsAndRejectsOtherShapes) {
  const auto t = std::chrono::system_clock::from_time_t(1595354131);
  EXPECT_EQ(cosmos::parse_http_date(cosmos::http_date(t)), t);
  EXPECT_EQ(cosmos::parse_http_date("tue, 21 jul 2020 17:55:31 gmt"), t);
  EXPECT_FALSE(cosmos::parse_http_date("Tue, 21 Jul 2020 17:55:31"));
  EXPECT_FALSE(cosmos::parse_http_date("Tue, 1 Jul 2020 17:55:31 GMT"));
  EXPECT_FALSE(cosmos::parse_http_date("Wed, 21 Jul 2020 17:55:31 GMT"));  // wrong weekday
  EXPECT_FALSE(cosmos::parse_http_date("Mon, 31 Feb 2020 17:55:31 GMT"));
  EXPECT_FALSE(cosmos::parse_http_date("2020-07-21T17:55:31Z"));
  EXPECT_FALSE(cosmos::parse_http_date(""));
}

// Reference §1.6 A: the Microsoft REST documentation example.
TEST(Sign, MatchesMicrosoftDocumentationExample) {
  const std::string key = key_of("dsZQi3KtZmCv1ljt3VNWNm7sQUF1y5rJfC6kv5JiwvW0EndXdDku/dkKBp8/ufDToSxLzR4y+O/0H/t4bQtVNw==");
  const cosmos::resource_address address{"dbs", "dbs/ToDoList"};
  const std::string date = "Thu, 27 Apr 2017 00:51:12 GMT";
  const std::string payload = cosmos::string_to_sign("GET", address, date);
  EXPECT_EQ(payload, "get\ndbs\ndbs/ToDoList\nthu, 27 apr 2017 00:51:12 gmt\n\n");
  EXPECT_EQ(cosmos::sign(key, payload), "c09PEVJrgp2uQRkr934kFbTqhByc7TVr3OHyqlu+c+c=");
  EXPECT_EQ(cosmos::authorization_header(key, "GET", address, date),
            "type%3Dmaster%26ver%3D1.0%26sig%3Dc09PEVJrgp2uQRkr934kFbTqhByc7TVr3OHyqlu%2Bc%2Bc%3D");
}

// Reference §1.6 B: the .NET SDK baseline (six payloads).
struct baseline_case {
  const char* verb;
  const char* type;
  const char* link;
  const char* date;
  const char* payload;
  const char* sig;
};

class SignBaseline : public ::testing::TestWithParam<baseline_case> {};

TEST_P(SignBaseline, ReproducesDotnetSdkSignature) {
  const auto& c = GetParam();
  const cosmos::resource_address address{c.type, c.link};
  const std::string payload = cosmos::string_to_sign(c.verb, address, c.date);
  EXPECT_EQ(payload, c.payload);
  EXPECT_EQ(cosmos::sign(key_of(baseline_key), payload), c.sig);
  EXPECT_EQ(cosmos::verify_authorization(cosmos::authorization_header(key_of(baseline_key), c.verb, address, c.date),
                                         key_of(baseline_key), c.verb, address, c.date),
            cosmos::auth_check::ok);
}

INSTANTIATE_TEST_SUITE_P(
    Reference16B, SignBaseline,
    ::testing::Values(
        baseline_case{"GET", "", "", "Tue, 21 Jul 2020 17:55:31 GMT", "get\n\n\ntue, 21 jul 2020 17:55:31 gmt\n\n",
                      "4ldo2CcZsh80o/VDqZFPS+3d2O0hTGfsVmhTfnSlE8g="},
        baseline_case{"POST", "dbs", "", "Tue, 21 Jul 2020 17:55:36 GMT", "post\ndbs\n\ntue, 21 jul 2020 17:55:36 gmt\n\n",
                      "NQA0D24qeSf1iGgtZn7gHtWg9BGQCWcE+t7NKnVOoEI="},
        baseline_case{"GET", "dbs", "dbs/92dc837c73484349852a2c8f05777565", "Tue, 21 Jul 2020 17:55:36 GMT",
                      "get\ndbs\ndbs/92dc837c73484349852a2c8f05777565\ntue, 21 jul 2020 17:55:36 gmt\n\n",
                      "niv0JZU/T0s8tmaod36QbBmZJBCIbkJU31r5Rp+rJGQ="},
        baseline_case{"POST", "docs", "dbs/92dc837c73484349852a2c8f05777565/colls/ea9ebd7de6aa46d8bc0aa7e29b89236c",
                      "Tue, 21 Jul 2020 17:55:37 GMT",
                      "post\ndocs\ndbs/92dc837c73484349852a2c8f05777565/colls/ea9ebd7de6aa46d8bc0aa7e29b89236c\ntue, 21 jul "
                      "2020 17:55:37 gmt\n\n",
                      "dQGGlBUiVh2cX+LCTXt+fCyAkPRpChou//plVECIuyA="},
        baseline_case{"GET", "docs",
                      "dbs/92dc837c73484349852a2c8f05777565/colls/ea9ebd7de6aa46d8bc0aa7e29b89236c/docs/"
                      "9f39cb554e0f48e7a829dda4f441e147",
                      "Tue, 21 Jul 2020 17:55:37 GMT",
                      "get\ndocs\ndbs/92dc837c73484349852a2c8f05777565/colls/ea9ebd7de6aa46d8bc0aa7e29b89236c/docs/"
                      "9f39cb554e0f48e7a829dda4f441e147\ntue, 21 jul 2020 17:55:37 gmt\n\n",
                      "0QVIU7gETTwkjcRWYKwHUOYKKdXi6FyuV8KsDSnVdeA="},
        baseline_case{"GET", "pkranges", "dpztakyoj5g=", "Tue, 21 Jul 2020 17:55:37 GMT",
                      "get\npkranges\ndpztakyoj5g=\ntue, 21 jul 2020 17:55:37 gmt\n\n",
                      "qH73yd16s9pr9e3X4azaZc97zyqs4oyxkB1L+LdsGbk="}));

TEST(VerifyAuthorization, AcceptsLowerCaseHexEscapesAsDotnetSends) {
  const std::string key = key_of(baseline_key);
  const cosmos::resource_address address{"dbs", "dbs/92dc837c73484349852a2c8f05777565"};
  const std::string date = "Tue, 21 Jul 2020 17:55:36 GMT";
  const std::string upper = cosmos::authorization_header(key, "GET", address, date);
  const std::string lower = lower_hex_escapes(upper);
  EXPECT_EQ(lower, "type%3dmaster%26ver%3d1.0%26sig%3dniv0JZU%2fT0s8tmaod36QbBmZJBCIbkJU31r5Rp%2brJGQ%3d");
  EXPECT_EQ(cosmos::verify_authorization(lower, key, "GET", address, date), cosmos::auth_check::ok);
  EXPECT_EQ(cosmos::verify_authorization(upper, key, "get", address, date), cosmos::auth_check::ok);
}

TEST(VerifyAuthorization, ReportsMissingMalformedAndBadSignatureDistinctly) {
  const std::string key = key_of(baseline_key);
  const cosmos::resource_address address{"docs", "dbs/d/colls/c"};
  const std::string date = "Tue, 21 Jul 2020 17:55:36 GMT";
  const std::string good = cosmos::authorization_header(key, "POST", address, date);
  EXPECT_EQ(cosmos::verify_authorization("", key, "POST", address, date), cosmos::auth_check::missing);
  EXPECT_EQ(cosmos::verify_authorization("garbage", key, "POST", address, date), cosmos::auth_check::malformed);
  EXPECT_EQ(cosmos::verify_authorization("type%3Dmaster%26ver%3D1.0", key, "POST", address, date),
            cosmos::auth_check::malformed);
  EXPECT_EQ(cosmos::verify_authorization("type=master&ver=1.0&sig=%ZZ", key, "POST", address, date),
            cosmos::auth_check::malformed);
  EXPECT_EQ(cosmos::verify_authorization("type=master&ver=1.0&sig=c2hvcnQ=", key, "POST", address, date),
            cosmos::auth_check::malformed);
  EXPECT_EQ(cosmos::verify_authorization("type=resource&ver=1.0&sig=" + cosmos::sign(key, "x"), key, "POST", address, date),
            cosmos::auth_check::malformed);
  // Same header, but the request is for another verb, link, date or key.
  EXPECT_EQ(cosmos::verify_authorization(good, key, "GET", address, date), cosmos::auth_check::bad_signature);
  EXPECT_EQ(cosmos::verify_authorization(good, key, "POST", {"docs", "dbs/d/colls/C"}, date),
            cosmos::auth_check::bad_signature);
  EXPECT_EQ(cosmos::verify_authorization(good, key, "POST", address, "Tue, 21 Jul 2020 17:55:37 GMT"),
            cosmos::auth_check::bad_signature);
  EXPECT_EQ(cosmos::verify_authorization(good, key_of("c2Vjb25kIGtleQ=="), "POST", address, date),
            cosmos::auth_check::bad_signature);
}

