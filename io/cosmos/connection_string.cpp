#include "io/cosmos/connection_string.hpp"

#include "io/cosmos/base64.hpp"
#include "io/http/message.hpp"

#include <cctype>
#include <optional>
#include <stdexcept>

namespace idabus::io::cosmos {

namespace {

using http::iequals;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::invalid_argument("connection string: " + what);
}

}  // namespace

connection_string parse_connection_string(std::string_view text) {
  std::optional<std::string_view> endpoint, key, disable_validation;
  std::size_t index = 0;
  while (!text.empty()) {
    const std::size_t semi = text.find(';');
    const std::string_view part = trim(text.substr(0, semi));
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    ++index;
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      // Do not echo the part: it might be a key that lost its "AccountKey=".
      fail("part " + std::to_string(index) + " has no '=' (expected Name=Value pairs separated by ';')");
    }
    const std::string_view name = trim(part.substr(0, eq));
    const std::string_view value = trim(part.substr(eq + 1));
    if (iequals(name, "AccountEndpoint")) endpoint = value;
    else if (iequals(name, "AccountKey")) key = value;
    else if (iequals(name, "DisableServerCertificateValidation")) disable_validation = value;
  }
  if (!endpoint || endpoint->empty()) fail("AccountEndpoint is missing");
  if (!key || key->empty()) fail("AccountKey is missing");

  connection_string out;
  out.endpoint = std::string(*endpoint);
  const bool http = out.endpoint.size() > 7 && iequals(std::string_view(out.endpoint).substr(0, 7), "http://");
  const bool https = out.endpoint.size() > 8 && iequals(std::string_view(out.endpoint).substr(0, 8), "https://");
  if (!http && !https) fail("AccountEndpoint must start with http:// or https:// and name a host, got '" + out.endpoint + "'");
  const std::string_view host = std::string_view(out.endpoint).substr(http ? 7 : 8);
  if (host.empty() || host.front() == '/' || host.front() == ':') fail("AccountEndpoint names no host: '" + out.endpoint + "'");

  auto decoded = base64_decode(*key);
  if (!decoded || decoded->empty()) fail("AccountKey is not valid base64 (value not shown)");
  out.account_key = std::string(*key);
  out.decoded_key = std::move(*decoded);

  if (disable_validation) {
    if (iequals(*disable_validation, "true")) out.disable_server_certificate_validation = true;
    else if (iequals(*disable_validation, "false")) out.disable_server_certificate_validation = false;
    else fail("DisableServerCertificateValidation must be True or False, got '" + std::string(*disable_validation) + "'");
  }
  return out;
}

}  // namespace idabus::io::cosmos
