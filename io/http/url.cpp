#include "io/http/url.hpp"

#include "io/http/message.hpp"

#include <charconv>
#include <stdexcept>

namespace idabus::io::http {

namespace {

[[noreturn]] void bad_url(std::string_view text, const std::string& why) {
  throw std::invalid_argument("parse_url: '" + std::string(text) + "': " + why);
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool is_host_char(char c) noexcept {
  return is_unreserved(static_cast<unsigned char>(c)) || c == '%';
}

}  // namespace

std::uint16_t default_port(url_scheme scheme) noexcept { return scheme == url_scheme::https ? 443 : 80; }

std::string endpoint::authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string endpoint::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = v6 ? "[" + host + "]" : host;
  if (port != default_port(scheme)) out += ":" + std::to_string(port);
  return out;
}

url parse_url(std::string_view text) {
  url out;
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) bad_url(text, "expected an absolute URL starting with http:// or https://");
  const std::string_view scheme = text.substr(0, sep);
  if (iequals(scheme, "http")) {
    out.scheme = url_scheme::http;
  } else if (iequals(scheme, "https")) {
    out.scheme = url_scheme::https;
  } else {
    bad_url(text, "scheme '" + std::string(scheme) + "' is not supported; expected http or https");
  }

  std::string_view rest = text.substr(sep + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

  if (authority.find('@') != std::string_view::npos) {
    // Not quoted: user information may hold a password.
    throw std::invalid_argument("parse_url: user information (user@host) in a URL is not supported; remove it");
  }
  if (authority.empty()) bad_url(text, "the host is missing");

  std::string_view host;
  std::string_view port_text;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad_url(text, "IPv6 host is missing its closing ']'");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad_url(text, "expected ':' and a port after the IPv6 host");
      port_text = after.substr(1);
      if (port_text.empty()) bad_url(text, "the port after ':' is empty");
    }
    if (host.empty()) bad_url(text, "the host is missing");
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) bad_url(text, "the port after ':' is empty");
    }
    if (host.empty()) bad_url(text, "the host is missing");
    for (char c : host) {
      if (!is_host_char(c)) bad_url(text, "the host contains the character '" + std::string(1, c) + "'");
    }
  }
  out.host = std::string(host);

  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      bad_url(text, "port '" + std::string(port_text) + "' is not a number from 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(value);
  } else {
    out.port = default_port(out.scheme);
  }

  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      bad_url(text, "the path contains a space or control character; percent-encode it");
    }
  }
  return out;
}

std::string percent_encode_path_segment(std::string_view text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xF];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace idabus::io::http
