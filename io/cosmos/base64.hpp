#pragma once
// Standard base64 (RFC 4648 §4, alphabet with '+' and '/', '=' padding), as used by Cosmos DB
// master keys and signatures. Decoding reports garbage as std::nullopt; it never throws.

#include <optional>
#include <string>
#include <string_view>

namespace idabus::io::cosmos {

/// Encodes `bytes` with padding.
std::string base64_encode(std::string_view bytes);

/// Decodes padded or unpadded base64. Whitespace, characters outside the alphabet, misplaced
/// padding or an impossible length give std::nullopt.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace idabus::io::cosmos
