#pragma once
// Cosmos DB connection strings: "AccountEndpoint=https://host:443/;AccountKey=<base64>;" with
// optional "DisableServerCertificateValidation=True". Keys are case-insensitive, parts are
// ';'-separated, a value is everything after the first '=' (so base64 padding survives), and
// unknown keys are ignored.
// Errors are std::invalid_argument naming the missing or malformed part; they never contain the
// key (nor the whole connection string).

#include <string>
#include <string_view>

namespace idabus::io::cosmos {

struct connection_string {
  std::string endpoint;     ///< as given, e.g. "http://127.0.0.1:8081/"
  std::string account_key;  ///< base64, as given
  std::string decoded_key;  ///< raw key bytes (HMAC key)
  bool disable_server_certificate_validation = false;
};

/// Parses and validates a connection string. The endpoint must start with http:// or https://
/// and name a host; the key must be non-empty valid base64. Throws std::invalid_argument.
connection_string parse_connection_string(std::string_view text);

}  // namespace idabus::io::cosmos
