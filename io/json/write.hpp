#pragma once
// Writing JSON text by hand (we never re-serialize documents; these helpers only build the small
// bodies we compose ourselves: query bodies, error bodies, system properties, generated data).

#include <string>
#include <string_view>

namespace idabus::io::json {

/// Appends `text` (UTF-8, passed through unchanged) as a JSON string literal: quotes and
/// backslashes escaped, \b \f \n \r \t by name, other control characters as \u00XX.
void append_json_string(std::string& out, std::string_view text);

/// `text` as a JSON string literal (see append_json_string).
std::string json_quote(std::string_view text);

}  // namespace idabus::io::json
