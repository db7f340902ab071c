#include "io/http/url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace idabus::io::http {
namespace {

std::string parse_error(std::string_view text) {
  try {
    parse_url(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(ParseUrl, HttpsWithPortAndPath) {
  const url u = parse_url("https://acct.documents.azure.com:443/dbs/idabus?x=1");
  EXPECT_EQ(u.scheme, url_scheme::https);
  EXPECT_EQ(u.host, "acct.documents.azure.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/dbs/idabus?x=1");
}

TEST(ParseUrl, DefaultPortsFollowTheScheme) {
  EXPECT_EQ(parse_url("http://localhost").port, 80);
  EXPECT_EQ(parse_url("https://localhost").port, 443);
  EXPECT_EQ(parse_url("HTTP://localhost:8081/").port, 8081);
}

TEST(ParseUrl, EmptyPathBecomesSlashAndFragmentIsDropped) {
  EXPECT_EQ(parse_url("http://127.0.0.1:8081").target, "/");
  EXPECT_EQ(parse_url("http://127.0.0.1:8081?q=1").target, "/?q=1");
  EXPECT_EQ(parse_url("http://h/a/b#frag").target, "/a/b");
}

TEST(ParseUrl, Ipv6LiteralInBrackets) {
  const url u = parse_url("http://[::1]:9000/x");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9000);
  EXPECT_EQ(u.endpoint().authority(), "[::1]:9000");
  EXPECT_EQ(u.endpoint().host_header(), "[::1]:9000");
}

TEST(ParseUrl, ErrorsNameWhatIsWrong) {
  EXPECT_NE(parse_error("ftp://h/").find("scheme 'ftp'"), std::string::npos);
  EXPECT_NE(parse_error("localhost:8081").find("absolute URL"), std::string::npos);
  EXPECT_NE(parse_error("http://h:0/").find("port '0'"), std::string::npos);
  EXPECT_NE(parse_error("http://h:70000/").find("port '70000'"), std::string::npos);
  EXPECT_NE(parse_error("http://h:8x/").find("port '8x'"), std::string::npos);
  EXPECT_NE(parse_error("http://h:/").find("port after ':' is empty"), std::string::npos);
  EXPECT_NE(parse_error("http:///path").find("host is missing"), std::string::npos);
  EXPECT_NE(parse_error("http://user:secret@h/").find("user information"), std::string::npos);
  EXPECT_NE(parse_error("http://[::1/").find("closing ']'"), std::string::npos);
  EXPECT_NE(parse_error("http://h/a b").find("space"), std::string::npos);
  EXPECT_EQ(parse_error("http://user:secret@h/").find("secret"), std::string::npos) << "never echo a password";
}

TEST(Endpoint, HostHeaderOmitsTheDefaultPort) {
  EXPECT_EQ(parse_url("https://h:443/").endpoint().host_header(), "h");
  EXPECT_EQ(parse_url("https://h:8081/").endpoint().host_header(), "h:8081");
  EXPECT_EQ(parse_url("http://h/").endpoint().authority(), "h:80");
}

TEST(PercentEncoding, EncodesEverythingButUnreservedCharacters) {
  EXPECT_EQ(percent_encode_path_segment("Person"), "Person");
  EXPECT_EQ(percent_encode_path_segment("a b/c?d#e%f"), "a%20b%2Fc%3Fd%23e%25f");
  EXPECT_EQ(percent_encode_path_segment("A-z_0.9~"), "A-z_0.9~");
  EXPECT_EQ(percent_encode_path_segment("\xC3\xA9"), "%C3%A9");
}

TEST(PercentEncoding, EncodesTheCharactersOfAnAuthorizationToken) {
  // '=', '&', '+' and '/' of "type=master&ver=1.0&sig=<base64>" are all escaped.
  EXPECT_EQ(percent_encode_path_segment("a b/c+d=e&f"), "a%20b%2Fc%2Bd%3De%26f");
  EXPECT_EQ(percent_encode_path_segment("AZaz09"), "AZaz09");
}

TEST(PercentEncoding, DecodeInvertsEncode) {
  const std::string name = "id with spaces/slash+plus%percent\xC3\xA9";
  EXPECT_EQ(percent_decode(percent_encode_path_segment(name)), name);
  EXPECT_EQ(percent_decode("a+b%2fc"), "a+b/c");
}

TEST(PercentEncoding, DecodeAcceptsBothHexCases) {
  EXPECT_EQ(percent_decode("a%2fb%2Fc+d"), "a/b/c+d");
  EXPECT_EQ(percent_decode("My%20Coll"), "My Coll");
  EXPECT_EQ(percent_decode("%c3%A9"), "\xC3\xA9");
}

TEST(PercentEncoding, DecodeRejectsABrokenEscape) {
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("ab%2"), std::nullopt);
  EXPECT_EQ(percent_decode("%G0"), std::nullopt);
  EXPECT_EQ(percent_decode("%zz"), std::nullopt);
  EXPECT_EQ(percent_decode("%0g"), std::nullopt);
}

}  // namespace
}  // namespace idabus::io::http
