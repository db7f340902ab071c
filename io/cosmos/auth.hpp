#pragma once
// Cosmos DB master-key authorization (gateway REST protocol), shared by the client (signing) and
// the emulator (verifying). Pure functions: no I/O, no allocation beyond the returned strings.
//
// The signed payload is
//   lower(verb) "\n" lower(resource type) "\n" resource link "\n" lower(x-ms-date) "\n" "\n"
// keyed with the base64-decoded master key (HMAC-SHA256), and the header value is the
// URL-encoded "type=master&ver=1.0&sig=<base64 mac>".
// Nothing here ever logs or returns the key.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace idabus::io::cosmos {

/// What a request signs: the resource type ("dbs", "colls", "docs", "pkranges", "offers" or ""
/// for the account) and the resource link (names case-preserved, no leading or trailing '/').
struct resource_address {
  std::string resource_type;
  std::string resource_link;

  friend bool operator==(const resource_address&, const resource_address&) = default;
};

/// The address signed for a request path. `unescaped_path` has no query string and is already
/// percent-decoded. Feed paths (odd number of segments: "/dbs", "/dbs/a/colls",
/// "/dbs/a/colls/c/docs") sign the parent link; item paths sign their own link. Empty segments
/// (double or trailing slashes) are ignored. "/offers/<rid>" signs the lowercased rid.
resource_address address_of(std::string_view unescaped_path);

/// RFC 1123 date in GMT with a two-digit day, e.g. "Thu, 27 Apr 2017 00:51:12 GMT".
std::string http_date(std::chrono::system_clock::time_point when);

/// Parses exactly the http_date() format (day and month names case-insensitive).
/// Returns std::nullopt for anything else, including impossible dates.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

/// The payload to sign (see the file comment).
std::string string_to_sign(std::string_view verb, const resource_address& address, std::string_view date);

/// Standard base64 of HMAC-SHA256(decoded_key, payload).
std::string sign(std::string_view decoded_key, std::string_view payload);

/// The `authorization` header value: URL-encoded (upper-case hex) "type=master&ver=1.0&sig=...".
std::string authorization_header(std::string_view decoded_key, std::string_view verb,
                                 const resource_address& address, std::string_view date);

enum class auth_check {
  ok,             ///< signature matches
  missing,        ///< empty header
  malformed,      ///< not "type=master&ver=1.0&sig=<base64 of 32 bytes>" after URL-decoding
  bad_signature,  ///< well-formed, but signed with another key or over another payload
};

/// Checks an `authorization` header value. Accepts upper- and lower-case hex percent-encoding
/// (and an unencoded value). The signature comparison takes constant time.
auth_check verify_authorization(std::string_view header_value, std::string_view decoded_key,
                                std::string_view verb, const resource_address& address,
                                std::string_view date);

}  // namespace idabus::io::cosmos
