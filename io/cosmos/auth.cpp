#include "io/cosmos/auth.hpp"

#include "io/cosmos/base64.hpp"
#include "io/http/message.hpp"
#include "io/http/url.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <vector>

namespace idabus::io::cosmos {

namespace {

using http::iequals;

constexpr std::array<std::string_view, 7> day_names = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parse_digits(std::string_view s, int& out) {
  if (s.empty()) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

std::string mac_bytes(std::string_view key, std::string_view payload) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac.data(), &len);
  return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

}  // namespace

resource_address address_of(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t slash = path.find('/', pos);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > pos) segments.push_back(path.substr(pos, end - pos));
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  if (segments.empty()) return {};
  auto join = [&](std::size_t count) {
    std::string link;
    for (std::size_t i = 0; i < count; ++i) {
      if (i) link.push_back('/');
      link.append(segments[i]);
    }
    return link;
  };
  const std::size_t n = segments.size();
  if (n % 2 == 1) return {lower(segments[n - 1]), join(n - 1)};
  resource_address out{lower(segments[n - 2]), join(n)};
  // Offers are addressed by rid only; rid-based links are signed lowercased.
  if (out.resource_type == "offers") out.resource_link = lower(segments[n - 1]);
  return out;
}

std::string http_date(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", day_names[static_cast<std::size_t>(tm.tm_wday)].data(),
                tm.tm_mday, month_names[static_cast<std::size_t>(tm.tm_mon)].data(), tm.tm_year + 1900, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s) {
  // "Thu, 27 Apr 2017 00:51:12 GMT" — fixed width, 29 characters.
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
      s[22] != ':' || s[25] != ' ' || !iequals(s.substr(26), "GMT")) {
    return std::nullopt;
  }
  int wday = -1;
  for (std::size_t i = 0; i < day_names.size(); ++i) {
    if (iequals(s.substr(0, 3), day_names[i])) wday = static_cast<int>(i);
  }
  int mon = -1;
  for (std::size_t i = 0; i < month_names.size(); ++i) {
    if (iequals(s.substr(8, 3), month_names[i])) mon = static_cast<int>(i);
  }
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (wday < 0 || mon < 0 || !parse_digits(s.substr(5, 2), day) || !parse_digits(s.substr(12, 4), year) ||
      !parse_digits(s.substr(17, 2), hour) || !parse_digits(s.substr(20, 2), minute) ||
      !parse_digits(s.substr(23, 2), second)) {
    return std::nullopt;
  }
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1970) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  std::tm check{};
  gmtime_r(&t, &check);
  // Rejects 31 Feb and a weekday that does not match the date.
  if (check.tm_mday != day || check.tm_mon != mon || check.tm_wday != wday) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

std::string string_to_sign(std::string_view verb, const resource_address& address, std::string_view date) {
  std::string payload;
  payload.reserve(verb.size() + address.resource_type.size() + address.resource_link.size() + date.size() + 5);
  payload += lower(verb);
  payload += '\n';
  payload += lower(address.resource_type);
  payload += '\n';
  payload += address.resource_link;
  payload += '\n';
  payload += lower(date);
  payload += "\n\n";
  return payload;
}

std::string sign(std::string_view decoded_key, std::string_view payload) {
  return base64_encode(mac_bytes(decoded_key, payload));
}

std::string authorization_header(std::string_view decoded_key, std::string_view verb,
                                 const resource_address& address, std::string_view date) {
  std::string token = "type=master&ver=1.0&sig=";
  token += sign(decoded_key, string_to_sign(verb, address, date));
  return http::percent_encode_path_segment(token);
}

auth_check verify_authorization(std::string_view header_value, std::string_view decoded_key,
                                std::string_view verb, const resource_address& address,
                                std::string_view date) {
  if (header_value.empty()) return auth_check::missing;
  const auto decoded = http::percent_decode(header_value);
  if (!decoded) return auth_check::malformed;
  std::string_view rest = *decoded;
  std::optional<std::string_view> type, ver, sig;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) return auth_check::malformed;
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    if (key == "type") type = value;
    else if (key == "ver") ver = value;
    else if (key == "sig") sig = value;
  }
  if (!type || !ver || !sig || !iequals(*type, "master") || *ver != "1.0") return auth_check::malformed;
  const auto given = base64_decode(*sig);
  if (!given || given->size() != 32) return auth_check::malformed;
  const std::string expected = mac_bytes(decoded_key, string_to_sign(verb, address, date));
  if (CRYPTO_memcmp(expected.data(), given->data(), expected.size()) != 0) return auth_check::bad_signature;
  return auth_check::ok;
}

}  // namespace idabus::io::cosmos
